package dev.finetune4j.dashboard;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.finetune4j.cli.Ft4j;
import dev.finetune4j.testing.TinyRun;
import dev.finetune4j.track.RunStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The dashboard in a real headless Chromium: the runs table, a run's curves and confusion matrix
 * show the recorded values, a running run's curves grow as it records, and the compare and study
 * pages render. The runs are real: a tiny model trained and tuned through the CLI.
 */
class DashboardTest {
    @TempDir
    static Path tmp;

    static Path store;
    static String previousRuns;
    static Dashboard dashboard;
    static HeadlessChromium chromium;
    static String url;

    @BeforeAll
    static void trainAndServe() throws Exception {
        // Before the training: on CI a missing browser fails here; elsewhere each test is skipped (below).
        if (!HeadlessChromium.available()) return;
        TinyRun.write(tmp, 80);
        List<String> recipe = List.of("name: tiny", "model: tiny-bert", "seed: 3", "data:", "  train: mails.jsonl",
                "  max_length: 32", "  validation_fraction: 0.2", "  test_fraction: 0.2", "train:", "  epochs: 3",
                "  batch_size: 16", "  early_stopping: false");
        Path train = Files.write(tmp.resolve("recipe.yaml"), recipe);
        Path tune = tmp.resolve("tune.yaml");
        List<String> tuneFile = new java.util.ArrayList<>(recipe);
        tuneFile.addAll(List.of("search:", "  metric: validation.macro_f1", "  sampler: random", "  trials: 3",
                "  seed: 1", "  space:", "    train.learning_rate: {type: log_uniform, low: 1.0e-4, high: 1.0e-2}"));
        Files.write(tune, tuneFile);
        previousRuns = System.getProperty("ft4j.runs");
        System.setProperty("ft4j.runs", tmp.resolve("runs").toString());
        store = tmp.resolve("runs/runs.db");
        assertThat(Ft4j.execute("train", train.toString(), "--output", tmp.resolve("a").toString())).isZero();
        assertThat(Ft4j.execute("train", train.toString(), "--output", tmp.resolve("b").toString(), "--set",
                "train.learning_rate=3e-3")).isZero();
        assertThat(Ft4j.execute("tune", tune.toString(), "--output", tmp.resolve("study").toString(), "--no-best")).isZero();
        dashboard = Dashboard.start(store, "127.0.0.1", 0);
        url = "http://127.0.0.1:" + dashboard.port();
        chromium = HeadlessChromium.start(tmp);
    }

    /** Each test skipped with a note saying what to install (a class-level skip would not show in Maven's summary). */
    @BeforeEach
    void needsTheBrowser() {
        HeadlessChromium.requireOrSkip();
    }

    @AfterAll
    static void stop() throws Exception {
        if (chromium != null) chromium.close();
        if (dashboard != null) dashboard.close();
        if (previousRuns == null) System.clearProperty("ft4j.runs");
        else System.setProperty("ft4j.runs", previousRuns);
    }

    private static List<RunStore.Run> runs() {
        try (RunStore s = new RunStore(store)) {
            return s.runs();
        }
    }

    private static RunStore.Run trainRun(String dir) {
        return runs().stream().filter(r -> r.kind().equals("train") && r.outputDir().endsWith(dir)).findFirst().orElseThrow();
    }

    @Test
    void theRunsTableListsEveryRunWithItsRecordedMetricsAndSorts() throws Exception {
        chromium.open(url + "/");
        chromium.await("document.body.dataset.loaded === 'true'", Duration.ofSeconds(20));
        JsonNode rows = chromium.script("return [...document.querySelectorAll('#runs tbody tr')].map(tr => ({id: tr.dataset.id,"
                + " f1: tr.querySelector('td[data-key=\"test.macro_f1\"]').textContent}));");
        assertThat(rows).hasSize(runs().size()).hasSize(5); // 2 train runs + 3 trials
        for (RunStore.Run r : runs()) {
            JsonNode row = find(rows, r.id());
            Object f1 = r.summary().get("test.macro_f1");
            assertThat(row.get("f1").asText()).isEqualTo(f1 == null ? "-" : String.format(Locale.ROOT, "%.4f", (Double) f1));
        }
        // Sort by test macro-F1 (best first), then filter to trials only.
        chromium.script("document.querySelector('th[data-key=\"test.macro_f1\"]').click(); return 1;");
        JsonNode sorted = chromium.script("return [...document.querySelectorAll('#runs tbody tr')].slice(0, 2).map(tr => tr.dataset.id);");
        RunStore.Run best = runs().stream().filter(r -> r.summary().get("test.macro_f1") != null)
                .max((x, y) -> Double.compare((Double) x.summary().get("test.macro_f1"), (Double) y.summary().get("test.macro_f1")))
                .orElseThrow();
        assertThat(sorted.get(0).asText()).isEqualTo(best.id());
        chromium.script("const f = document.getElementById('filter'); f.value = 'trial'; f.dispatchEvent(new Event('input')); return 1;");
        assertThat(chromium.script("return document.querySelectorAll('#runs tbody tr').length;").asInt()).isEqualTo(3);
        assertThat(chromium.script("return document.querySelectorAll('#studies tbody tr').length;").asInt()).isEqualTo(1);
    }

