package dev.finetune4j.model.bert;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.finetune4j.TensorRuntime;
import dev.finetune4j.model.HostTensor;
import dev.finetune4j.model.Pooling;
import dev.finetune4j.model.TextBatch;
import dev.finetune4j.model.io.ModelCatalog;
import dev.finetune4j.model.io.OnnxBert;
import dev.finetune4j.model.io.OnnxBertWeights;
import dev.finetune4j.model.io.OnnxRuntimeReference;
import dev.finetune4j.text.EncodedText;
import dev.finetune4j.text.PaddedBatch;
import dev.finetune4j.text.TextEncoder;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Our encoder against ONNX Runtime on the real MiniLM weights and the same token ids. */
class BertParityTest {
    static final List<String> SENTENCES = List.of(
            "The quick brown fox jumps over the lazy dog.",
            "WIN a FREE cruise, click now!!!",
            "Hi Bob, the meeting moved to 3pm; see the attached agenda and let me know if that works for you.",
            "ok");

    @Test
    void hiddenStatesAndMeanPooledEmbeddingsMatchOnnxRuntime() {
        ModelCatalog.ModelFiles files = ModelCatalog.resolve(ModelCatalog.find("all-minilm-l6-v2"));
        OnnxBertWeights onnx = OnnxBert.read(files.onnx());
        PaddedBatch batch;
        try (TextEncoder encoder = TextEncoder.load(files.tokenizerJson(), 128)) {
            List<EncodedText> encoded = encoder.encodeAll(SENTENCES);
            batch = TextEncoder.collate(encoded, encoder.padId());
        }
        HostTensor reference;
        try (OnnxRuntimeReference ort = OnnxRuntimeReference.fromFile(files.onnx())) {
            reference = ort.lastHiddenState(batch.inputIds(), batch.attentionMask(), batch.tokenTypeIds());
        }
        try (NDManager m = TensorRuntime.newManager();
                BertForSequenceClassification model = BertForSequenceClassification.fromPretrained(m, onnx.config(), onnx.weights(),
                        "minilm", Pooling.MEAN, null, null, List.of("a", "b"), 1)) {
            TextBatch in = new TextBatch(m.create(batch.inputIds()), m.create(batch.attentionMask()),
                    m.create(batch.tokenTypeIds()));
            NDArray hidden = model.bert().hiddenStates(m, in, false);
            float[] ours = hidden.toFloatArray();
            assertThat(hidden.getShape().getShape()).containsExactly(reference.shape());

            double maxAbs = 0;
            int t = batch.maxLen(), h = onnx.config().hiddenSize();
            for (int b = 0; b < SENTENCES.size(); b++) {
                for (int i = 0; i < t; i++) {
                    if (batch.attentionMask()[b][i] == 0) continue; // padding rows are not defined outputs
                    for (int j = 0; j < h; j++) {
                        int k = (b * t + i) * h + j;
                        maxAbs = Math.max(maxAbs, Math.abs(ours[k] - reference.data()[k]));
                    }
                }
            }
            assertThat(maxAbs).isLessThanOrEqualTo(1e-4);

            float[] pooled = model.bert().pooled(hidden, in.attentionMask(), Pooling.MEAN).toFloatArray();
            for (int b = 0; b < SENTENCES.size(); b++) {
                double[] ref = new double[h];
                int n = 0;
                for (int i = 0; i < t; i++) {
                    if (batch.attentionMask()[b][i] == 0) continue;
                    n++;
                    for (int j = 0; j < h; j++) ref[j] += reference.data()[(b * t + i) * h + j];
                }
                double dot = 0, na = 0, nb = 0;
                for (int j = 0; j < h; j++) {
                    double a = pooled[b * h + j], r = ref[j] / n;
                    dot += a * r;
                    na += a * a;
                    nb += r * r;
                }
                assertThat(1 - dot / Math.sqrt(na * nb)).as("cosine distance of sentence %d", b).isLessThanOrEqualTo(1e-5);
            }
        }
    }
}
