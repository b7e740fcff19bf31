package dev.finetune4j.train;

import ai.djl.ndarray.NDArray;
import ai.djl.pytorch.jni.JniUtils;
import dev.finetune4j.model.ParameterStore;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.zip.CRC32;

/**
 * A bit-exact record of every training step, for finding where two runs of one recipe part: with
 * the system property {@code ft4j.trace=FILE}, each step appends one JSON line with CRC-32s of the
 * logits (the forward pass, dropout included), of every gradient (the backward pass) and of every
 * parameter after the update (the optimizer), the loss and norm as exact bits, the intra-op thread
 * count and the calling thread. The first line on which two traces differ names the phase.
 * Unset, it costs one property lookup per run.
 */
final class StepTrace implements AutoCloseable {
    private final BufferedWriter out;

    private StepTrace(BufferedWriter out) {
        this.out = out;
    }

    /** The trace the system property asks for, or null. */
    static StepTrace fromProperty() {
        String path = System.getProperty("ft4j.trace");
        if (path == null || path.isBlank()) return null;
        try {
            return new StepTrace(Files.newBufferedWriter(Path.of(path)));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the step trace " + path, e);
        }
    }

    /** CRC-32 of an array's bytes (its exact float bits). */
    static long crc(NDArray a) {
        CRC32 c = new CRC32();
        ByteBuffer b = a.toByteBuffer();
        c.update(b);
        return c.getValue();
    }

    /** CRC-32 over the gradients of the trainable parameters, in parameter order. */
    static long gradientCrc(ParameterStore params) {
        CRC32 c = new CRC32();
        for (Map.Entry<String, NDArray> e : params.all().entrySet()) {
            if (!params.isTrainable(e.getKey())) continue;
            try (NDArray g = e.getValue().getGradient()) {
                c.update(g.toByteBuffer());
            }
        }
        return c.getValue();
    }

    /** CRC-32 over every parameter's values, in parameter order. */
    static long parameterCrc(ParameterStore params) {
        CRC32 c = new CRC32();
        for (NDArray a : params.all().values()) c.update(a.toByteBuffer());
        return c.getValue();
    }

    void record(long step, long logits, long gradients, double loss, double norm, long parameters) {
        try {
            out.write(String.format("{\"step\":%d,\"logits\":\"%08x\",\"grads\":\"%08x\",\"loss\":\"%016x\","
                            + "\"norm\":\"%016x\",\"params\":\"%08x\",\"threads\":%d,\"thread\":\"%s\"}%n",
                    step, logits, gradients, Double.doubleToRawLongBits(loss), Double.doubleToRawLongBits(norm),
                    parameters, JniUtils.getNumThreads(), Thread.currentThread().getName()));
            out.flush();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() {
        try {
            out.close();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
