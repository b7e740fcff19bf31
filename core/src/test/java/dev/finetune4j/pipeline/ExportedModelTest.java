package dev.finetune4j.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.finetune4j.data.Example;
import dev.finetune4j.eval.Calibration;
import dev.finetune4j.recipe.RecipeLoader;
import dev.finetune4j.testing.TinyRun;
import dev.finetune4j.text.TextClassifier;
import dev.finetune4j.train.TrainingListener;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a run leaves besides its model: the calibration it fitted (in metrics.json, the export, and
 * applied by the loaded predictor), slice metrics, the model card, and the comparison that
 * {@code ft4j eval} makes with the metrics recorded at export. One tiny run, many checks.
 */
class ExportedModelTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

    @TempDir
    static Path tmp;
    static Path out;
    static JsonNode metrics;
    static String printed;

    @BeforeAll
    static void train() throws Exception {
        TinyRun.write(tmp, 160);
        // a "source" column to slice by: every third mail from the list, the rest from the archive
        List<String> withSource = new ArrayList<>();
        List<String> mails = Files.readAllLines(tmp.resolve("mails.jsonl"));
        for (int i = 0; i < mails.size(); i++) {
            String m = mails.get(i);
            withSource.add(m.substring(0, m.length() - 1) + ", \"source\": \"" + (i % 3 == 0 ? "list" : "archive") + "\"}");
        }
        Files.write(tmp.resolve("mails.jsonl"), withSource);
        Path recipe = tmp.resolve("recipe.yaml");
        Files.writeString(recipe, String.join("\n", "name: tiny-card", "model: tiny-bert", "seed: 9", "data:",
                "  train: mails.jsonl", "  max_length: 32", "  validation_fraction: 0.25", "  test_fraction: 0.25",
                "train:", "  epochs: 2", "  batch_size: 16", "  learning_rate: 1.0e-3", "eval:", "  slices: [source]",
                "  hardest_examples: 3", ""));
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        out = tmp.resolve("run");
        new FineTune(RecipeLoader.load(recipe), new PrintStream(log, true, StandardCharsets.UTF_8))
                .run(out, TrainingListener.none());
        printed = log.toString(StandardCharsets.UTF_8);
        metrics = JSON.readTree(out.resolve("metrics.json").toFile());
    }

    @Test
    void theFittedCalibrationIsExportedAndAppliedByTheLoadedModel() throws Exception {
        JsonNode calibration = metrics.path("calibration");
        double t = calibration.path("temperature").asDouble();
        assertThat(t).isPositive();
        assertThat(calibration.path("validation").path("nll_after").asDouble())
                .as("temperature scaling minimises the validation NLL")
                .isLessThanOrEqualTo(calibration.path("validation").path("nll_before").asDouble() + 1e-9);
        assertThat(calibration.path("test").path("n").asInt()).isEqualTo(metrics.path("test").path("n").asInt());
        assertThat(printed).contains("calibration: temperature").contains("decision threshold: spam when P(spam) >=");

        JsonNode exported = JSON.readTree(out.resolve("model/config.json").toFile()).path("finetune4j");
        assertThat(exported.path("calibration").path("temperature").asDouble()).isEqualTo(t);
        assertThat(exported.path("metrics").path("test").path("macro_f1").asDouble())
                .isEqualTo(metrics.path("test").path("macro_f1").asDouble());

        List<String> texts = new ArrayList<>();
        List<JsonNode> tested = new ArrayList<>();
        for (String line : Files.readAllLines(out.resolve("test_predictions.jsonl"))) {
            JsonNode p = JSON.readTree(line);
            tested.add(p);
            texts.add(p.path("text").asText());
        }
        List<Example> examples = texts.stream().map(x -> new Example(x, null, 0)).toList();
        float[][] raw;
        try (TextClassifier uncalibrated = TextClassifier.load(out.resolve("model"))) {
            raw = uncalibrated.probabilitiesOfTexts(texts);
        }
        try (Predictor model = Modalities.load(out.resolve("model"))) {
            float[][] calibrated = model.probabilities(examples);
            float[][] expected = Calibration.scale(raw, t);
            for (int i = 0; i < raw.length; i++) assertThat(calibrated[i]).containsExactly(expected[i], within(1e-6f));
            List<Predictor.Prediction> predictions = model.predict(examples);
            for (int i = 0; i < texts.size(); i++) {
                assertThat(predictions.get(i).label()).as("test text %d", i).isEqualTo(tested.get(i).path("predicted").asText());
                assertThat(predictions.get(i).scores().get("spam"))
                        .isCloseTo(tested.get(i).path("scores").path("spam").asDouble(), within(1e-5));
            }
            assertThat(model.describe()).containsKey("calibration");
        }
    }

    @Test
    void slicesAreMeasuredOnTheTestSplitByTheColumnsValues() {
        JsonNode slice = metrics.path("slices").path("source");
        List<String> values = new ArrayList<>();
        int n = 0;
        for (JsonNode g : slice.path("groups")) {
            values.add(g.path("value").asText());
            n += g.path("n").asInt();
        }
        assertThat(values).containsExactlyInAnyOrder("archive", "list");
        assertThat(n).isEqualTo(metrics.path("test").path("n").asInt());
        assertThat(printed).contains("slices by source:");
    }

    @Test
    void theModelCardHasHuggingFaceFrontMatterWithTheTestMetrics() throws Exception {
        String card = Files.readString(out.resolve("model/README.md"));
        assertThat(card).startsWith("---\n");
        String front = card.substring(4, card.indexOf("\n---\n", 4) + 1);
        JsonNode meta = YAML.readTree(front);
        assertThat(meta.path("license").asText()).isEqualTo("unknown");
        assertThat(meta.path("base_model").asText()).isEqualTo("tiny-bert");
        assertThat(meta.path("library_name").asText()).isEqualTo("finetune4j");
        assertThat(meta.path("pipeline_tag").asText()).isEqualTo("text-classification");
        JsonNode result = meta.path("model-index").path(0).path("results").path(0);
        assertThat(result.path("dataset").path("split").asText()).isEqualTo("test");
        assertThat(result.path("metrics").path(0).path("type").asText()).isEqualTo("accuracy");
        assertThat(result.path("metrics").path(0).path("value").asDouble())
                .isEqualTo(metrics.path("test").path("accuracy").asDouble());
        assertThat(result.path("metrics").path(1).path("value").asDouble())
                .isEqualTo(metrics.path("test").path("macro_f1").asDouble());
        assertThat(card).contains("## Intended use", "## Training data", "cleaning dropped", "## Training procedure",
                "## Evaluation", "By `source`:", "## Calibration", "## Limitations", "## Provenance",
                metrics.path("reproducibility").isMissingNode() ? "" : "weights_sha256");
        String report = Files.readString(out.resolve("report/report.html"));
        assertThat(report).contains("<h2>Diagnostics</h2>", "<h2>Calibration</h2>", "alt=\"reliability.png\"",
                "<h2>Test by source</h2>", "id=\"hardest\"");
    }

    @Test
    void evaluatingOnNewDataComparesWithTheMetricsRecordedAtExport() throws Exception {
        List<Example> same = new ArrayList<>();
        List<Example> flipped = new ArrayList<>();
        for (String line : Files.readAllLines(out.resolve("test_predictions.jsonl"))) {
            JsonNode p = JSON.readTree(line);
            same.add(new Example(p.path("text").asText(), p.path("label").asText(), p.path("line").asInt()));
            flipped.add(new Example(p.path("text").asText(), p.path("label").asText().equals("spam") ? "ham" : "spam",
                    p.path("line").asInt()));
        }
        JsonNode info = JSON.readTree(out.resolve("model/config.json").toFile()).path("finetune4j");
        try (Predictor model = Modalities.load(out.resolve("model"))) {
            Reevaluation again = Reevaluation.of(model.score(same, "test"), info);
            assertThat(again.scored().report().macro().f1()).isCloseTo(metrics.path("test").path("macro_f1").asDouble(),
                    within(1e-9));
            assertThat(again.fineTuneDue()).isFalse();
            assertThat(again.verdict()).contains("no new fine-tune is needed yet");
            assertThat(again.toMap()).containsKeys("test", "calibration", "compared_with_export");

            Reevaluation drifted = Reevaluation.of(model.score(flipped, "test"), info);
            if (metrics.path("test").path("macro_f1").asDouble() > 0.6) {
                assertThat(drifted.fineTuneDue()).isTrue();
                assertThat(drifted.verdict()).contains("fine-tune again");
            }
        }
    }
}
