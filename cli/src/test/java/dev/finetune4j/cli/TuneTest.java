package dev.finetune4j.cli;

import dev.finetune4j.testing.TinyRun;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.finetune4j.recipe.RecipeLoader;
import dev.finetune4j.tune.StudyStore;
import dev.finetune4j.tune.Trial;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** `ft4j tune` on a tiny random-init model and real mails: the study, its store, its results, and resuming it. */
class TuneTest {
    @TempDir
    static Path tmp;

    static Path tuneFile;

    @BeforeAll
    static void fixture() throws Exception {
        TinyRun.write(tmp, 80);
        tuneFile = TinyRun.writeTuneFile(tmp, "sampler: random", "trials: 4", "seed: 1", "space:",
                "  train.learning_rate: {type: log_uniform, low: 1.0e-4, high: 1.0e-2}",
                "  strategy.type: {type: choice, values: [full, lora]}",
                "  strategy.rank: {type: int, low: 2, high: 8, when: {strategy.type: [lora]}}");
    }

    @Test
    void aStudyRecordsEveryTrialAndTrainsTheBest() throws Exception {
        Path out = tmp.resolve("study");
        CliContractTest.Result r = CliContractTest.ft4j("tune", tuneFile.toString(), "--output", out.toString());
        assertThat(r.exit()).as(r.err()).isZero();
        List<Trial> trials;
        try (StudyStore store = new StudyStore(out.resolve("study.db"))) {
            trials = store.trials();
        }
        assertThat(trials).hasSize(4).allMatch(t -> t.state() == Trial.State.COMPLETE);
        for (Trial t : trials) {
            assertThat(t.intermediate()).as("one validation value per epoch").hasSize(3);
            assertThat(t.params().containsKey("strategy.rank")).isEqualTo(t.params().get("strategy.type").equals("lora"));
            assertThat(t.value()).isEqualTo(t.intermediate().get(3L));
        }
        assertThat(Files.readAllLines(out.resolve("leaderboard.csv"))).hasSize(5).first().asString()
                .startsWith("rank,trial,state,value");
        double best = trials.stream().mapToDouble(Trial::value).max().orElseThrow();
        JsonNode board = new ObjectMapper().readTree(out.resolve("leaderboard.json").toFile());
        assertThat(board.get(0).get("value").asDouble()).isEqualTo(best);
        // The best trial's recipe is ready to run, and it was trained in full (test metrics, model).
        assertThat(RecipeLoader.load(out.resolve("best-recipe.yaml")).train().learningRate())
                .isEqualTo(((Number) trials.stream().filter(t -> t.value() == best).findFirst().orElseThrow()
                        .params().get("train.learning_rate")).doubleValue());
        assertThat(out.resolve("best/metrics.json")).exists();
        assertThat(out.resolve("best/model/model.safetensors")).exists();
        assertThat(out.resolve("trials/0/model")).as("trials export nothing").doesNotExist();
        assertThat(out.resolve("optimization-history.png")).isNotEmptyFile();
        assertThat(out.resolve("parameter-importance.png")).isNotEmptyFile();
        assertThat(r.out()).contains("rank").contains("COMPLETE");
    }

