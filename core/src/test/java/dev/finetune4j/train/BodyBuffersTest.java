package dev.finetune4j.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.core.Linear;
import dev.finetune4j.TensorRuntime;
import dev.finetune4j.eval.Metric;
import dev.finetune4j.model.Body;
import dev.finetune4j.model.Classifier;
import dev.finetune4j.model.HostTensor;
import dev.finetune4j.model.LoraHook;
import dev.finetune4j.model.Module;
import dev.finetune4j.model.ParameterStore;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A body with non-trainable state, as a CNN's BatchNorm has: a running mean that every training
 * forward pass moves. Checkpoints, best-weight snapshots and resumes must keep it, and how a
 * parameter trains must follow its module's kind, not its name.
 */
class BodyBuffersTest {
    static final int IN = 4;

    /** x -> dense(norm(x - running_mean)); the running mean follows the batches (momentum 0.1). */
    static final class RunningMeanBody implements Body<NDArray> {
        final ParameterStore ps;

        RunningMeanBody(ParameterStore ps) {
            this.ps = ps;
        }

        @Override
        public List<Module> modules() {
            return List.of(new Module("body.norm", Module.Kind.NORM, Module.BELOW,
                            Map.of("weight", new long[] {IN}), Map.of("running_mean", new long[] {IN})),
                    Module.linear("body.dense", 0, IN, IN));
        }

        @Override
        public int blocks() {
            return 1;
        }

        @Override
        public NDArray features(NDManager step, NDArray x, boolean training) {
            NDArray mean = ps.get("body.norm.running_mean");
            if (training) {
                float[] batchMean = x.mean(new int[] {0}).toFloatArray();
                float[] m = mean.toFloatArray();
                for (int i = 0; i < m.length; i++) m[i] = 0.9f * m[i] + 0.1f * batchMean[i];
                mean.set(java.nio.FloatBuffer.wrap(m));
            }
            NDArray centred = x.sub(mean).mul(ps.get("body.norm.weight"));
            return Linear.linear(centred, ps.get("body.dense.weight"), ps.get("body.dense.bias")).singletonOrThrow();
        }

        @Override
        public long featureSize() {
            return IN;
        }

        @Override
        public LoraHook lora() {
            return null;
        }

        @Override
        public void setLora(LoraHook hook) {}
    }

    static Classifier<NDArray> model(NDManager m) {
        ParameterStore ps = new ParameterStore(m);
        Random rng = new Random(5);
        ps.put("body.norm.weight", new HostTensor(new long[] {IN}, new float[] {1, 1, 1, 1}));
        ps.putBuffer("body.norm.running_mean", new HostTensor(new long[] {IN}, new float[IN]));
        ps.putNormal("body.dense.weight", new long[] {IN, IN}, 0.5, rng);
        ps.putZeros("body.dense.bias", new long[] {IN});
        ps.putNormal("head.weight", new long[] {2, IN}, 0.5, rng);
        ps.putZeros("head.bias", new long[] {2});
        return new Classifier<>(new RunningMeanBody(ps), ps, "head", 0f, List.of("a", "b"),
                Set.of("head.weight", "head.bias"), List.of()) {};
    }

    /** Eight points, two classes, off-centre so that the running mean has somewhere to go. */
    static LabelledInputs<NDArray> points() {
        float[][] x = new float[8][IN];
        Random rng = new Random(9);
        for (int i = 0; i < x.length; i++) {
            for (int j = 0; j < IN; j++) x[i][j] = (float) (3 + rng.nextGaussian() + (i % 2) * (j == 0 ? 2 : 0));
        }
        return new LabelledInputs<>() {
            @Override
            public int size() {
                return x.length;
            }

            @Override
            public int label(int i) {
                return i % 2;
            }

            @Override
            public int length(int i) {
                return 1;
            }

            @Override
            public NDArray collate(NDManager step, int[] indices, BatchContext context) {
                float[] flat = new float[indices.length * IN];
                for (int k = 0; k < indices.length; k++) System.arraycopy(x[indices[k]], 0, flat, k * IN, IN);
                return step.create(flat, new Shape(indices.length, IN));
            }
        };
    }

    static Trainer.Options options(Integer patience) {
        return Trainer.Options.builder().epochs(3).batchSize(2).evalBatchSize(8).learningRate(5e-2)
                .headLearningRate(5e-2).weightDecay(0.01).warmupRatio(0.0).schedule(Schedule.LINEAR).maxGradNorm(1.0)
                .metric(Metric.LOSS).patience(patience).seed(4).build();
    }

    record Run(Map<String, HostTensor> values, TrainingResult result) {}

