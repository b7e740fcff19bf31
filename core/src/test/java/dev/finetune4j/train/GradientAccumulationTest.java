package dev.finetune4j.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.finetune4j.eval.Metric;
import dev.finetune4j.model.HostTensor;
import java.io.ByteArrayOutputStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code train.gradient_accumulation_steps}: k batches per optimizer step train as one batch of
 * their examples (each batch's loss weighted by its share of the step's examples, so a smaller last
 * batch counts for what it holds), and a run resumed from any checkpoint ends bit for bit as the
 * uninterrupted one. On the four tiny texts an epoch is one optimizer step in every layout below.
 */
class GradientAccumulationTest {
    static Trainer.Options options(int batchSize, int accumulation) {
        return Trainer.Options.builder().epochs(6).batchSize(batchSize).gradientAccumulationSteps(accumulation)
                .evalBatchSize(4).learningRate(0.05).headLearningRate(0.05).weightDecay(0.01).warmupRatio(0.0)
                .schedule(Schedule.CONSTANT).maxGradNorm(1.0).metric(Metric.LOSS).seed(11)
                .optimizer(new Sgd.Settings(0.9, 0, false)).build();
    }

    @Test
    void accumulatedBatchesTrainAsOneBatchOfTheirExamples() {
        Map<String, HostTensor> oneBatch = ResumeTest.train(options(4, 1), null, null, 0.0).weights();
        for (int[] layout : new int[][] {{2, 2}, {1, 4}, {3, 2}}) { // {3, 2}: batches of 3 and 1
            ResumeTest.Run accumulated = ResumeTest.train(options(layout[0], layout[1]), null, null, 0.0);
            assertThat(accumulated.result().steps()).as("batch %d x %d", layout[0], layout[1]).isEqualTo(6);
            oneBatch.forEach((name, t) -> {
                float[] got = accumulated.weights().get(name).data();
                for (int i = 0; i < got.length; i++) {
                    assertThat((double) got[i]).as("batch %d x %d: %s[%d]", layout[0], layout[1], name, i)
                            .isCloseTo(t.data()[i], within(1e-5));
                }
            });
        }
    }

    @Test
    void theEffectiveBatchIsTheBatchTimesTheAccumulationSteps() {
        assertThat(options(8, 4).effectiveBatchSize()).isEqualTo(32);
    }

    @Test
    void aResumeFromAnyCheckpointOfAnAccumulatingRunIsBitForBitTheUninterruptedRun(@TempDir Path dir) {
        // batch 1 x 2: two optimizer steps an epoch, a checkpoint after each; dropout on (ResumeTest's model)
        Trainer.Options o = options(1, 2).toBuilder().epochs(3).optimizer(Adam.Settings.adamW()).build();
        ResumeTest.Run reference = ResumeTest.train(o, null, null);
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        ResumeTest.train(o, ResumeTest.checkpoints(dir.resolve("all"), 1, 100, log), null);
        List<Path> all = ResumeTest.checkpoints(dir.resolve("all"), 1, 100, log).list();
        assertThat(all).hasSize(6);
        for (Path p : all) {
            Path only = dir.resolve("only-" + p.getFileName());
            ResumeTest.AtomicCopy.directory(p, only.resolve(p.getFileName()));
            Checkpoints.Loaded loaded = ResumeTest.checkpoints(only, 1, 100, log).latest().orElseThrow();
            ResumeTest.assertSameRun(ResumeTest.train(o, null, loaded), reference);
        }
    }
}
