package dev.finetune4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The real MiniLM (all 22.7 M weights training, dropout on) fine-tuned through the real launcher
 * {@code ./ft4j}, so with its environment (tcmalloc when present, MKL settings, thread counts):
 * two processes give the same model bytes, and a process killed at a random step after a checkpoint
 * and resumed gives them too. Each run writes a step trace ({@code ft4j.trace}); when bytes differ,
 * the message names the first step and phase (forward, backward, optimizer) where the runs parted.
 */
class RealModelReproducibilityTest {
    static final int STEPS = 24, CHECKPOINT_EVERY = 6;

    @TempDir
    static Path tmp;

    static Path recipe, reference;

    @BeforeAll
    static void referenceRun() throws Exception {
        List<String> mails = Files.readAllLines(Path.of("../examples/spam/emails.jsonl")).subList(0, 240);
        Files.write(tmp.resolve("mails.jsonl"), mails);
        recipe = tmp.resolve("recipe.yaml");
        Files.writeString(recipe, String.join("\n",
                "name: real-minilm",
                "model: all-minilm-l6-v2",
                "seed: 13",
                "data:",
                "  train: mails.jsonl",
                "  max_length: 16",
                "strategy: full",
                "train:",
                "  max_steps: " + STEPS,
                "  batch_size: 8",
                "  learning_rate: 5.0e-5",
                "  warmup_ratio: 0.1",
                "  checkpoint_every_steps: " + CHECKPOINT_EVERY,
                "  eval_every_steps: 12",
                ""));
        reference = tmp.resolve("reference");
        ft4j(null, reference);
    }

    @Test
    void twoProcessesGiveTheSameModelBytes() throws Exception {
        Path again = tmp.resolve("again");
        ft4j(null, again);
        assertSameRun(again);
    }

    @Test
    void aRunKilledAtARandomStepAfterACheckpointAndResumedGivesTheSameModelBytes() throws Exception {
        int killAt = CHECKPOINT_EVERY + 1 + new Random().nextInt(STEPS - CHECKPOINT_EVERY - 1);
        Path out = tmp.resolve("killed");
        ft4j("step:" + killAt, out);
        assertThat(out.resolve("model")).as("killed at step %d: nothing exported", killAt).doesNotExist();
        ft4j(null, out, "--resume");
        assertThat(Files.readString(out.resolve("ft4j.log"))).contains("resume: from ");
        assertSameRun(out, "killed at step " + killAt + " and resumed: ");
    }

    private static void assertSameRun(Path out) throws Exception {
        assertSameRun(out, "");
    }

    private static void assertSameRun(Path out, String what) throws Exception {
        byte[] expected = Files.readAllBytes(reference.resolve("model/model.safetensors"));
        byte[] actual = Files.readAllBytes(out.resolve("model/model.safetensors"));
        if (!java.util.Arrays.equals(expected, actual)) {
            throw new AssertionError(what + "model.safetensors differs from the reference run's; "
                    + firstDifference(reference.resolve("trace.jsonl"), out.resolve("trace.jsonl")));
        }
        JsonNode a = KillAndResumeTest.JSON.readTree(out.resolve("metrics.json").toFile());
        JsonNode b = KillAndResumeTest.JSON.readTree(reference.resolve("metrics.json").toFile());
        for (String key : List.of("test", "validation")) assertThat(a.get(key)).as(key).isEqualTo(b.get(key));
        for (String key : List.of("epoch_train_loss", "validation_history", "best_step", "steps")) {
            assertThat(a.get("train").get(key)).as(key).isEqualTo(b.get("train").get(key));
        }
    }

    /** The first trace line on which two runs differ, or what the traces say when they agree. */
    static String firstDifference(Path a, Path b) throws Exception {
        Map<String, String> byStep = new java.util.HashMap<>();
        for (String line : Files.readAllLines(a)) byStep.put(line.replaceAll(".*\"step\":(\\d+),.*", "$1"), line);
        for (String line : Files.readAllLines(b)) {
            String other = byStep.get(line.replaceAll(".*\"step\":(\\d+),.*", "$1"));
            if (other != null && !other.equals(line)) return "first differing step:\n  " + other + "\n  " + line;
        }
        return "every traced step agrees (the difference is after training: evaluation or export)";
    }

    /** Runs {@code ./ft4j train} in a new process; with {@code pauseAt}, SIGKILLs it once it pauses there. */
    static void ft4j(String pauseAt, Path out, String... extra) throws Exception {
        Files.createDirectories(out.getParent());
        List<String> cmd = new ArrayList<>(List.of("bash", Path.of("../ft4j").toAbsolutePath().normalize().toString(),
                "train", recipe.toString(), "--output", out.toString()));
        cmd.addAll(List.of(extra));
        ProcessBuilder builder = new ProcessBuilder(cmd);
        Map<String, String> env = builder.environment();
        env.keySet().removeIf(k -> k.startsWith("MKL_") || k.equals("LD_PRELOAD")); // the launcher's own, not surefire's
        env.put("FT4J_CLASSPATH", System.getProperty("java.class.path"));
        env.put("FT4J_RUNS", tmp.resolve("runs.db").toString());
        env.put("PATH", Path.of(System.getProperty("java.home"), "bin") + ":" + env.getOrDefault("PATH", "/usr/bin"));
        // Each process writes its own trace file (a killed attempt's under -killed), read back on failure.
        Path trace = out.resolveSibling(out.getFileName() + (pauseAt != null ? "-killed" : "") + "-trace.jsonl");
        env.put("JAVA_OPTS", "-Xmx1g -Dft4j.trace=" + trace + (pauseAt != null ? " -Dft4j.pauseAt=" + pauseAt : ""));
        Path log = Files.createTempFile(tmp, "ft4j-", ".log");
        Process p = builder.directory(tmp.toFile()).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        p.getOutputStream().close();
        if (pauseAt == null) {
            assertThat(p.waitFor(600, TimeUnit.SECONDS)).isTrue();
            if (p.exitValue() != 0) throw new AssertionError("ft4j failed: " + Files.readString(log));
            Files.copy(log, out.resolve("ft4j.log"));
            Files.copy(trace, out.resolve("trace.jsonl"));
            return;
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(600);
        while (!Files.readString(log).contains("ft4j-paused-at")) {
            if (!p.isAlive()) throw new AssertionError("ended before pausing at " + pauseAt + ": " + Files.readString(log));
            if (System.nanoTime() > deadline) throw new AssertionError("never paused at " + pauseAt);
            Thread.sleep(50);
        }
        p.destroyForcibly();
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).isEqualTo(137);
    }
}
