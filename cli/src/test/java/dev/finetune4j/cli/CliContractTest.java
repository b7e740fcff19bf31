package dev.finetune4j.cli;

import dev.finetune4j.testing.TinyRun;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
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
        assertThat(test.path("macro_f1").asDouble()).isBetween(0.0, 1.0);
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
