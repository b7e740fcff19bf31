package dev.finetune4j.cli;

import dev.finetune4j.testing.TinyRun;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Kills `ft4j train` with SIGKILL at chosen points (mid-epoch, inside a checkpoint write, right
 * after a gradual-unfreezing stage), resumes it with --resume, and checks that the run ends with
 * the same metrics and the same model bytes as the run that was never interrupted.
 */
class KillAndResumeTest {
    static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path tmp;

    static Path full, gradual;
    static Path fullReference, gradualReference;

    @BeforeAll
    static void referenceRuns() throws Exception {
        TinyRun.write(tmp, 120);
        // 96 training mails in batches of 8: 12 steps an epoch, 24 in all; a checkpoint every 5 steps.
        String common = String.join("\n",
                "model: tiny-bert",
                "seed: 5",
                "data:",
                "  train: mails.jsonl",
                "  max_length: 32",
                "head:",
                "  dropout: 0.2",
                "train:",
                "  epochs: 2",
                "  batch_size: 8",
                "  learning_rate: 1.0e-3",
                "  warmup_ratio: 0.2",
                "  hidden_dropout: 0.1",
                "  checkpoint_every_steps: 5",
                "");
        full = tmp.resolve("full.yaml");
        Files.writeString(full, "name: full\n" + common);
        gradual = tmp.resolve("gradual.yaml");
        Files.writeString(gradual, "name: gradual\n" + common
                + "  layerwise_lr_decay: 0.8\nstrategy:\n  type: gradual-unfreeze\n  unfreeze_every_steps: 4\n");
        fullReference = tmp.resolve("full-reference");
        gradualReference = tmp.resolve("gradual-reference");
        assertThat(ft4j(null, "train", full.toString(), "--output", fullReference.toString()).exitValue()).isZero();
        assertThat(ft4j(null, "train", gradual.toString(), "--output", gradualReference.toString()).exitValue())
                .isZero();
        assertThat(fullReference.resolve("checkpoints")).as("removed once the run is complete").doesNotExist();
    }

    /** Runs the CLI in a new JVM; with {@code pauseAt}, waits until it pauses there and SIGKILLs it. */
    static Process ft4j(String pauseAt, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Dai.djl.offline=true", "-Dft4j.runs=" + System.getProperty("ft4j.runs", "target/test-runs"), "-cp", System.getProperty("java.class.path")));
        if (pauseAt != null) cmd.add("-Dft4j.pauseAt=" + pauseAt);
        cmd.add("dev.finetune4j.cli.Ft4j");
        cmd.addAll(List.of(args));
        Path err = Files.createTempFile(tmp, "stderr-", ".txt");
        ProcessBuilder builder = new ProcessBuilder(cmd);
        builder.environment().putAll(Map.of("MKL_CBWR", "AUTO", "MKL_DYNAMIC", "FALSE")); // as ./ft4j sets them
        Process p = builder.directory(tmp.toFile()).redirectOutput(tmp.resolve("stdout.txt").toFile())
                .redirectError(err.toFile()).start();
        p.getOutputStream().close();
        if (pauseAt == null) {
            assertThat(p.waitFor(300, TimeUnit.SECONDS)).isTrue();
            if (p.exitValue() != 0) throw new AssertionError("ft4j failed: " + Files.readString(err));
            return p;
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(300);
        while (!Files.readString(err).contains("ft4j-paused-at")) {
            if (!p.isAlive()) throw new AssertionError("ended before pausing at " + pauseAt + ": " + Files.readString(err));
            if (System.nanoTime() > deadline) throw new AssertionError("never paused at " + pauseAt);
            Thread.sleep(50);
        }
        p.destroyForcibly(); // SIGKILL on POSIX
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).isEqualTo(137); // 128 + SIGKILL
        return p;
    }

    static void killResumeAndCompare(Path recipe, Path reference, String pauseAt) throws Exception {
        Path out = tmp.resolve("killed-" + pauseAt.replace(':', '-'));
        ft4j(pauseAt, "train", recipe.toString(), "--output", out.toString());
        assertThat(out.resolve("metrics.json")).as("nothing claims the run finished").doesNotExist();
        assertThat(out.resolve("model")).doesNotExist();
        Process again = ft4j(null, "train", recipe.toString(), "--output", out.toString(), "--resume");
        assertThat(again.exitValue()).isZero();
        assertThat(Files.readString(tmp.resolve("stdout.txt"))).contains("resume: from ");

        JsonNode a = JSON.readTree(out.resolve("metrics.json").toFile());
        JsonNode b = JSON.readTree(reference.resolve("metrics.json").toFile());
        for (String key : List.of("test", "validation")) assertThat(a.get(key)).as(key).isEqualTo(b.get(key));
        for (String key : List.of("epoch_train_loss", "validation_history", "best_step", "steps", "unfreezing")) {
            assertThat(a.get("train").get(key)).as(key).isEqualTo(b.get("train").get(key));
        }
        assertThat(Files.readAllBytes(out.resolve("model/model.safetensors")))
                .as("the exported weights, byte for byte")
                .isEqualTo(Files.readAllBytes(reference.resolve("model/model.safetensors")));
        assertThat(out.resolve("checkpoints")).doesNotExist();
    }

    @Test
    void theSameRecipeAndSeedGiveIdenticalMetricsAndWeights() throws Exception {
        Path again = tmp.resolve("full-again");
        ft4j(null, "train", full.toString(), "--output", again.toString());
        JsonNode a = JSON.readTree(again.resolve("metrics.json").toFile());
        JsonNode b = JSON.readTree(fullReference.resolve("metrics.json").toFile());
        assertThat(a.get("test")).isEqualTo(b.get("test"));
        assertThat(a.get("validation")).isEqualTo(b.get("validation"));
        assertThat(Files.readAllBytes(again.resolve("model/model.safetensors")))
                .isEqualTo(Files.readAllBytes(fullReference.resolve("model/model.safetensors")));
    }

    @Test
    void killedMidEpochAndResumed() throws Exception {
        killResumeAndCompare(full, fullReference, "step:8"); // between the checkpoints at steps 5 and 10
    }

    @Test
    void killedWhileWritingACheckpointAndResumed() throws Exception {
        killResumeAndCompare(full, fullReference, "checkpoint-write:2"); // the step-10 checkpoint, half written
    }

    @Test
    void killedDuringGradualUnfreezingAndResumed() throws Exception {
        killResumeAndCompare(gradual, gradualReference, "unfreeze:4"); // stage 3 just unfrozen at step 12
    }

    @Test
    void aKilledRunIsNotSilentlyOverwrittenWithoutResume() throws Exception {
        Path out = tmp.resolve("killed-overwrite");
        ft4j("step:6", "train", full.toString(), "--output", out.toString());
        Process again = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Dai.djl.offline=true", "-Dft4j.runs=" + System.getProperty("ft4j.runs", "target/test-runs"), "-cp", System.getProperty("java.class.path"), "dev.finetune4j.cli.Ft4j",
                "train", full.toString(), "--output", out.toString())
                .directory(tmp.toFile()).redirectErrorStream(true).start();
        String output = new String(again.getInputStream().readAllBytes());
        assertThat(again.waitFor(120, TimeUnit.SECONDS)).isTrue();
        assertThat(again.exitValue()).isEqualTo(2);
        assertThat(output).contains("holds checkpoints of an unfinished run").contains("--resume")
                .doesNotContain("\tat ");
        assertThat(out.resolve("checkpoints/step-000000005")).isDirectory();
    }
}
