package dev.finetune4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.finetune4j.testing.TinyRun;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The output contract of `ft4j train`, `predict` and `eval`, on a tiny random-init model and real mails. */
class CliContractTest {
    static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path tmp;

    static Path recipe;
    static Path out;
    static Result trained;

    record Result(int exit, String out, String err) {}

    static Result ft4j(String... args) {
        PrintStream oldOut = System.out, oldErr = System.err;
        ByteArrayOutputStream o = new ByteArrayOutputStream(), e = new ByteArrayOutputStream();
        System.setOut(new PrintStream(o, true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(e, true, StandardCharsets.UTF_8));
        try {
            int code = Ft4j.execute(args);
            return new Result(code, o.toString(StandardCharsets.UTF_8), e.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
    }

    @BeforeAll
    static void trainOnce() throws Exception {
        TinyRun.write(tmp, 120);
        recipe = tmp.resolve("recipe.yaml");
        Files.writeString(recipe, String.join("\n",
                "name: tiny",
                "model: tiny-bert",
                "data:",
                "  train: mails.jsonl",
                "  max_length: 32",
                "train:",
                "  epochs: 2",
                "  batch_size: 8",
                "  learning_rate: 1.0e-3",
                ""));
        out = tmp.resolve("run");
        trained = ft4j("train", recipe.toString(), "--output", out.toString(), "--set", "seed=3");
    }

    @Test
    void trainWritesMetricsAndAModelDirectory() throws Exception {
        assertThat(trained.exit()).as(trained.err()).isZero();
        JsonNode metrics = JSON.readTree(out.resolve("metrics.json").toFile());
        JsonNode test = metrics.path("test");
        assertThat(test.path("accuracy").isNumber()).isTrue();
        assertThat(test.path("macro_f1").isNumber()).isTrue(); // its value: metricsJsonAgreesWithTheTestPredictionsItWrote
        assertThat(test.path("per_class").has("spam")).isTrue();
        assertThat(test.path("per_class").has("ham")).isTrue();
        assertThat(test.path("confusion_matrix").path("labels").toString()).isEqualTo("[\"ham\",\"spam\"]");
        int total = 0;
        for (JsonNode row : test.path("confusion_matrix").path("matrix")) for (JsonNode c : row) total += c.asInt();
        assertThat(total).isEqualTo(test.path("n").asInt()).isEqualTo(12); // 10 % of 120, stratified
        assertThat(metrics.path("validation").path("macro_f1").isNumber()).isTrue();
        assertThat(metrics.path("train").path("epochs").asInt()).isEqualTo(2);
        assertThat(metrics.path("train").path("examples_per_second").asDouble()).isPositive();
        assertThat(Files.list(out.resolve("model")).map(p -> p.getFileName().toString()))
                .contains("config.json", "model.safetensors", "tokenizer.json");
        JsonNode run = JSON.readTree(out.resolve("run.json").toFile());
        assertThat(run.path("recipe").path("seed").asLong()).isEqualTo(3);
        assertThat(run.path("provenance").path("data").path("train").path("sha256").asText()).hasSize(64);
        assertThat(trained.out()).contains("test (held out)").contains("macro avg");
    }

    /**
     * metrics.json's test numbers are those of test_predictions.jsonl: recomputed from its label,
     * predicted and scores fields (accuracy, per-class and macro F1, confusion matrix, ROC-AUC,
     * loss); each line is a held-out mail of mails.jsonl with its own label, its scores sum to 1
     * and its prediction is their argmax; and the exported model predicts the same scores.
     */
    @Test
    void metricsJsonAgreesWithTheTestPredictionsItWrote() throws Exception {
        assertThat(trained.exit()).as(trained.err()).isZero();
        JsonNode test = JSON.readTree(out.resolve("metrics.json").toFile()).path("test");
        Path predictionsFile = out.resolve("test_predictions.jsonl");
        List<JsonNode> predictions = new java.util.ArrayList<>();
        for (String line : Files.readAllLines(predictionsFile)) predictions.add(JSON.readTree(line));
        assertThat(predictions).hasSize(test.path("n").asInt()).hasSize(12);

        List<String> mails = Files.readAllLines(tmp.resolve("mails.jsonl"));
        List<String> labels = List.of("ham", "spam");
        JsonNode exportedThreshold = JSON.readTree(out.resolve("model/config.json").toFile())
                .path("finetune4j").path("calibration").path("threshold");
        Double threshold = exportedThreshold.isNumber() ? exportedThreshold.asDouble() : null;
        int n = predictions.size();
        int[][] cm = new int[2][2];
        int correct = 0;
        double logLoss = 0;
        java.util.Set<Integer> lines = new java.util.HashSet<>();
        boolean[] positive = new boolean[n];
        double[] spamScore = new double[n];
        for (int i = 0; i < n; i++) {
            JsonNode p = predictions.get(i);
            int line = p.path("line").asInt();
            assertThat(lines.add(line)).as("line %d twice", line).isTrue();
            JsonNode mail = JSON.readTree(mails.get(line - 1));
            assertThat(p.path("label").asText()).as("label of line %d", line).isEqualTo(mail.path("label").asText());
            int gold = labels.indexOf(p.path("label").asText()), predicted = labels.indexOf(p.path("predicted").asText());
            assertThat(gold).isNotNegative();
            assertThat(predicted).isNotNegative();
            double ham = p.path("scores").path("ham").asDouble(), spam = p.path("scores").path("spam").asDouble();
            assertThat(ham + spam).as("scores of line %d", line).isCloseTo(1.0, org.assertj.core.data.Offset.offset(1e-5));
            assertThat(predicted).as("decision of line %d", line)
                    .isEqualTo(threshold == null ? (spam > ham ? 1 : 0) : (spam >= threshold ? 1 : 0));
            cm[gold][predicted]++;
            if (gold == predicted) correct++;
            logLoss -= Math.log(Math.max(gold == 1 ? spam : ham, 1e-12));
            positive[i] = gold == 1;
            spamScore[i] = spam;
        }
        org.assertj.core.data.Offset<Double> exact = org.assertj.core.data.Offset.offset(1e-9);
        assertThat(test.path("confusion_matrix").path("matrix").toString())
                .isEqualTo(JSON.writeValueAsString(cm));
        assertThat(test.path("accuracy").asDouble()).isCloseTo((double) correct / n, exact);
        double macroF1 = 0;
        for (int c = 0; c < 2; c++) {
            int tp = cm[c][c], support = cm[c][0] + cm[c][1], predictedAs = cm[0][c] + cm[1][c];
            double precision = predictedAs == 0 ? 0 : (double) tp / predictedAs, recall = support == 0 ? 0 : (double) tp / support;
            double f1 = precision + recall == 0 ? 0 : 2 * precision * recall / (precision + recall);
            JsonNode pc = test.path("per_class").path(labels.get(c));
            assertThat(pc.path("support").asInt()).isEqualTo(support);
            assertThat(pc.path("precision").asDouble()).as("precision of %s", labels.get(c)).isCloseTo(precision, exact);
            assertThat(pc.path("recall").asDouble()).as("recall of %s", labels.get(c)).isCloseTo(recall, exact);
            assertThat(pc.path("f1").asDouble()).as("f1 of %s", labels.get(c)).isCloseTo(f1, exact);
            macroF1 += f1 / 2;
        }
        assertThat(test.path("macro_f1").asDouble()).isCloseTo(macroF1, exact);
        // scores are written as doubles of the float probabilities: the loss and AUC agree to float precision
        assertThat(test.path("loss").asDouble()).isCloseTo(logLoss / n, org.assertj.core.data.Offset.offset(1e-5));
        double pairs = 0, wins = 0;
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                if (!positive[i] || positive[j]) continue;
                pairs++;
                wins += spamScore[i] > spamScore[j] ? 1 : spamScore[i] == spamScore[j] ? 0.5 : 0;
            }
        }
        assertThat(test.path("roc_auc").asDouble()).isCloseTo(wins / pairs, org.assertj.core.data.Offset.offset(1e-6));

        // The exported model gives the same held-out scores as the model that was evaluated. The tiny
        // model's scores differ from mail to mail only in the 4th-5th decimal, so the tolerance is tight
        // (measured: identical); an export that truncated at half the max_length moved them by ~2e-5.
        Path again = tmp.resolve("test-again.jsonl");
        Result r = ft4j("predict", "--model", out.resolve("model").toString(), "--input", predictionsFile.toString(),
                "--output", again.toString());
        assertThat(r.exit()).as(r.err()).isZero();
        List<String> exported = Files.readAllLines(again);
        assertThat(exported).hasSize(n);
        for (int i = 0; i < n; i++) {
            JsonNode e = JSON.readTree(exported.get(i)), p = predictions.get(i);
            assertThat(e.path("label").asText()).isEqualTo(p.path("predicted").asText());
            for (String label : labels) {
                assertThat(e.path("scores").path(label).asDouble()).as("%s score of line %d", label, p.path("line").asInt())
                        .isCloseTo(p.path("scores").path(label).asDouble(), org.assertj.core.data.Offset.offset(1e-6));
            }
        }
    }

    @Test
    void predictWritesOneJsonObjectPerText() throws Exception {
        Result r = ft4j("predict", "--model", out.resolve("model").toString(), "--text", "WIN a FREE cruise",
                "--text", "lunch at noon?");
        assertThat(r.exit()).as(r.err()).isZero();
        List<String> lines = r.out().lines().toList();
        assertThat(lines).hasSize(2);
        for (String line : lines) {
            JsonNode p = JSON.readTree(line);
            assertThat(p.path("label").asText()).isIn("ham", "spam");
            double sum = p.path("scores").path("ham").asDouble() + p.path("scores").path("spam").asDouble();
            assertThat(sum).isCloseTo(1.0, org.assertj.core.data.Offset.offset(1e-5));
        }

        Path predictions = tmp.resolve("predictions.jsonl");
        Result f = ft4j("predict", "--model", out.resolve("model").toString(), "--input",
                tmp.resolve("mails.jsonl").toString(), "--output", predictions.toString());
        assertThat(f.exit()).as(f.err()).isZero();
        assertThat(Files.readAllLines(predictions)).hasSize(120).allMatch(l -> l.contains("\"scores\""));
    }

    @Test
    void evalScoresLabelledData() {
        Result r = ft4j("eval", "--model", out.resolve("model").toString(), "--data", tmp.resolve("mails.jsonl").toString());
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out()).contains("macro avg").contains("confusion matrix");
    }