    @Test
    void aKilledStudyContinuesWithoutRerunningFinishedTrials() throws Exception {
        Path out = tmp.resolve("killed");
        // 60 training mails in batches of 16: 4 steps an epoch, 12 a trial; step 18 is inside trial 1.
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Dai.djl.offline=true", "-Dft4j.runs=" + System.getProperty("ft4j.runs", "target/test-runs"), "-Dft4j.pauseAt=step:18", "-cp", System.getProperty("java.class.path"),
                "dev.finetune4j.cli.Ft4j", "tune", tuneFile.toString(), "--output", out.toString(), "--no-best"));
        ProcessBuilder b = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(tmp.resolve("tune-killed.txt").toFile());
        b.environment().putAll(Map.of("MKL_CBWR", "AUTO", "MKL_DYNAMIC", "FALSE"));
        Process p = b.start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(240);
        while (!Files.readString(tmp.resolve("tune-killed.txt")).contains("ft4j-paused-at")) {
            assertThat(p.isAlive()).as(Files.readString(tmp.resolve("tune-killed.txt"))).isTrue();
            assertThat(System.nanoTime()).isLessThan(deadline);
            Thread.sleep(50);
        }
        p.destroyForcibly();
        p.waitFor(30, TimeUnit.SECONDS);

        List<Map<String, Object>> before;
        try (StudyStore store = new StudyStore(out.resolve("study.db"))) {
            before = store.rows();
        }
        assertThat(before).hasSize(2);
        assertThat(before.get(0).get("state")).isEqualTo("COMPLETE");
        assertThat(before.get(1).get("state")).isEqualTo("RUNNING");

        CliContractTest.Result r = CliContractTest.ft4j("tune", tuneFile.toString(), "--output", out.toString(), "--no-best");
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out()).contains("1 trial(s) interrupted last time will run again").contains("1 of 4 trials done");
        List<Map<String, Object>> after;
        try (StudyStore store = new StudyStore(out.resolve("study.db"))) {
            after = store.rows();
        }
        assertThat(after).hasSize(4).allMatch(row -> row.get("state").equals("COMPLETE"));
        Map<String, Object> first = after.stream().filter(row -> (Integer) row.get("number") == 0).findFirst().orElseThrow();
        assertThat(first.get("finished_at")).as("trial 0 was not run again").isEqualTo(before.get(0).get("finished_at"));
        assertThat(first.get("attempts")).isEqualTo(1);
        Map<String, Object> retried = after.stream().filter(row -> (Integer) row.get("number") == 1).findFirst().orElseThrow();
        assertThat(retried.get("attempts")).isEqualTo(2);
        assertThat(retried.get("params")).isEqualTo(before.get(1).get("params"));
    }

    /** Two trials training side by side in one JVM (each on its own thread with its own gradients). */
    @Test
    void parallelTrialsInOneProcessAllComplete() throws Exception {
        Path out = tmp.resolve("parallel");
        CliContractTest.Result r = CliContractTest.ft4j("tune", tuneFile.toString(), "--output", out.toString(),
                "--parallel", "2", "--no-best", "--set", "search.trials=4");
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out()).contains("2 trial(s) at once");
        try (StudyStore store = new StudyStore(out.resolve("study.db"))) {
            assertThat(store.rows()).hasSize(4).allSatisfy(row -> assertThat(row.get("state")).as(r.out()).isEqualTo("COMPLETE"));
            assertThat(store.trials()).allSatisfy(t -> assertThat(t.intermediate()).hasSize(3));
        }
    }

    @Test
    void theSparkBackendWithoutItsModuleIsAClearError() {
        CliContractTest.Result r = CliContractTest.ft4j("tune", tuneFile.toString(), "--output",
                tmp.resolve("nospark").toString(), "--backend", "spark");
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).contains("the Spark module is not on the classpath").doesNotContain("Exception");
    }

    /** With a frozen body, the first trial runs alone and computes the features; the others load them. */
    @Test
    void parallelFeatureExtractionTrialsComputeTheFeaturesOnce() throws Exception {
        Path out = tmp.resolve("parallel-fe");
        CliContractTest.Result r = CliContractTest.ft4j("tune", tuneFile.toString(), "--output", out.toString(),
                "--parallel", "2", "--no-best", "--set", "search.trials=3", "--set", "strategy.type=feature-extraction",
                "--set", "search.space={train.learning_rate: {type: log_uniform, low: 1.0e-3, high: 1.0e-1}}");
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out()).contains("the first trial runs alone");
        int computed = 0;
        for (int t = 0; t < 3; t++) {
            String log = Files.readString(out.resolve("trials/" + t + "/train.log"));
            if (log.contains("body run once")) computed++;
            else assertThat(log).contains("computed by an earlier trial");
        }
        assertThat(computed).isEqualTo(1);
    }
}
