package dev.finetune4j.model.bert;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.training.GradientCollector;
import dev.finetune4j.TensorRuntime;
import dev.finetune4j.UserError;
import dev.finetune4j.model.HostTensor;
import dev.finetune4j.model.ParameterStore;
import dev.finetune4j.model.Pooling;
import dev.finetune4j.model.TextBatch;
import dev.finetune4j.train.AdamW;
import dev.finetune4j.train.Optimizer;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class BertForSequenceClassificationTest {
    static final BertConfig TINY = BertConfig.tiny(50);

    static TextBatch batch(NDManager m, long[][] ids) {
        long[][] mask = new long[ids.length][];
        long[][] types = new long[ids.length][];
        for (int i = 0; i < ids.length; i++) {
            mask[i] = new long[ids[i].length];
            types[i] = new long[ids[i].length];
            for (int j = 0; j < ids[i].length; j++) mask[i][j] = ids[i][j] == 0 ? 0 : 1;
        }
        return new TextBatch(m.create(ids), m.create(mask), m.create(types));
    }

    @Test
    void paddingDoesNotChangeTheLogitsOfARow() {
        try (NDManager m = TensorRuntime.newManager();
                BertForSequenceClassification model = BertForSequenceClassification.fromPretrained(m, TINY,
                        BertModel.randomWeights(TINY, 1), "random", Pooling.MEAN, null, null, List.of("a", "b", "c"), 7)) {
            float[] alone = model.logits(m, batch(m, new long[][] {{1, 5, 9, 2}}), false).toFloatArray();
            float[] padded = model.logits(m, batch(m, new long[][] {{1, 5, 9, 2, 0, 0}, {1, 7, 7, 7, 7, 2}}), false)
                    .toFloatArray();
            assertThat(alone).hasSize(3);
            for (int i = 0; i < 3; i++) assertThat(padded[i]).isCloseTo(alone[i], org.assertj.core.data.Offset.offset(1e-5f));
        }
    }

    @Test
    void adamWLearnsAFixedBatchAndLeavesFrozenParametersBitForBitAlone() {
        try (NDManager m = TensorRuntime.newManager();
                BertForSequenceClassification model = BertForSequenceClassification.fromPretrained(m, TINY,
                        BertModel.randomWeights(TINY, 1), "random", Pooling.POOLER, 0.0, 0.0, List.of("a", "b"), 7)) {
            ParameterStore ps = model.parameters();
            String frozen = "bert.embeddings.word_embeddings.weight";
            ps.setTrainable(frozen, false);
            float[] before = ps.get(frozen).toFloatArray();
            float[] queryBefore = ps.get("bert.encoder.layer.0.attention.self.query.weight").toFloatArray();
            try (AdamW opt = new AdamW(ps, Optimizer.decayGroups(model, 0.01, 1.0, n -> true, ""), 0.9, 0.999, 1e-8)) {
                long[][] ids = {{1, 5, 9, 2}, {1, 6, 8, 2}, {1, 11, 12, 2}, {1, 13, 3, 2}};
                float[] labels = {0, 1, 0, 1};
                double first = 0, last = 0;
                int arraysAfterFirstSteps = 0;
                for (int s = 0; s < 40; s++) {
                    // Nothing of a step may stay attached to the model's (or optimizer's) manager.
                    if (s == 2) arraysAfterFirstSteps = ps.manager().getManagedArrays().size();
                    if (s > 2) assertThat(ps.manager().getManagedArrays()).hasSize(arraysAfterFirstSteps);
                    try (NDManager step = m.newSubManager()) {
                        NDArray loss;
                        try (GradientCollector gc = Engine.getEngine("PyTorch").newGradientCollector()) {
                            NDArray logits = model.logits(step, batch(step, ids), true);
                            NDArray y = step.create(labels).toType(DataType.INT32, false).oneHot(2);
                            loss = logits.logSoftmax(-1).mul(y).sum(new int[] {1}).neg().mean();
                            gc.backward(loss);
                        }
                        double l = loss.getFloat();
                        if (s == 0) first = l;
                        last = l;
                        opt.step(step, 1e-3, 1.0);
                    }
                }
                assertThat(last).isLessThan(first * 0.2);
            }
            assertThat(ps.get(frozen).toFloatArray()).isEqualTo(before);
            assertThat(ps.get("bert.encoder.layer.0.attention.self.query.weight").toFloatArray())
                    .isNotEqualTo(queryBefore);
        }
    }

    @Test
    void aCheckpointWithAWrongShapeIsRefusedNamingTheKey() {
        Map<String, HostTensor> w = new LinkedHashMap<>(BertModel.randomWeights(TINY, 1));
        w.put("encoder.layer.1.intermediate.dense.weight", new HostTensor(new long[] {2, 2}, new float[4]));
        w.remove("embeddings.LayerNorm.bias");
        try (NDManager m = TensorRuntime.newManager()) {
            assertThatThrownBy(() -> BertForSequenceClassification.fromPretrained(m, TINY, w, "/models/x", Pooling.CLS, null, null,
                            List.of("a", "b"), 1))
                    .isInstanceOf(UserError.class)
                    .hasMessageContaining("/models/x")
                    .hasMessageContaining("embeddings.LayerNorm.bias")
                    .hasMessageContaining("encoder.layer.1.intermediate.dense.weight is [2, 2], expected [64, 32]");
        }
    }
}
