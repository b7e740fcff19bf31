package dev.finetune4j.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.finetune4j.TensorRuntime;
import dev.finetune4j.UserError;
import dev.finetune4j.model.HostTensor;
import dev.finetune4j.model.Pooling;
import dev.finetune4j.model.bert.BertConfig;
import dev.finetune4j.model.bert.BertForSequenceClassification;
import dev.finetune4j.model.bert.BertModel;
import dev.finetune4j.recipe.RecipeLoader;
import dev.finetune4j.testing.TinyRun;
import dev.finetune4j.train.TrainingListener;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Fine-tuning an ft4j export again: labels kept and extended, rehearsal of the old data, forgetting measured. */
class ContinualTest {
    static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path tmp;
    static Path first;

    @BeforeAll
    static void trainTheFirstModel() throws Exception {
        TinyRun.write(tmp, 200);
        List<String> all = Files.readAllLines(tmp.resolve("mails.jsonl"));
        Files.write(tmp.resolve("old.jsonl"), all.subList(0, 120));
        // the new data: later mails, and a new label for every third spam
        List<String> fresh = new ArrayList<>();
        int spam = 0;
        for (String line : all.subList(120, 200)) {
            JsonNode mail = JSON.readTree(line);
            String label = mail.path("label").asText();
            if (label.equals("spam") && spam++ % 3 == 0) label = "promo";
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("text", mail.path("text").asText());
            m.put("label", label);
            fresh.add(JSON.writeValueAsString(m));
        }
        Files.write(tmp.resolve("new.jsonl"), fresh);
        Files.writeString(tmp.resolve("first.yaml"), String.join("\n", "name: first", "model: tiny-bert", "seed: 4",
                "data:", "  train: old.jsonl", "  max_length: 32", "train:", "  epochs: 2", "  batch_size: 16",
                "  learning_rate: 1.0e-3", ""));
        first = tmp.resolve("first");
        new FineTune(RecipeLoader.load(tmp.resolve("first.yaml")), quiet()).run(first, TrainingListener.none());
    }

    @Test
    void theExportLearnsANewLabelKeepsItsOwnRehearsesAndMeasuresForgetting() throws Exception {
        Files.writeString(tmp.resolve("again.yaml"), String.join("\n", "name: again", "model: first/model", "seed: 4",
                "data:", "  train: new.jsonl", "train:", "  epochs: 1", "  batch_size: 16", "  learning_rate: 1.0e-3",
                "  rehearsal: 0.5", ""));
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        Path again = tmp.resolve("again");
        new FineTune(RecipeLoader.load(tmp.resolve("again.yaml")), new PrintStream(log, true, StandardCharsets.UTF_8))
                .run(again, TrainingListener.none());
        String printed = log.toString(StandardCharsets.UTF_8);

        JsonNode config = JSON.readTree(again.resolve("model/config.json").toFile());
        assertThat(config.path("id2label").toString()).isEqualTo("{\"0\":\"ham\",\"1\":\"spam\",\"2\":\"promo\"}");
        assertThat(config.path("finetune4j").path("max_length").asInt()).as("the export's max_length is kept").isEqualTo(32);
        assertThat(printed).contains("kept the head rows of [ham, spam] from the fine-tuned model; new labels [promo]");

        JsonNode metrics = JSON.readTree(again.resolve("metrics.json").toFile());
        JsonNode firstMetrics = JSON.readTree(first.resolve("metrics.json").toFile());
        JsonNode continual = metrics.path("continual");
        assertThat(continual.path("labels_added").toString()).isEqualTo("[\"promo\"]");
        // 120 old mails split 80/10/10: 96 old training examples, half of them rehearsed
        assertThat(continual.path("rehearsal").path("examples").asInt()).isEqualTo(48);
        assertThat(printed).contains("rehearsal: 48 of the 96 old training examples");
        JsonNode oldTest = continual.path("old_test");
        assertThat(oldTest.path("n").asInt()).isEqualTo(firstMetrics.path("test").path("n").asInt());
        assertThat(oldTest.path("before").path("macro_f1").asDouble())
                .as("the old test split is drawn again as it was: the first model scores it as its run did")
                .isCloseTo(firstMetrics.path("test").path("macro_f1").asDouble(), within(1e-9));
        assertThat(oldTest.path("forgetting").path("macro_f1").asDouble()).isCloseTo(
                oldTest.path("before").path("macro_f1").asDouble() - oldTest.path("after").path("macro_f1").asDouble(),
                within(1e-12));
        assertThat(printed).contains("forgetting: on the old test split");
        assertThat(metrics.path("data").path("train").path("rows_in").asInt()).isEqualTo(80);
    }

