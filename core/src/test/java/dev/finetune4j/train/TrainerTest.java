package dev.finetune4j.train;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDManager;
import dev.finetune4j.TensorRuntime;
import dev.finetune4j.adapt.FeatureExtraction.CachedFeatures;
import dev.finetune4j.adapt.FeatureExtraction;
import dev.finetune4j.eval.Metric;
import dev.finetune4j.model.HostTensor;
import dev.finetune4j.model.Pooling;
import dev.finetune4j.model.TrainableModel;
import dev.finetune4j.model.bert.BertConfig;
import dev.finetune4j.model.bert.BertForSequenceClassification;
import dev.finetune4j.model.bert.BertModel;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class TrainerTest {
    static final BertConfig TINY = BertConfig.tiny(50);

    /** Two Gaussian blobs in the head's 32-d input space; {@code flip} labels them the other way. */
    static CachedFeatures blobs(int n, long seed, boolean flip) {
        Random rng = new Random(seed);
        float[][] x = new float[n][32];
        int[] y = new int[n];
        for (int i = 0; i < n; i++) {
            int c = i % 2;
            for (int j = 0; j < 32; j++) x[i][j] = (float) (rng.nextGaussian() * 0.5 + (c == 0 ? -1 : 1));
            y[i] = flip ? 1 - c : c;
        }
        return new CachedFeatures(x, y);
    }

    static Trainer.Options options(int epochs, Integer patience, Metric metric) {
        return Trainer.Options.builder().epochs(epochs).batchSize(8).evalBatchSize(16).learningRate(0.05)
                .headLearningRate(0.05).weightDecay(0.0).warmupRatio(0.0).schedule(Schedule.CONSTANT).maxGradNorm(1.0)
                .metric(metric).patience(patience).seed(7).build();
    }

    @Test
    void earlyStoppingStopsAfterPatienceAndRestoresTheBestWeights() {
        try (NDManager m = TensorRuntime.newManager();
                BertForSequenceClassification model = BertForSequenceClassification.fromPretrained(m, TINY, BertModel.randomWeights(TINY, 1),
                        "random", Pooling.CLS, 0.0, 0.0, List.of("a", "b"), 3)) {
            FeatureExtraction.freezeBody(model);
            // Validation is labelled against training: the better the head fits train, the worse validation
            // loss gets, so the first evaluation is the best and the run must stop after `patience` more.
            List<Map<String, HostTensor>> weightsAtEvaluation = new ArrayList<>();
            TrainingListener capture = new TrainingListener() {
                @Override
                public void onEvaluation(Evaluation e) {
                    weightsAtEvaluation.add(Map.of("classifier.weight", model.parameters().toHost("classifier.weight")));
                }
            };
            TrainingResult r = new Trainer(options(10, 2, Metric.LOSS)).fit(FeatureExtraction.head(model),
                    blobs(64, 1, false), blobs(32, 2, true), model.labels(), capture);

            assertThat(r.stoppedEarly()).isTrue();
            assertThat(r.evaluations()).hasSize(3);
            assertThat(r.evaluations().get(0).improved()).isTrue();
            assertThat(r.evaluations().get(2).stopping()).isTrue();
            assertThat(r.bestStep()).isEqualTo(r.evaluations().get(0).step());
            float[] restored = model.parameters().toHost("classifier.weight").data();
            assertThat(restored).isEqualTo(weightsAtEvaluation.get(0).get("classifier.weight").data());
            assertThat(restored).isNotEqualTo(weightsAtEvaluation.get(2).get("classifier.weight").data());
        }
    }

    @Test
    void withoutEarlyStoppingEveryEpochRunsAndTheLastWeightsStay() {
        try (NDManager m = TensorRuntime.newManager();
                BertForSequenceClassification model = BertForSequenceClassification.fromPretrained(m, TINY, BertModel.randomWeights(TINY, 1),
                        "random", Pooling.CLS, 0.0, 0.0, List.of("a", "b"), 3)) {
            FeatureExtraction.freezeBody(model);
            // The same data as above: the first evaluation is the best, and every later one is worse.
            List<float[]> weightsAtEvaluation = new ArrayList<>();
            TrainingListener capture = new TrainingListener() {
                @Override
                public void onEvaluation(Evaluation e) {
                    weightsAtEvaluation.add(model.parameters().toHost("classifier.weight").data());
                }
            };
            TrainingResult r = new Trainer(options(4, null, Metric.LOSS)).fit(FeatureExtraction.head(model),
                    blobs(64, 1, false), blobs(32, 2, true), model.labels(), capture);

            assertThat(r.stoppedEarly()).isFalse();
            assertThat(r.evaluations()).hasSize(4);
            assertThat(r.bestStep()).as("the best evaluation is still reported").isEqualTo(r.evaluations().get(0).step());
            float[] kept = model.parameters().toHost("classifier.weight").data();
            assertThat(kept).isEqualTo(weightsAtEvaluation.get(3));
            assertThat(kept).isNotEqualTo(weightsAtEvaluation.get(0));
        }
    }

    @Test
    void aSeparableProblemIsLearnedAndTheSameSeedGivesTheSameWeights() {
        float[][] runs = new float[2][];
        for (int k = 0; k < 2; k++) {
            try (NDManager m = TensorRuntime.newManager();
                    BertForSequenceClassification model = BertForSequenceClassification.fromPretrained(m, TINY,
                            BertModel.randomWeights(TINY, 1), "random", Pooling.CLS, 0.1, 0.0, List.of("a", "b"), 3)) {
                FeatureExtraction.freezeBody(model);
                TrainingResult r = new Trainer(options(3, null, Metric.MACRO_F1)).fit(FeatureExtraction.head(model),
                        blobs(64, 1, false), blobs(32, 2, false), model.labels(), TrainingListener.none());
                assertThat(r.steps()).isEqualTo(3 * 8);
                assertThat(r.bestMetric()).isEqualTo(1.0);
                runs[k] = model.parameters().toHost("classifier.weight").data();
            }
        }
        assertThat(runs[1]).isEqualTo(runs[0]);
    }

    @Test
    void layerwiseDecayGivesEachDepthItsOwnLearningRateMultiplier() {
        try (NDManager m = TensorRuntime.newManager();
                BertForSequenceClassification model = BertForSequenceClassification.fromPretrained(m, TINY, BertModel.randomWeights(TINY, 1),
                        "random", Pooling.POOLER, null, null, List.of("a", "b"), 3)) {
            Trainer.Options o = Trainer.Options.builder().epochs(1).batchSize(8).evalBatchSize(8).learningRate(1e-4)
                    .headLearningRate(1e-3).weightDecay(0.01).warmupRatio(0.0).schedule(Schedule.LINEAR)
                    .maxGradNorm(1.0).metric(Metric.MACRO_F1).seed(1).layerwiseLrDecay(0.5).build();
            Map<String, Double> multiplier = new java.util.HashMap<>();
            Map<String, Double> decay = new java.util.HashMap<>();
            for (Optimizer.Group g : Trainer.parameterGroups(model, o)) {
                for (String p : g.parameters()) {
                    assertThat(multiplier.put(p, g.lrMultiplier())).as("%s in one group only", p).isNull();
                    decay.put(p, g.weightDecay());
                }
            }
            assertThat(multiplier).hasSize(model.parameters().all().size());
            assertThat(multiplier.get("classifier.weight")).isEqualTo(10.0); // head lr / lr
            assertThat(multiplier.get("bert.pooler.dense.weight")).isEqualTo(1.0);
            assertThat(multiplier.get("bert.encoder.layer.1.attention.self.query.weight")).isEqualTo(0.5);
            assertThat(multiplier.get("bert.encoder.layer.0.output.dense.bias")).isEqualTo(0.25);
            assertThat(multiplier.get("bert.embeddings.word_embeddings.weight")).isEqualTo(0.125);
            assertThat(decay.get("bert.encoder.layer.0.output.dense.bias")).isEqualTo(0.0);
            assertThat(decay.get("bert.embeddings.LayerNorm.weight")).isEqualTo(0.0);
            assertThat(decay.get("bert.encoder.layer.0.output.dense.weight")).isEqualTo(0.01);
        }
    }

    @Test
    void weightedCrossEntropyMatchesTheFormulaAndBalancedWeightsAreInverseFrequency() {
        assertThat(Trainer.balancedClassWeights(new int[] {0, 0, 0, 1}, 3)).containsExactly(4f / 9, 4f / 3, 0f);
        try (NDManager m = TensorRuntime.newManager()) {
            float[][] logits = {{2f, 0f}, {0f, 1f}, {1f, 1f}};
            int[] y = {0, 1, 1};
            float[] w = {1f, 3f};
            double num = 0, den = 0, plain = 0;
            for (int i = 0; i < 3; i++) {
                double z = Math.log(Math.exp(logits[i][0]) + Math.exp(logits[i][1]));
                double nll = z - logits[i][y[i]];
                num += w[y[i]] * nll;
                den += w[y[i]];
                plain += nll / 3;
            }
            assertThat(Trainer.crossEntropy(m.create(logits), m.create(y), w).getFloat())
                    .isCloseTo((float) (num / den), org.assertj.core.data.Offset.offset(1e-6f));
            assertThat(Trainer.crossEntropy(m.create(logits), m.create(y)).getFloat())
                    .isCloseTo((float) plain, org.assertj.core.data.Offset.offset(1e-6f));
        }
    }

    @Test
    void gradualUnfreezingThawsOneLayerGroupPerStageFromTheTopWithCleanOptimizerState(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
            throws Exception {
        try (NDManager m = TensorRuntime.newManager();
                BertForSequenceClassification model = BertForSequenceClassification.fromPretrained(m, TINY, BertModel.randomWeights(TINY, 1),
                        "random", Pooling.POOLER, 0.0, 0.0, List.of("a", "b"), 3)) {
            Map<String, float[]> before = new java.util.HashMap<>();
            model.parameters().all().forEach((k, v) -> before.put(k, v.toFloatArray()));
            // 3 steps, a stage per step: head, then layer 1, then layer 0; the embeddings (stage 3) never thaw.
            Trainer.Options o = Trainer.Options.builder().epochs(1).maxSteps(3).batchSize(4).evalBatchSize(8)
                    .learningRate(1e-3).headLearningRate(1e-3).weightDecay(0.0).warmupRatio(0.0)
                    .schedule(Schedule.CONSTANT).maxGradNorm(1.0).metric(Metric.MACRO_F1).seed(1)
                    .gradualUnfreezing(new Trainer.GradualUnfreezing(1)).build();
            List<TrainingListener.Unfreeze> seen = new ArrayList<>();
            TrainingListener listener = new TrainingListener() {
                @Override
                public void onUnfreeze(Unfreeze u) {
                    seen.add(u);
                }
            };
            // A checkpoint after every step: the weights and the optimizer's named state (stateToHost) as they were.
            Checkpoints checkpoints = new Checkpoints(dir, 1, 10, "gradual", System.out);
            TrainingResult r = new Trainer(o).fit(model, TinyTexts.four(), null, model.labels(), listener, checkpoints,
                    null);
            assertThat(r.steps()).isEqualTo(3);
            assertThat(seen).extracting(TrainingListener.Unfreeze::stage).containsExactly(0, 1, 2);
            assertThat(seen.get(0).trainableParameters()).isEqualTo(32 * 32 + 32 + 2 * 32 + 2); // pooler + classifier
            assertThat(seen.get(1).trainableParameters()).isGreaterThan(seen.get(0).trainableParameters());
            java.util.function.Predicate<String> changed = k -> !java.util.Arrays.equals(before.get(k),
                    model.parameters().get(k).toFloatArray());
            assertThat(changed).accepts("classifier.weight", "bert.pooler.dense.weight",
                    "bert.encoder.layer.1.attention.self.query.weight", "bert.encoder.layer.0.attention.self.query.weight");
            assertThat(changed).rejects("bert.embeddings.word_embeddings.weight", "bert.embeddings.LayerNorm.weight");

            // Clean optimizer state when layers thaw: a parameter first trained at stage k (step k, 0-based)
            // has no moments and no step count just before that step, and after it exactly what one AdamW
            // step from zero state leaves: m = (1-b1) g, v = (1-b2) g^2, and the update
            // lr * (m / (1-b1)) / (sqrt(v / (1-b2)) + eps) of bias-correction step t = 1, not t = k + 1.
            double b1 = 0.9, b2 = 0.999, eps = 1e-8, lr = 1e-3;
            int checked = 0;
            for (String name : model.parameters().all().keySet()) {
                int stage = model.depthFromTop(name);
                if (stage == 3) { // the embeddings never thaw: never any state
                    for (int step = 1; step <= 3; step++) {
                        assertThat(checkpointMoments(dir, step)).doesNotContainKeys("exp_avg/" + name, "exp_avg_sq/" + name);
                    }
                    continue;
                }
                assertThat(checkpointParameterSteps(dir, stage + 1)).as(name).containsEntry(name, 1L);
                assertThat(checkpointParameterSteps(dir, 3)).as(name).containsEntry(name, (long) (3 - stage));
                if (stage == 0) continue; // the head trains from the first step: nothing before it
                assertThat(checkpointParameterSteps(dir, stage)).as(name + " before it thaws").doesNotContainKey(name);
                assertThat(checkpointMoments(dir, stage)).as(name + " before it thaws")
                        .doesNotContainKeys("exp_avg/" + name, "exp_avg_sq/" + name);
                Map<String, HostTensor> after = checkpointMoments(dir, stage + 1);
                float[] mt = after.get("exp_avg/" + name).data(), vt = after.get("exp_avg_sq/" + name).data();
                float[] w0 = checkpointWeights(dir, stage).get(name).data();
                float[] w1 = checkpointWeights(dir, stage + 1).get(name).data();
                for (int i = 0; i < mt.length; i++) {
                    double g = mt[i] / (1 - b1); // the (clipped) gradient of the step, as the first moment holds it
                    assertThat((double) vt[i]).as("%s[%d]: exp_avg_sq of one gradient from zero", name, i)
                            .isCloseTo((1 - b2) * g * g, org.assertj.core.data.Offset.offset(1e-6 * (1 - b2) * g * g + 1e-30));
                    double update = lr * g / (Math.sqrt(vt[i] / (1 - b2)) + eps);
                    // within the float rounding of the weight itself (its ulp), far below the 26 % (t = 2) or 36 % (t = 3) that a
                    // bias correction of t = 2 or 3 would make
                    double tolerance = 1e-6 * lr + 2 * Math.ulp(Math.max(Math.abs(w0[i]), Math.abs(w1[i])));
                    assertThat((double) (w0[i] - w1[i])).as("%s[%d]: its first update", name, i)
                            .isCloseTo(update, org.assertj.core.data.Offset.offset(tolerance));
                }
                checked++;
            }
            assertThat(checked).isEqualTo(2 * 16); // both encoder layers' tensors
        }
    }

    private static java.nio.file.Path checkpointDir(java.nio.file.Path dir, int afterSteps) {
        return dir.resolve(String.format("step-%09d", afterSteps));
    }

    /** The optimizer state a checkpoint holds, by {@code <kind>/<parameter>}. */
    private static Map<String, HostTensor> checkpointMoments(java.nio.file.Path dir, int afterSteps) {
        return dev.finetune4j.model.io.SafeTensors.read(checkpointDir(dir, afterSteps).resolve(Checkpoints.OPTIMIZER));
    }

    private static Map<String, HostTensor> checkpointWeights(java.nio.file.Path dir, int afterSteps) {
        return dev.finetune4j.model.io.SafeTensors.read(checkpointDir(dir, afterSteps).resolve(Checkpoints.WEIGHTS));
    }

    /** Each parameter's update count (its bias-correction step) as a checkpoint records it. */
    private static Map<String, Long> checkpointParameterSteps(java.nio.file.Path dir, int afterSteps) throws Exception {
        com.fasterxml.jackson.databind.JsonNode steps = Checkpoints.JSON.readTree(
                checkpointDir(dir, afterSteps).resolve(Checkpoints.STATE).toFile()).path("state").path("parameterSteps");
        Map<String, Long> out = new java.util.HashMap<>();
        steps.fields().forEachRemaining(e -> out.put(e.getKey(), e.getValue().asLong()));
        return out;
    }

    @Test
    void partialFreezingKeepsFrozenParametersBitForBit() {
        try (NDManager m = TensorRuntime.newManager();
                BertForSequenceClassification model = BertForSequenceClassification.fromPretrained(m, TINY, BertModel.randomWeights(TINY, 1),
                        "random", Pooling.POOLER, 0.0, 0.0, List.of("a", "b"), 3)) {
            List<String> frozen = dev.finetune4j.adapt.Freezing.partial(model, true, 1,
                    java.util.regex.Pattern.compile("LayerNorm"));
            assertThat(frozen).contains("bert.embeddings.word_embeddings.weight",
                    "bert.encoder.layer.0.output.dense.weight", "bert.encoder.layer.1.output.LayerNorm.weight")
                    .doesNotContain("bert.encoder.layer.1.output.dense.weight", "classifier.weight");
            Map<String, float[]> before = new java.util.HashMap<>();
            model.parameters().all().forEach((k, v) -> before.put(k, v.toFloatArray()));
            new Trainer(Trainer.Options.builder().epochs(1).maxSteps(3).batchSize(4).evalBatchSize(8)
                    .learningRate(1e-3).headLearningRate(1e-3).weightDecay(0.01).warmupRatio(0.0)
                    .schedule(Schedule.CONSTANT).maxGradNorm(1.0).metric(Metric.MACRO_F1).seed(1).build())
                    .fit(model, TinyTexts.four(), null, model.labels(), TrainingListener.none());
            for (String name : model.parameters().all().keySet()) {
                boolean same = java.util.Arrays.equals(before.get(name), model.parameters().get(name).toFloatArray());
                assertThat(same).as(name).isEqualTo(frozen.contains(name));
            }
        }
    }

    /** Distance of the body's weights from where they started, after 30 steps with the given penalties. */
    static double[] trainWith(Trainer.Regularization r) {
        try (NDManager m = TensorRuntime.newManager();
                BertForSequenceClassification model = BertForSequenceClassification.fromPretrained(m, TINY, BertModel.randomWeights(TINY, 1),
                        "random", Pooling.POOLER, 0.0, 0.0, List.of("a", "b"), 3)) {
            Map<String, float[]> start = new java.util.HashMap<>();
            model.parameters().all().forEach((k, v) -> start.put(k, v.toFloatArray()));
            int arraysBefore = model.parameters().manager().getManagedArrays().size();
            new Trainer(Trainer.Options.builder().epochs(30).batchSize(4).evalBatchSize(8).learningRate(1e-3)
                    .headLearningRate(1e-3).weightDecay(0.0).warmupRatio(0.0).schedule(Schedule.CONSTANT)
                    .maxGradNorm(1.0).metric(Metric.MACRO_F1).seed(1).regularization(r).build())
                    .fit(model, TinyTexts.four(), null, model.labels(), TrainingListener.none());
            // Penalty terms are computed on parameters: nothing of them may stay in the model's manager.
            assertThat(model.parameters().manager().getManagedArrays()).hasSize(arraysBefore);
            double moved = 0, sumAbs = 0, sumSq = 0;
            for (String name : model.parameters().all().keySet()) {
                if (model.isHead(name) || model.takesNoDecay(name)) continue;
                float[] now = model.parameters().get(name).toFloatArray();
                float[] was = start.get(name);
                for (int i = 0; i < now.length; i++) {
                    moved += (now[i] - was[i]) * (double) (now[i] - was[i]);
                    sumAbs += Math.abs(now[i]);
                    sumSq += now[i] * (double) now[i];
                }
            }
            return new double[] {Math.sqrt(moved), sumAbs, sumSq};
        }
    }

    @Test
    void penaltiesPullWeightsTowardTheStartOrZero() {
        double[] none = trainWith(Trainer.Regularization.NONE);
        double[] l2sp = trainWith(new Trainer.Regularization(0, 0, 10.0));
        double[] l1 = trainWith(new Trainer.Regularization(0, 0.05, 0));
        double[] l2 = trainWith(new Trainer.Regularization(5.0, 0, 0));
        assertThat(l2sp[0]).as("L2-SP: distance from the pre-trained weights").isLessThan(none[0] * 0.5);
        assertThat(l1[1]).as("L1: sum |w|").isLessThan(none[1] * 0.9);
        assertThat(l2[2]).as("L2: sum w^2").isLessThan(none[2] * 0.9);
    }

    @Test
    void aNonFiniteStepIsSkippedWithoutTouchingTheWeightsAndARunOfThemStops() {
        try (NDManager m = TensorRuntime.newManager();
                BertForSequenceClassification model = BertForSequenceClassification.fromPretrained(m, TINY, BertModel.randomWeights(TINY, 1),
                        "random", Pooling.POOLER, 0.0, 0.0, List.of("a", "b"), 3)) {
            int[] calls = {0};
            java.util.Set<Integer> poisoned = new java.util.HashSet<>(List.of(2));
            TrainableModel<dev.finetune4j.model.TextBatch> flaky = new TrainableModel<>() {
                @Override
                public ai.djl.ndarray.NDArray logits(NDManager step, dev.finetune4j.model.TextBatch b, boolean training) {
                    ai.djl.ndarray.NDArray z = model.logits(step, b, training);
                    return training && poisoned.contains(calls[0]++) ? z.mul(Float.NaN) : z;
                }

                @Override
                public dev.finetune4j.model.ParameterStore parameters() {
                    return model.parameters();
                }

                @Override
                public boolean isHead(String name) {
                    return model.isHead(name);
                }
            };
            Trainer.Options o = Trainer.Options.builder().epochs(1).maxSteps(4).batchSize(4).evalBatchSize(8)
                    .learningRate(1e-3).headLearningRate(1e-3).weightDecay(0.0).warmupRatio(0.0)
                    .schedule(Schedule.CONSTANT).maxGradNorm(1.0).metric(Metric.MACRO_F1).seed(1)
                    .onNonFinite(OnNonFinite.SKIP).build();
            float[][] weights = new float[5][];
            double[] lrs = new double[5];
            List<Long> skipped = new ArrayList<>();
            TrainingListener watch = new TrainingListener() {
                @Override
                public void onStep(Step s) {
                    weights[(int) s.step()] = model.parameters().get("classifier.weight").toFloatArray();
                    lrs[(int) s.step()] = s.learningRate();
                }

                @Override
                public void onSkippedStep(long step, double loss, double gradNorm) {
                    skipped.add(step);
                }
            };
            TrainingResult r = new Trainer(o).fit(flaky, TinyTexts.four(), null, model.labels(), watch);
            assertThat(skipped).containsExactly(2L);
            assertThat(r.skippedSteps()).isEqualTo(1);
            assertThat(weights[3]).isEqualTo(weights[2]); // the poisoned step changed nothing
            assertThat(weights[4]).isNotEqualTo(weights[3]);
            for (float w : weights[4]) assertThat(Float.isFinite(w)).isTrue();
            assertThat(lrs[3]).isEqualTo(1e-3); // the skipped step itself
            assertThat(lrs[4]).as("an isolated skipped step keeps the learning rate").isEqualTo(1e-3);

            // A second one within 100 steps halves it from then on.
            poisoned.clear();
            poisoned.addAll(List.of(1, 3));
            calls[0] = 0;
            double[] lrs2 = new double[7];
            Trainer.Options six = o.toBuilder().maxSteps(6).build();
            new Trainer(six).fit(flaky, TinyTexts.four(), null, model.labels(), new TrainingListener() {
                @Override
                public void onStep(Step s) {
                    lrs2[(int) s.step()] = s.learningRate();
                }
            });
            assertThat(lrs2[4]).isEqualTo(1e-3); // the second skipped step
            assertThat(lrs2[5]).isEqualTo(5e-4);
            assertThat(lrs2[6]).isEqualTo(5e-4);

            poisoned.clear();
            poisoned.addAll(List.of(1, 2, 3, 4)); // four in a row: more than the three that are skipped
            calls[0] = 0;
            Trainer.Options longer = Trainer.Options.builder().epochs(1).maxSteps(10).batchSize(4).evalBatchSize(8)
                    .learningRate(1e-3).headLearningRate(1e-3).weightDecay(0.0).warmupRatio(0.0)
                    .schedule(Schedule.CONSTANT).maxGradNorm(1.0).metric(Metric.MACRO_F1).seed(1)
                    .onNonFinite(OnNonFinite.SKIP).build();
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> new Trainer(longer).fit(flaky, TinyTexts.four(), null,
                            model.labels(), TrainingListener.none()))
                    .isInstanceOf(Trainer.NumericalFault.class).hasMessageContaining("non-finite steps in a row");

            // on_non_finite: stop ends the run at the first one, with the way out.
            poisoned.clear();
            poisoned.add(2);
            calls[0] = 0;
            Trainer.Options stop = Trainer.Options.builder().epochs(1).maxSteps(4).batchSize(4).evalBatchSize(8)
                    .learningRate(1e-3).headLearningRate(1e-3).weightDecay(0.0).warmupRatio(0.0)
                    .schedule(Schedule.CONSTANT).maxGradNorm(1.0).metric(Metric.MACRO_F1).seed(1)
                    .sampler(Sampler.SHUFFLE).onNonFinite(OnNonFinite.STOP).build();
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> new Trainer(stop).fit(flaky, TinyTexts.four(), null,
                            model.labels(), TrainingListener.none()))
                    .isInstanceOf(dev.finetune4j.UserError.class)
                    .hasMessageContaining("training diverged at step 3").hasMessageContaining("on_non_finite: skip");
        }
    }

    @Test
    void theBalancedSamplerFeedsEveryClassEquallyAndShuffleFeedsEachExampleOnce() {
        int[] y = new int[32];
        for (int i = 28; i < 32; i++) y[i] = 1; // 28 : 4
        for (dev.finetune4j.train.Sampler sampler : dev.finetune4j.train.Sampler.values()) {
            CachedFeatures base = blobs(32, 1, false);
            CachedFeatures skewed = new CachedFeatures(base.features(), y);
            int[] seen = new int[2];
            LabelledInputs<ai.djl.ndarray.NDArray> recording = new LabelledInputs<>() {
                public int size() { return skewed.size(); }
                public int label(int i) { return skewed.label(i); }
                public int length(int i) { return 1; }
                public ai.djl.ndarray.NDArray collate(NDManager step, int[] indices, BatchContext context) {
                    for (int i : indices) seen[y[i]]++;
                    return skewed.collate(step, indices);
                }
            };
            try (NDManager m = TensorRuntime.newManager();
                    BertForSequenceClassification model = BertForSequenceClassification.fromPretrained(m, TINY,
                            BertModel.randomWeights(TINY, 1), "random", Pooling.CLS, 0.0, 0.0, List.of("a", "b"), 3)) {
                FeatureExtraction.freezeBody(model);
                Trainer.Options o = options(2, null, Metric.MACRO_F1);
                o = o.toBuilder().sampler(sampler).build();
                TrainingResult r = new Trainer(o).fit(FeatureExtraction.head(model), recording, null, model.labels(),
                        TrainingListener.none());
                assertThat(r.steps()).isEqualTo(2 * 4);
            }
            if (sampler == dev.finetune4j.train.Sampler.BALANCED) assertThat(seen).containsExactly(32, 32);
            else assertThat(seen).containsExactly(56, 8);
        }
    }
}