    @Test
    void aRunsPageDrawsItsRecordedCurvesAndConfusionMatrix() throws Exception {
        RunStore.Run run = trainRun("/a");
        chromium.open(url + "/runs/" + run.id());
        chromium.await("document.body.dataset.loaded === 'true' && window.ft4jCharts.loss", Duration.ofSeconds(20));
        List<RunStore.Point> points;
        try (RunStore s = new RunStore(store)) {
            points = s.points(run.id());
        }
        // The loss chart holds exactly the recorded train loss per step and validation loss per evaluation.
        JsonNode data = chromium.script("return window.ft4jCharts.loss.data;");
        List<Long> steps = new ArrayList<>();
        data.get(0).forEach(x -> steps.add(x.asLong()));
        for (RunStore.Point p : points) {
            if (!p.key().equals("train.loss") && !p.key().equals("validation.loss")) continue;
            int i = steps.indexOf(p.step());
            assertThat(i).as("step %d on the x axis", p.step()).isGreaterThanOrEqualTo(0);
            assertThat(data.get(p.key().equals("train.loss") ? 1 : 2).get(i).asDouble()).isCloseTo(p.value(), within(1e-9));
        }
        long trainSteps = points.stream().filter(p -> p.key().equals("train.loss")).count();
        assertThat(trainSteps).isGreaterThan(5);
        JsonNode f1 = chromium.script("return window.ft4jCharts.metrics.data[1].filter(v => v !== null);");
        assertThat(f1).hasSize(3); // three epochs, three evaluations
        // uPlot drew on a real canvas
        assertThat(chromium.script("const c = document.querySelector('#chart-loss canvas'); return c.width * c.height;").asInt())
                .isGreaterThan(10_000);
        // The confusion matrix is the test split's from metrics.json, cell by cell.
        JsonNode expected = new ObjectMapper().readTree(Path.of(run.outputDir(), "metrics.json").toFile())
                .path("test").path("confusion_matrix").path("matrix");
        JsonNode cells = chromium.script("return [...document.querySelectorAll('#confusion td[data-true]')]"
                + ".map(td => [+td.dataset.true, +td.dataset.pred, +td.textContent]);");
        assertThat(cells).hasSize(expected.size() * expected.size());
        for (JsonNode c : cells) assertThat(c.get(2).asInt()).isEqualTo(expected.get(c.get(0).asInt()).get(c.get(1).asInt()).asInt());
        assertThat(chromium.script("return document.getElementById('status').textContent;").asText()).isEqualTo("finished");
    }

    @Test
    void aRunningRunsCurvesGrowWhileItRecords() throws Exception {
        String id;
        try (RunStore s = new RunStore(store)) {
            id = s.start(new RunStore.NewRun("live", "train", tmp.resolve("live"), Map.of("seed", 1), null, null));
            s.record(id, List.of(new RunStore.Point(1, 1, "train.loss", 0.9, System.currentTimeMillis()),
                    new RunStore.Point(2, 1, "train.loss", 0.8, System.currentTimeMillis())));
        }
        chromium.open(url + "/runs/" + id);
        chromium.await("window.ft4jCharts.loss && window.ft4jCharts.loss.data[0].length === 2", Duration.ofSeconds(20));
        try (RunStore s = new RunStore(store)) {
            s.record(id, List.of(new RunStore.Point(3, 1, "train.loss", 0.7, System.currentTimeMillis())));
        }
        chromium.await("window.ft4jCharts.loss.data[0].length === 3 && window.ft4jCharts.loss.data[1][2] === 0.7",
                Duration.ofSeconds(15));
        try (RunStore s = new RunStore(store)) {
            s.finish(id, RunStore.Status.FINISHED, Map.of(), Map.of(), null);
        }
        chromium.await("document.getElementById('status').textContent === 'finished'", Duration.ofSeconds(15));
    }

    @Test
    void theCompareViewShowsTheParameterThatDiffers() throws Exception {
        RunStore.Run a = trainRun("/a"), b = trainRun("/b");
        chromium.open(url + "/compare?ids=" + a.id() + "," + b.id());
        chromium.await("document.body.dataset.loaded === 'true'", Duration.ofSeconds(20));
        JsonNode differing = chromium.script("return [...document.querySelectorAll('#params tr.differs th')].map(th => th.textContent);");
        assertThat(differing).extracting(JsonNode::asText).containsExactly("train.learning_rate");
        assertThat(chromium.script("return window.ft4jCharts.f1.data.length;").asInt()).isEqualTo(3);
    }

    @Test
    void theStudyPageShowsItsTrials() throws Exception {
        chromium.open(url + "/studies/0");
        chromium.await("document.body.dataset.loaded === 'true'", Duration.ofSeconds(20));
        assertThat(chromium.script("return document.querySelectorAll('#trials tbody tr').length;").asInt()).isEqualTo(3);
        assertThat(chromium.script("return window.ft4jCharts.history.data[1].filter(v => v !== null).length;").asInt())
                .isEqualTo(3);
        assertThat(chromium.script("return document.querySelectorAll('#parallel polyline.trial').length;").asInt()).isEqualTo(3);
    }

    private static JsonNode find(JsonNode rows, String id) {
        for (JsonNode r : rows) if (r.get("id").asText().equals(id)) return r;
        throw new AssertionError("no row for run " + id + " in " + rows);
    }
}