    @Test
    void rehearsalNeedsAnExportAndItsOldDataUnchanged() throws Exception {
        Files.writeString(tmp.resolve("plain.yaml"), String.join("\n", "name: plain", "model: tiny-bert", "data:",
                "  train: new.jsonl", "  max_length: 32", "train:", "  rehearsal: 0.2", ""));
        assertThatThrownBy(() -> new FineTune(RecipeLoader.load(tmp.resolve("plain.yaml")), quiet())
                .run(tmp.resolve("plain"), TrainingListener.none())).isInstanceOf(UserError.class)
                .hasMessageContaining("is not an ft4j export");

        // a copy of the first export whose recorded training data no longer matches
        Path copy = tmp.resolve("copy");
        Files.createDirectories(copy.resolve("model"));
        for (Path f : Files.list(first.resolve("model")).toList()) Files.copy(f, copy.resolve("model").resolve(f.getFileName()));
        JsonNode config = JSON.readTree(copy.resolve("model/config.json").toFile());
        ((com.fasterxml.jackson.databind.node.ObjectNode) config.path("finetune4j").path("provenance").path("data")
                .path("train")).put("sha256", "0".repeat(64));
        JSON.writeValue(copy.resolve("model/config.json").toFile(), config);
        Files.writeString(tmp.resolve("changed.yaml"), String.join("\n", "name: changed", "model: copy/model", "data:",
                "  train: new.jsonl", "train:", "  epochs: 1", "  rehearsal: 0.2", ""));
        assertThatThrownBy(() -> new FineTune(RecipeLoader.load(tmp.resolve("changed.yaml")), quiet())
                .run(tmp.resolve("changed"), TrainingListener.none())).isInstanceOf(UserError.class)
                .hasMessageContaining("changed since (SHA-256 differs)").hasMessageContaining("set train.rehearsal: 0");
    }

    @Test
    void eachKeptLabelKeepsItsHeadRowWhereverItNowSits() {
        BertConfig tiny = BertConfig.tiny(50);
        Map<String, HostTensor> weights = new LinkedHashMap<>(BertModel.randomWeights(tiny, 3));
        int h = tiny.hiddenSize();
        float[] w = new float[2 * h];
        for (int i = 0; i < w.length; i++) w[i] = i < h ? 1f : 2f; // row 0 (ham) all 1, row 1 (spam) all 2
        weights.put("classifier.weight", new HostTensor(new long[] {2, h}, w));
        weights.put("classifier.bias", new HostTensor(new long[] {2}, new float[] {0.5f, -0.5f}));
        try (NDManager manager = TensorRuntime.newManager();
                BertForSequenceClassification model = BertForSequenceClassification.fromPretrained(manager, tiny, weights,
                        "test", Pooling.MEAN, null, null, List.of("spam", "ham", "promo"), 1, List.of("ham", "spam"))) {
            float[] head = model.parameters().get("classifier.weight").toFloatArray();
            float[] bias = model.parameters().get("classifier.bias").toFloatArray();
            for (int j = 0; j < h; j++) {
                assertThat(head[j]).isEqualTo(2f);
                assertThat(head[h + j]).isEqualTo(1f);
            }
            assertThat(bias).containsExactly(-0.5f, 0.5f, 0f);
            assertThat(head[2 * h]).as("the new label starts at random").isNotIn(1f, 2f);
        }
    }

    private static PrintStream quiet() {
        return new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);
    }
}
