package dev.finetune4j.model.io;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.finetune4j.model.HostTensor;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;

/**
 * Reference outputs for parity tests: runs ONNX Runtime on an ONNX BERT export (by default the
 * MiniLM model on the test classpath) and returns {@code last_hidden_state}.
 *
 * <pre>{@code
 * try (OnnxRuntimeReference ref = OnnxRuntimeReference.miniLm()) {
 *     HostTensor h = ref.lastHiddenState(ids, mask, typeIds); // [batch, seq, 384]
 * }
 * }</pre>
 *
 * Inputs are [batch][seq] arrays of equal length; {@code tokenTypeIds} may be null (zeros). Only
 * the inputs the model declares are fed (measured on MiniLM: input_ids, attention_mask,
 * token_type_ids; output last_hidden_state).
 */
public final class OnnxRuntimeReference implements AutoCloseable {
    public static final String MINILM_RESOURCE = "all-minilm-l6-v2.onnx";

    private final OrtEnvironment env = OrtEnvironment.getEnvironment();
    private final OrtSession session;

    private OnnxRuntimeReference(OrtSession session) {
        this.session = session;
    }

    public static OnnxRuntimeReference miniLm() {
        return fromResource(MINILM_RESOURCE);
    }

    public static OnnxRuntimeReference fromResource(String resource) {
        try (InputStream in = OnnxRuntimeReference.class.getClassLoader().getResourceAsStream(resource)) {
            if (in == null) throw new IllegalStateException("resource " + resource + " is not on the test classpath");
            byte[] model = in.readAllBytes();
            OrtEnvironment env = OrtEnvironment.getEnvironment();
            return new OnnxRuntimeReference(env.createSession(model, options()));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (OrtException e) {
            throw new IllegalStateException(e);
        }
    }

    public static OnnxRuntimeReference fromFile(Path onnx) {
        try {
            return new OnnxRuntimeReference(OrtEnvironment.getEnvironment().createSession(onnx.toString(), options()));
        } catch (OrtException e) {
            throw new IllegalStateException(e);
        }
    }

    private static OrtSession.SessionOptions options() throws OrtException {
        OrtSession.SessionOptions o = new OrtSession.SessionOptions();
        // deterministic, unfused float math to compare against
        o.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.BASIC_OPT);
        o.setIntraOpNumThreads(1);
        return o;
    }

    public Set<String> inputNames() {
        return session.getInputNames();
    }

    public Set<String> outputNames() {
        return session.getOutputNames();
    }

    /** last_hidden_state as a [batch, seq, hidden] HostTensor. */
    public HostTensor lastHiddenState(long[][] inputIds, long[][] attentionMask, long[][] tokenTypeIds) {
        int batch = inputIds.length, seq = inputIds[0].length;
        if (tokenTypeIds == null) tokenTypeIds = new long[batch][seq];
        Map<String, long[][]> all = Map.of("input_ids", inputIds, "attention_mask", attentionMask, "token_type_ids", tokenTypeIds);
        Map<String, OnnxTensor> feed = new HashMap<>();
        try {
            for (String name : session.getInputNames()) {
                long[][] v = all.get(name);
                if (v == null) throw new IllegalStateException("model wants an input I do not know: " + name);
                feed.put(name, OnnxTensor.createTensor(env, v));
            }
            String out = session.getOutputNames().contains("last_hidden_state") ? "last_hidden_state"
                    : session.getOutputNames().iterator().next();
            try (OrtSession.Result r = session.run(feed, Set.of(out))) {
                OnnxTensor t = (OnnxTensor) r.get(0);
                long[] shape = t.getInfo().getShape();
                FloatBuffer fb = t.getFloatBuffer();
                float[] data = new float[fb.remaining()];
                fb.get(data);
                return new HostTensor(shape, data);
            }
        } catch (OrtException e) {
            throw new IllegalStateException(e);
        } finally {
            feed.values().forEach(OnnxTensor::close);
        }
    }

    @Override
    public void close() {
        try {
            session.close();
        } catch (OrtException e) {
            throw new IllegalStateException(e);
        }
    }
}