    @Test
    void evalOutputHasTheTestSectionOfTrainingAndTheComparisonWithTheExport() throws Exception {
        Path written = tmp.resolve("eval-metrics.json");
        Result r = ft4j("eval", "--model", out.resolve("model").toString(), "--data", tmp.resolve("mails.jsonl").toString(),
                "--output", written.toString());
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out()).contains("expected calibration error").contains("on the test split at export");
        JsonNode eval = JSON.readTree(written.toFile());
        JsonNode trainedTest = JSON.readTree(out.resolve("metrics.json").toFile()).path("test");
        List<String> keys = new java.util.ArrayList<>();
        trainedTest.fieldNames().forEachRemaining(keys::add);
        List<String> evalKeys = new java.util.ArrayList<>();
        eval.path("test").fieldNames().forEachRemaining(evalKeys::add);
        assertThat(evalKeys).isEqualTo(keys);
        assertThat(eval.path("test").path("n").asInt()).isEqualTo(120);
        assertThat(eval.path("compared_with_export").path("recorded_test_macro_f1").asDouble())
                .isEqualTo(trainedTest.path("macro_f1").asDouble());
        assertThat(eval.path("compared_with_export").path("fine_tune_due").isBoolean()).isTrue();
        assertThat(eval.path("calibration").path("ece").isNumber()).isTrue();
    }

    @Test
    void seedsRunsOncePerSeedAndReportsTheMeanAndInterval() throws Exception {
        Path dir = tmp.resolve("seeds");
        Result r = ft4j("train", recipe.toString(), "--output", dir.toString(), "--seeds", "2", "--set", "train.epochs=1",
                "--set", "seed=10");
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out()).contains("test metrics over 2 seeds [10, 11]");
        JsonNode seeds = JSON.readTree(dir.resolve("seeds.json").toFile());
        JsonNode f1 = seeds.path("test").path("macro_f1");
        double a = JSON.readTree(dir.resolve("seed-10/metrics.json").toFile()).path("test").path("macro_f1").asDouble();
        double b = JSON.readTree(dir.resolve("seed-11/metrics.json").toFile()).path("test").path("macro_f1").asDouble();
        assertThat(f1.path("values").get(0).asDouble()).isEqualTo(a);
        assertThat(f1.path("values").get(1).asDouble()).isEqualTo(b);
        assertThat(f1.path("mean").asDouble()).isCloseTo((a + b) / 2, org.assertj.core.data.Offset.offset(1e-12));
        assertThat(f1.path("high").asDouble() - f1.path("mean").asDouble())
                .as("t(0.975, 1) * sd / sqrt(2) = 12.706 * |a - b| / 2")
                .isCloseTo(12.706 * Math.abs(a - b) / 2, org.assertj.core.data.Offset.offset(1e-9));
        assertThat(seeds.path("test").has("f1[spam]")).isTrue();
    }

    @Test
    void planProbesEachStrategyInItsOwnJvmAndFitsTheBatchToTheMemoryGiven() throws Exception {
        Path plan = tmp.resolve("plan.json");
        Result r = ft4j("plan", recipe.toString(), "--strategies", "full,lora", "--memory", "1m", "--output",
                plan.toString());
        assertThat(r.exit()).as(r.err()).isZero();
        JsonNode p = JSON.readTree(plan.toFile());
        for (String strategy : List.of("full", "lora")) {
            JsonNode row = p.path(strategy);
            // 120 mails: 96 train, batches of 8, 2 epochs
            assertThat(row.path("total_steps").asInt()).as(strategy).isEqualTo(24);
            assertThat(row.path("examples_per_second").asDouble()).isPositive();
            assertThat(row.path("estimated_seconds").asDouble()).isPositive();
            assertThat(row.path("peak_rss_mb").asLong()).isGreaterThan(1);
            assertThat(row.path("memory_advice").asText()).as("no process fits in 1 MB").startsWith("does not fit 1m");
        }
        assertThat(r.out()).contains("full").contains("lora").contains("est. time");
    }

    @Test
    void userErrorsExitWithCode2AMessageAndNoStackTrace() throws Exception {
        Path bad = tmp.resolve("bad.yaml");
        Files.writeString(bad, Files.readString(recipe).replace("  epochs: 2", "  epochs: 2\n  learnig_rate: 0.1"));
        Result r = ft4j("train", bad.toString(), "--output", tmp.resolve("never").toString());
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).contains("bad.yaml:8:3").contains("did you mean 'learning_rate'").doesNotContain("\tat ");
        assertThat(tmp.resolve("never")).doesNotExist();

        Result missing = ft4j("predict", "--model", tmp.resolve("nope").toString(), "--text", "x");
        assertThat(missing.exit()).isEqualTo(2);
        assertThat(missing.err()).contains("model directory not found").doesNotContain("\tat ");
    }
}
