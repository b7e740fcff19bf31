package dev.finetune4j.model.io;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.finetune4j.TensorRuntime;
import dev.finetune4j.export.HfExport;
import dev.finetune4j.model.HostTensor;
import dev.finetune4j.model.Pooling;
import dev.finetune4j.model.TextBatch;
import dev.finetune4j.model.bert.BertForSequenceClassification;
import dev.finetune4j.text.PaddedBatch;
import dev.finetune4j.text.TextEncoder;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The MiniLM that a recipe's {@code model: all-minilm-l6-v2} loads, and the Hugging Face export
 * of a classifier built on it loaded back as a model directory, against ONNX Runtime running the
 * ONNX file straight from the langchain4j jar on the classpath (not the copy the catalogue
 * extracts, and not through our ONNX reader): same token ids, same {@code last_hidden_state}.
 */
class OnnxRuntimeReferenceTest {
    @TempDir
    Path dir;

    static final List<String> TEXTS = List.of(
            "Subject: WIN a FREE cruise!!! Click here now to claim your prize",
            "Hi Bob, the meeting moved to 3pm; see the attached agenda.",
            "ok",
            "Minutes of Tuesday's meeting are attached. Please send corrections by Friday.");

    /** Largest |ours - ONNX Runtime| over the positions the mask keeps (padding outputs are not defined). */
    static double maxAbsDifference(BertForSequenceClassification model, NDManager m, PaddedBatch batch, HostTensor reference) {
        TextBatch in = new TextBatch(m.create(batch.inputIds()), m.create(batch.attentionMask()),
                m.create(batch.tokenTypeIds()));
        NDArray hidden = model.bert().hiddenStates(m, in, false);
        assertThat(hidden.getShape().getShape()).containsExactly(reference.shape());
        float[] ours = hidden.toFloatArray();
        int t = batch.maxLen(), h = (int) reference.shape()[2];
        double maxAbs = 0;
        for (int b = 0; b < batch.size(); b++) {
            for (int i = 0; i < t; i++) {
                if (batch.attentionMask()[b][i] == 0) continue;
                for (int j = 0; j < h; j++) {
                    int k = (b * t + i) * h + j;
                    maxAbs = Math.max(maxAbs, Math.abs(ours[k] - reference.data()[k]));
                }
            }
        }
        System.out.printf("max |ours - ONNX Runtime| over %d texts: %.3g%n", batch.size(), maxAbs);
        return maxAbs;
    }

    @Test
    void catalogueMiniLmAndItsHuggingFaceExportMatchOnnxRuntime() {
        ResolvedModelFiles files = ModelSource.resolve("all-minilm-l6-v2", dir);
        assertThat(files.kind()).isEqualTo(ResolvedModelFiles.Kind.CATALOG);
        PaddedBatch batch;
        try (TextEncoder encoder = TextEncoder.load(files.tokenizerJson(), 64)) {
            batch = TextEncoder.collate(encoder.encodeAll(TEXTS), encoder.padId());
        }
        // Sentence-pair segments: the second half of each text's tokens is segment 1, so that the
        // token type embeddings (row 1 as well as row 0) take part.
        for (int b = 0; b < batch.size(); b++) {
            int n = 0;
            for (long v : batch.attentionMask()[b]) n += (int) v;
            for (int i = n / 2; i < n; i++) batch.tokenTypeIds()[b][i] = 1;
        }
        assertThat(batch.maxLen()).isGreaterThan(10);
        assertThat(batch.attentionMask()[2]).contains(0L); // "ok" is padded

        HostTensor reference;
        try (OnnxRuntimeReference ort = OnnxRuntimeReference.miniLm()) {
            assertThat(ort.inputNames()).containsExactlyInAnyOrder("input_ids", "attention_mask", "token_type_ids");
            reference = ort.lastHiddenState(batch.inputIds(), batch.attentionMask(), batch.tokenTypeIds());
        }
        assertThat(reference.shape()).containsExactly(TEXTS.size(), batch.maxLen(), 384);

        Path exported = dir.resolve("exported");
        try (NDManager m = TensorRuntime.newManager()) {
            BertCheckpoint checkpoint = BertCheckpoint.load(files);
            try (BertForSequenceClassification model = BertForSequenceClassification.fromPretrained(m, checkpoint.config(),
                    checkpoint.weights(), files.description(), Pooling.MEAN, 0.0, 0.0, List.of("ham", "spam"), 1)) {
                assertThat(maxAbsDifference(model, m, batch, reference)).as("catalogue MiniLM vs ONNX Runtime")
                        .isLessThanOrEqualTo(1e-4);
                HfExport.write(model, files.tokenizerJson(), 64, Map.of("base_model", "all-minilm-l6-v2"), exported);
            }
        }

        // The export, loaded back as a Hugging Face model directory (what `model: path/to/model` reads).
        ResolvedModelFiles again = ModelSource.resolve(exported.toString(), dir);
        assertThat(again.kind()).isEqualTo(ResolvedModelFiles.Kind.HF_DIR);
        try (NDManager m = TensorRuntime.newManager()) {
            BertCheckpoint checkpoint = BertCheckpoint.load(again);
            try (BertForSequenceClassification model = BertForSequenceClassification.fromPretrained(m, checkpoint.config(),
                    checkpoint.weights(), again.description(), Pooling.MEAN, 0.0, 0.0, List.of("ham", "spam"), 1)) {
                assertThat(maxAbsDifference(model, m, batch, reference)).as("exported MiniLM vs ONNX Runtime")
                        .isLessThanOrEqualTo(1e-4);
            }
        }
    }
}
