package dev.finetune4j.train;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDManager;
import dev.finetune4j.TensorRuntime;
import dev.finetune4j.eval.Metric;
import dev.finetune4j.model.HostTensor;
import dev.finetune4j.model.Pooling;
import dev.finetune4j.model.bert.BertConfig;
import dev.finetune4j.model.bert.BertForSequenceClassification;
import dev.finetune4j.model.bert.BertModel;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ResumeTest {
    static final BertConfig TINY = BertConfig.tiny(50);

    /** Dropout on (the generator must repeat), warmup + linear decay (the schedule must continue), L2-SP. */
    static Trainer.Options options(Trainer.GradualUnfreezing gradual, Integer patience) {
        return Trainer.Options.builder().epochs(4).batchSize(2).evalBatchSize(4).learningRate(1e-2)
                .headLearningRate(1e-2).weightDecay(0.01).warmupRatio(0.25).schedule(Schedule.LINEAR).maxGradNorm(1.0)
                .metric(Metric.LOSS).patience(patience).seed(11).layerwiseLrDecay(gradual == null ? null : 0.7)
                .gradualUnfreezing(gradual).regularization(new Trainer.Regularization(0, 0, 0.1)).build();
    }

    record Run(Map<String, HostTensor> weights, TrainingResult result) {}

    static Run train(Trainer.Options o, Checkpoints checkpoints, Checkpoints.Loaded from) {
        return train(o, checkpoints, from, 0.1);
    }

    /** {@code dropout}: the head's and the body's. */
    static Run train(Trainer.Options o, Checkpoints checkpoints, Checkpoints.Loaded from, double dropout) {
        try (NDManager m = TensorRuntime.newManager();
                BertForSequenceClassification model = BertForSequenceClassification.fromPretrained(m, TINY, BertModel.randomWeights(TINY, 1),
                        "random", Pooling.POOLER, dropout, dropout, List.of("a", "b"), 3)) {
            TrainingResult r = new Trainer(o).fit(model, TinyTexts.four(), TinyTexts.four(), model.labels(),
                    TrainingListener.none(), checkpoints, from);
            return new Run(model.parameters().toHost(), r);
        }
    }

    static Checkpoints checkpoints(Path dir, Integer every, int keep, ByteArrayOutputStream log) {
        return new Checkpoints(dir, every, keep, "run-a", new PrintStream(log, true, StandardCharsets.UTF_8));
    }

    static void assertSameRun(Run resumed, Run reference) {
        assertThat(resumed.weights().keySet()).isEqualTo(reference.weights().keySet());
        reference.weights().forEach((name, t) -> assertThat(resumed.weights().get(name).data())
                .as("%s bit for bit", name).containsExactly(t.data()));
        TrainingResult a = resumed.result(), b = reference.result();
        assertThat(a.steps()).isEqualTo(b.steps());
        assertThat(a.bestStep()).isEqualTo(b.bestStep());
        assertThat(a.bestMetric()).isEqualTo(b.bestMetric());
        assertThat(a.stoppedEarly()).isEqualTo(b.stoppedEarly());
        assertThat(a.epochLosses()).isEqualTo(b.epochLosses());
        assertThat(a.unfreezes()).isEqualTo(b.unfreezes());
        assertThat(a.evaluations()).hasSameSizeAs(b.evaluations());
        for (int i = 0; i < a.evaluations().size(); i++) {
            assertThat(a.evaluations().get(i).report()).isEqualTo(b.evaluations().get(i).report());
            assertThat(a.evaluations().get(i).metric()).isEqualTo(b.evaluations().get(i).metric());
        }
    }

    @Test
    void resumingFromAnyStepEndsBitForBitAsTheUninterruptedRun(@TempDir Path dir) {
        for (Trainer.GradualUnfreezing gradual : new Trainer.GradualUnfreezing[] {null, new Trainer.GradualUnfreezing(3)}) {
            Trainer.Options o = options(gradual, null);
            Run reference = train(o, null, null);
            Path ckpt = dir.resolve(gradual == null ? "full" : "gradual");
            ByteArrayOutputStream log = new ByteArrayOutputStream();
            Run withCheckpoints = train(o, checkpoints(ckpt, 1, 100, log), null);
            assertSameRun(withCheckpoints, reference); // saving changes nothing
            List<Path> all = checkpoints(ckpt, 1, 100, log).list();
            assertThat(all).hasSize(8); // 4 epochs x 2 batches, one per step
            for (Path p : all) {
                Checkpoints only = checkpoints(dir.resolve("only"), 1, 100, log);
                AtomicCopy.directory(p, dir.resolve("only").resolve(p.getFileName()));
                Checkpoints.Loaded loaded = only.latest().orElseThrow();
                assertThat(loaded.state().step()).isEqualTo(Long.parseLong(p.getFileName().toString().substring(5)));
                Run resumed = train(o, null, loaded);
                assertSameRun(resumed, reference);
                dev.finetune4j.util.AtomicFiles.deleteRecursively(dir.resolve("only"));
            }
        }
    }

    @Test
    void earlyStoppingStateAndBestWeightsSurviveAResume(@TempDir Path dir) {
        Trainer.Options o = options(null, 1); // stops at the first evaluation that does not improve
        Run reference = train(o, null, null);
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        train(o, checkpoints(dir, null, 100, log), null);
        List<Path> all = checkpoints(dir, null, 100, log).list();
        assertThat(all).isNotEmpty();
        Path last = all.get(all.size() - 1); // the oldest: the first epoch's end
        Checkpoints one = checkpoints(dir.resolve("one"), null, 100, log);
        AtomicCopy.directory(last, dir.resolve("one").resolve(last.getFileName()));
        assertSameRun(train(o, null, one.latest().orElseThrow()), reference);
    }

    @Test
    void keepsTheLastNAndSkipsACorruptOrHalfWrittenCheckpoint(@TempDir Path dir) throws Exception {
        Trainer.Options o = options(null, null);
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        train(o, checkpoints(dir, 1, 3, log), null);
        Checkpoints c = checkpoints(dir, 1, 3, log);
        List<Path> kept = c.list();
        assertThat(kept).extracting(p -> p.getFileName().toString())
                .containsExactly("step-000000008", "step-000000007", "step-000000006");
        // Corrupt the newest (one flipped byte) and truncate the next: resume falls back to step 6.
        Path w8 = kept.get(0).resolve(Checkpoints.WEIGHTS);
        byte[] bytes = Files.readAllBytes(w8);
        bytes[bytes.length - 1] ^= 1;
        Files.write(w8, bytes);
        Path o7 = kept.get(1).resolve(Checkpoints.OPTIMIZER);
        Files.write(o7, java.util.Arrays.copyOf(Files.readAllBytes(o7), 100));
        Files.createDirectories(dir.resolve(".staging-123")); // a crash mid-write leaves this
        Checkpoints.Loaded loaded = c.latest().orElseThrow();
        assertThat(loaded.state().step()).isEqualTo(6);
        String messages = log.toString(StandardCharsets.UTF_8);
        assertThat(messages).contains("step-000000008 is unusable (weights.safetensors does not match its size and CRC-32)")
                .contains("step-000000007 is unusable (optimizer.safetensors does not match");
    }

    @Test
    void aCheckpointOfAnotherRunIsRefused(@TempDir Path dir) {
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        train(options(null, null), checkpoints(dir, 4, 1, log), null);
        Checkpoints other = new Checkpoints(dir, 4, 1, "run-b", new PrintStream(log));
        org.assertj.core.api.Assertions.assertThatThrownBy(other::latest)
                .isInstanceOf(dev.finetune4j.UserError.class).hasMessageContaining("written by a different run");
    }

    /** Copies a checkpoint directory (test helper). */
    static final class AtomicCopy {
        static void directory(Path from, Path to) {
            try {
                Files.createDirectories(to);
                try (var s = Files.list(from)) {
                    for (Path f : s.toList()) Files.copy(f, to.resolve(f.getFileName()));
                }
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }
    }
}