    static Run train(Trainer.Options o, Checkpoints checkpoints, Checkpoints.Loaded from) {
        try (NDManager m = TensorRuntime.newManager(); Classifier<NDArray> model = model(m)) {
            TrainingResult r = new Trainer(o).fit(model, points(), points(), model.labels(), TrainingListener.none(),
                    checkpoints, from);
            return new Run(model.parameters().toHost(), r);
        }
    }

    static Checkpoints checkpoints(Path dir) {
        return new Checkpoints(dir, 1, 100, "buffers", new PrintStream(new ByteArrayOutputStream()));
    }

    @Test
    void howAParameterTrainsFollowsItsModule() {
        try (NDManager m = TensorRuntime.newManager(); Classifier<NDArray> model = model(m)) {
            assertThat(model.takesNoDecay("body.norm.weight")).as("a norm layer's weight").isTrue();
            assertThat(model.takesNoDecay("body.dense.weight")).isFalse();
            assertThat(model.takesNoDecay("body.dense.bias")).isTrue();
            assertThat(model.takesNoDecay("head.weight")).isFalse();
            assertThat(model.takesNoDecay("head.bias")).isTrue();
            assertThat(model.takesNoDecay("body.dense.lora_A.weight")).as("an adapter is a weight of its own").isFalse();
            assertThat(model.depthFromTop("head.weight")).isZero();
            assertThat(model.depthFromTop("body.dense.weight")).isEqualTo(1);
            assertThat(model.depthFromTop("body.norm.weight")).as("below every block").isEqualTo(2);
            assertThat(model.body().loraSites()).extracting(Module::name).containsExactly("body.dense");

            ParameterStore ps = model.parameters();
            assertThat(ps.parameterNames()).doesNotContain("body.norm.running_mean");
            assertThat(ps.count(false)).as("buffers are not parameters").isEqualTo(IN + IN * IN + IN + 2 * IN + 2);
            assertThatThrownBy(() -> ps.setTrainable("body.norm.running_mean", true))
                    .hasMessageContaining("buffer");
            List<Optimizer.Group> groups = Trainer.parameterGroups(model, options(null));
            assertThat(groups).flatExtracting(Optimizer.Group::parameters).doesNotContain("body.norm.running_mean");
            assertThat(groups).filteredOn(g -> g.weightDecay() == 0).flatExtracting(Optimizer.Group::parameters)
                    .containsExactlyInAnyOrder("body.norm.weight", "body.dense.bias", "head.bias");
        }
    }

    @Test
    void checkpointsAndResumesKeepTheBuffers(@TempDir Path dir) {
        Run reference = train(options(null), null, null);
        float[] moved = reference.values().get("body.norm.running_mean").data();
        assertThat(moved).as("training moved the running mean").isNotEqualTo(new float[IN]);

        train(options(null), checkpoints(dir.resolve("all")), null);
        List<Path> saved = checkpoints(dir.resolve("all")).list();
        assertThat(saved).hasSize(12); // 3 epochs x 4 batches
        for (Path p : saved) {
            Checkpoints only = checkpoints(dir.resolve("only"));
            ResumeTest.AtomicCopy.directory(p, dir.resolve("only").resolve(p.getFileName()));
            Checkpoints.Loaded loaded = only.latest().orElseThrow();
            assertThat(loaded.weights()).containsKey("body.norm.running_mean");
            Run resumed = train(options(null), null, loaded);
            reference.values().forEach((name, t) -> assertThat(resumed.values().get(name).data())
                    .as("%s after resuming from step %d", name, loaded.state().step()).containsExactly(t.data()));
            dev.finetune4j.util.AtomicFiles.deleteRecursively(dir.resolve("only"));
        }
    }

    @Test
    void restoringTheBestWeightsRestoresTheBuffersOfThatStep() {
        Trainer.Options o = options(100).toBuilder().evalEverySteps(1).build();
        float[][] meanAt = new float[13][];
        float[][] headAt = new float[13][];
        try (NDManager m = TensorRuntime.newManager(); Classifier<NDArray> model = model(m)) {
            TrainingResult r = new Trainer(o).fit(model, points(), points(), model.labels(), new TrainingListener() {
                @Override
                public void onStep(Step s) {
                    meanAt[(int) s.step()] = model.parameters().get("body.norm.running_mean").toFloatArray();
                    headAt[(int) s.step()] = model.parameters().get("head.weight").toFloatArray();
                }
            }, null, null);
            assertThat(r.bestStep()).as("the best step is not the last, or restoring proves nothing").isLessThan(12);
            int best = (int) r.bestStep();
            assertThat(model.parameters().get("head.weight").toFloatArray()).containsExactly(headAt[best]);
            assertThat(model.parameters().get("body.norm.running_mean").toFloatArray()).containsExactly(meanAt[best]);
            assertThat(meanAt[best]).isNotEqualTo(meanAt[12]);
        }
    }
}
