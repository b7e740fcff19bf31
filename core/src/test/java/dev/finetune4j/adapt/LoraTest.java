package dev.finetune4j.adapt;

import dev.finetune4j.recipe.StrategyConfig;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDManager;
import dev.finetune4j.TensorRuntime;
import dev.finetune4j.UserError;
import dev.finetune4j.eval.Metric;
import dev.finetune4j.model.HostTensor;
import dev.finetune4j.model.Pooling;
import dev.finetune4j.model.bert.BertConfig;
import dev.finetune4j.model.bert.BertForSequenceClassification;
import dev.finetune4j.model.bert.BertModel;
import dev.finetune4j.train.Schedule;
import dev.finetune4j.train.TinyTexts;
import dev.finetune4j.train.Trainer;
import dev.finetune4j.train.TrainingListener;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class LoraTest {
    static final BertConfig TINY = BertConfig.tiny(50);
    static final StrategyConfig.Lora CONFIG = new StrategyConfig.Lora(4, 8, 0.1, List.of("query", "value"), false, false);

    static BertForSequenceClassification model(NDManager m) {
        return BertForSequenceClassification.fromPretrained(m, TINY, BertModel.randomWeights(TINY, 1), "random", Pooling.POOLER,
                0.0, 0.0, List.of("a", "b"), 3);
    }

    static void train(BertForSequenceClassification model, NDManager m, int steps) {
        new Trainer(Trainer.Options.builder().epochs(10).maxSteps(steps).batchSize(4).evalBatchSize(8)
                .learningRate(1e-2).headLearningRate(1e-2).weightDecay(0.01).warmupRatio(0.0)
                .schedule(Schedule.CONSTANT).maxGradNorm(1.0).metric(Metric.MACRO_F1).seed(1).build())
                .fit(model, TinyTexts.four(), null, model.labels(), TrainingListener.none());
    }

    static float[] logits(BertForSequenceClassification model, NDManager m) {
        try (NDManager step = m.newSubManager()) {
            return model.logits(step, TinyTexts.four().collate(step, new int[] {0, 1, 2, 3}), false).toFloatArray();
        }
    }

    @Test
    void aPoolerTheCheckpointLackedStillTrainsUnderLora() {
        BertConfig tiny = BertConfig.tiny(50);
        Map<String, HostTensor> noPooler = new HashMap<>(BertModel.randomWeights(tiny, 1));
        noPooler.remove("pooler.dense.weight");
        noPooler.remove("pooler.dense.bias");
        try (NDManager m = TensorRuntime.newManager();
                BertForSequenceClassification model = BertForSequenceClassification.fromPretrained(m, tiny, noPooler, "random",
                        Pooling.POOLER, 0.0, 0.0, List.of("a", "b"), 3)) {
            Lora.apply(model, StrategyConfig.Lora.defaults(), 1);
            assertThat(model.parameters().isTrainable("bert.pooler.dense.weight")).isTrue();
            assertThat(model.parameters().isTrainable("bert.encoder.layer.0.attention.self.query.weight")).isFalse();
        }
    }

    @Test
    void addsAdaptersOnTheTargetsAndTrainsOnlyThemAndTheHead() {
        try (NDManager m = TensorRuntime.newManager(); BertForSequenceClassification model = model(m)) {
            List<String> modules = Lora.apply(model, CONFIG, 5);
            int layers = TINY.numHiddenLayers();
            assertThat(modules).hasSize(2 * layers).contains("bert.encoder.layer.0.attention.self.query",
                    "bert.encoder.layer.0.attention.self.value").noneMatch(s -> s.endsWith(".key"));
            var ps = model.parameters();
            long h = TINY.hiddenSize();
            assertThat(ps.get("bert.encoder.layer.0.attention.self.query.lora_A.weight").getShape().getShape())
                    .containsExactly(4, h);
            assertThat(ps.get("bert.encoder.layer.0.attention.self.query.lora_B.weight").getShape().getShape())
                    .containsExactly(h, 4);
            // B zero, A within PEFT's Kaiming-uniform bound 1/sqrt(in)
            assertThat(ps.get("bert.encoder.layer.0.attention.self.query.lora_B.weight").toFloatArray()).containsOnly(0f);
            float[] a = ps.get("bert.encoder.layer.0.attention.self.query.lora_A.weight").toFloatArray();
            for (float v : a) assertThat(Math.abs(v)).isLessThanOrEqualTo((float) (1 / Math.sqrt(h)));
            assertThat(a).isNotEqualTo(new float[a.length]);
            // (d) trainable = adapters + head
            long adapters = 2L * layers * 2 * 4 * h;
            long head = 2 * h + 2;
            assertThat(Lora.adapterParameterCount(model)).isEqualTo(adapters);
            assertThat(ps.count(true)).isEqualTo(adapters + head);
            ps.all().keySet().forEach(k -> assertThat(ps.isTrainable(k)).as(k)
                    .isEqualTo(k.startsWith("classifier.") || Lora.isAdapter(k)));
            // all lora params live in the store's manager
            ps.all().forEach((k, v) -> assertThat(v.getManager()).as(k).isSameAs(ps.manager()));
            assertThat(Lora.adapterWeights(model).keySet()).allMatch(k -> Lora.isAdapter(k) || k.startsWith("classifier."))
                    .hasSize(4 * layers + 2);
        }
    }

    @Test
    void biasesAndLayerNormTrainWhenAsked() {
        try (NDManager m = TensorRuntime.newManager(); BertForSequenceClassification model = model(m)) {
            Lora.apply(model, new StrategyConfig.Lora(2, 4, 0.0, List.of("dense"), true, true), 5);
            var ps = model.parameters();
            assertThat(Lora.adaptedModules(model)).hasSize(3 * TINY.numHiddenLayers());
            assertThat(ps.isTrainable("bert.encoder.layer.0.attention.self.key.bias")).isTrue();
            assertThat(ps.isTrainable("bert.encoder.layer.0.output.LayerNorm.weight")).isTrue();
            assertThat(ps.isTrainable("bert.encoder.layer.0.attention.self.key.weight")).isFalse();
            assertThat(ps.isTrainable("bert.embeddings.word_embeddings.weight")).isFalse();
        }
    }

    @Test
    void unknownTargetIsAUserError() {
        try (NDManager m = TensorRuntime.newManager(); BertForSequenceClassification model = model(m)) {
            assertThatThrownBy(() -> Lora.apply(model, new StrategyConfig.Lora(2, 4, 0.0, List.of("qurey"), false, false), 1))
                    .isInstanceOf(UserError.class).hasMessageContaining("'qurey' matches no linear layer");
            assertThat(model.parameters().all().keySet()).noneMatch(Lora::isAdapter);
        }
    }

    @Test
    void atInitTheLogitsAreExactlyThoseWithoutLora() {
        try (NDManager m = TensorRuntime.newManager(); BertForSequenceClassification model = model(m)) {
            float[] plain = logits(model, m);
            Lora.apply(model, new StrategyConfig.Lora(4, 8, 0.1, List.of("query", "key", "value", "attention.output.dense",
                    "intermediate.dense", "output.dense"), false, false), 5);
            assertThat(logits(model, m)).isEqualTo(plain);
        }
    }

    @Test
    void trainingChangesOnlyAdaptersAndHeadAndMergeKeepsTheLogits() {
        try (NDManager m = TensorRuntime.newManager(); BertForSequenceClassification model = model(m)) {
            Map<String, float[]> before = new HashMap<>();
            model.parameters().all().forEach((k, v) -> before.put(k, v.toFloatArray()));
            Lora.apply(model, CONFIG, 5);
            Map<String, float[]> adaptersBefore = new HashMap<>();
            model.parameters().all().forEach((k, v) -> adaptersBefore.putIfAbsent(k, v.toFloatArray()));
            train(model, m, 4);
            var ps = model.parameters();
            for (String name : ps.all().keySet()) {
                boolean same = Arrays.equals(adaptersBefore.get(name), ps.get(name).toFloatArray());
                if (name.startsWith("bert.") && !Lora.isAdapter(name)) {
                    assertThat(same).as(name + " unchanged").isTrue();
                } else if (name.startsWith("classifier.") || name.endsWith(".lora_B.weight")) {
                    assertThat(same).as(name + " changed").isFalse();
                }
            }
            assertThat(changedCount(adaptersBefore, model, ".lora_A.weight")).isPositive();
            float[] adapted = logits(model, m);

            Lora.merge(model);
            assertThat(ps.all().keySet()).noneMatch(k -> k.contains("lora_"));
            assertThat(ps.all().keySet()).containsExactlyElementsOf(orderOf(m));
            assertThat(model.body().lora()).isNull();
            float[] merged = logits(model, m);
            for (int i = 0; i < merged.length; i++) {
                assertThat(merged[i]).isCloseTo(adapted[i], org.assertj.core.data.Offset.offset(1e-5f));
            }
            assertThat(ps.get("bert.encoder.layer.0.attention.self.query.weight").toFloatArray())
                    .isNotEqualTo(before.get("bert.encoder.layer.0.attention.self.query.weight"));
            assertThat(ps.get("bert.encoder.layer.0.attention.self.key.weight").toFloatArray())
                    .isEqualTo(before.get("bert.encoder.layer.0.attention.self.key.weight"));
        }
    }

    private static long changedCount(Map<String, float[]> before, BertForSequenceClassification model, String suffix) {
        return model.parameters().all().keySet().stream().filter(k -> k.endsWith(suffix))
                .filter(k -> !Arrays.equals(before.get(k), model.parameters().get(k).toFloatArray())).count();
    }

    /** The key order of a fresh model. */
    private static List<String> orderOf(NDManager m) {
        try (BertForSequenceClassification fresh = model(m)) {
            return List.copyOf(fresh.parameters().all().keySet());
        }
    }
}
