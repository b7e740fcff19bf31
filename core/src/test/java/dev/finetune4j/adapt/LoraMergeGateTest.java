package dev.finetune4j.adapt;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDManager;
import dev.finetune4j.TensorRuntime;
import dev.finetune4j.model.HostTensor;
import dev.finetune4j.model.bert.BertForSequenceClassification;
import dev.finetune4j.train.TinyTexts;
import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The check that stands between a LoRA run and its export: the merged model must predict what the adapted one did. */
class LoraMergeGateTest {
    static final double TOLERANCE = 1e-4;

    @Test
    void aTrainedAdapterMergesWithinTheToleranceAndLeavesNoAdapters() {
        try (NDManager m = TensorRuntime.newManager(); BertForSequenceClassification model = LoraTest.model(m)) {
            Lora.apply(model, LoraTest.CONFIG, 1);
            LoraTest.train(model, m, 20);
            String b = "bert.encoder.layer.0.attention.self.query" + Lora.B;
            float[] trainedB = model.parameters().toHost(b).data();
            assertThat(trainedB).as("training moved B away from zero, so the merge changes the weights")
                    .isNotEqualTo(new float[trainedB.length]);
            float[] queryBefore = model.parameters().toHost("bert.encoder.layer.0.attention.self.query.weight").data();

            double worst = Lora.mergeChecked(model, TinyTexts.four(), 4, TOLERANCE);

            assertThat(worst).isLessThanOrEqualTo(TOLERANCE);
            assertThat(model.parameters().all().keySet()).noneMatch(Lora::isAdapter);
            assertThat(model.parameters().toHost("bert.encoder.layer.0.attention.self.query.weight").data())
                    .isNotEqualTo(queryBefore);
        }
    }

    @Test
    void aMergeThatChangesThePredictionsIsRefused() {
        try (NDManager m = TensorRuntime.newManager(); BertForSequenceClassification model = LoraTest.model(m)) {
            Lora.apply(model, LoraTest.CONFIG, 1);
            LoraTest.train(model, m, 20);
            // A merge that forgets the alpha / r scaling: W += B A instead of W += (alpha / r) B A.
            assertThatThrownBy(() -> Lora.mergeChecked(model, TinyTexts.four(), 4, TOLERANCE, broken -> {
                for (String module : Lora.adaptedModules(broken)) {
                    var ps = broken.parameters();
                    HostTensor w = ps.toHost(module + ".weight");
                    HostTensor a = ps.toHost(module + Lora.A);
                    HostTensor bt = ps.toHost(module + Lora.B);
                    int out = (int) w.shape()[0], in = (int) w.shape()[1], r = (int) a.shape()[0];
                    float[] wd = Arrays.copyOf(w.data(), w.data().length);
                    for (int o = 0; o < out; o++) {
                        for (int i = 0; i < in; i++) {
                            for (int k = 0; k < r; k++) wd[o * in + i] += bt.data()[o * r + k] * a.data()[k * in + i];
                        }
                    }
                    ps.copyFrom(Map.of(module + ".weight", new HostTensor(w.shape(), wd)));
                    ps.remove(module + Lora.A);
                    ps.remove(module + Lora.B);
                }
                broken.body().setLora(null);
            })).isInstanceOf(IllegalStateException.class).hasMessageContaining("changed a probability")
                    .hasMessageContaining("the export was not written");
        }
    }
}
