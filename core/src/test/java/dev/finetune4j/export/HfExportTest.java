package dev.finetune4j.export;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import dev.finetune4j.TensorRuntime;
import dev.finetune4j.model.HostTensor;
import dev.finetune4j.model.Pooling;
import dev.finetune4j.model.bert.BertConfig;
import dev.finetune4j.model.bert.BertForSequenceClassification;
import dev.finetune4j.model.bert.BertModel;
import dev.finetune4j.model.io.ModelCatalog;
import dev.finetune4j.model.io.SafeTensors;
import dev.finetune4j.text.TextClassifier;
import dev.finetune4j.util.AtomicFiles;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HfExportTest {
    static final BertConfig TINY = BertConfig.tiny(30522);
    static final List<String> TEXTS = List.of("WIN a FREE cruise, click now", "see you at lunch", "ok");

    @TempDir
    Path tmp;

    @Test
    void exportHasTheTransformersLayoutAndLoadsBackWithIdenticalPredictions() throws Exception {
        Path tokenizer = ModelCatalog.resolve(ModelCatalog.find("all-minilm-l6-v2")).tokenizerJson();
        Path dir = tmp.resolve("model");
        float[][] before;
        try (NDManager m = TensorRuntime.newManager();
                BertForSequenceClassification model = BertForSequenceClassification.fromPretrained(m, TINY, BertModel.randomWeights(TINY, 5),
                        "random", Pooling.POOLER, null, null, List.of("ham", "spam", "eggs"), 11)) {
            HfExport.write(model, tokenizer, 64, Map.of("base_model", "random"), dir);
            try (TextClassifier loaded = TextClassifier.load(dir)) {
                before = loaded.probabilitiesOfTexts(TEXTS);
                assertThat(loaded.labels()).containsExactly("ham", "spam", "eggs");
                assertThat(loaded.maxLength()).isEqualTo(64);
                assertThat(loaded.model().pooling()).isEqualTo(Pooling.POOLER);
            }
            // The loaded model computes what the in-memory one computes.
            try (TextClassifier again = TextClassifier.load(dir)) {
                float[][] viaModel = dev.finetune4j.train.Evaluator.probabilities(model,
                        again.encode(TEXTS, new int[TEXTS.size()]), 8);
                for (int i = 0; i < TEXTS.size(); i++) assertThat(viaModel[i]).containsExactly(before[i]);
            }
        }
        assertThat(Files.list(dir).map(p -> p.getFileName().toString()))
                .containsExactlyInAnyOrder("config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json");
        JsonNode config = AtomicFiles.JSON.readTree(dir.resolve("config.json").toFile());
        assertThat(config.path("architectures").get(0).asText()).isEqualTo("BertForSequenceClassification");
        assertThat(config.path("model_type").asText()).isEqualTo("bert");
        assertThat(config.path("id2label").path("2").asText()).isEqualTo("eggs");
        assertThat(config.path("label2id").path("spam").asInt()).isEqualTo(1);
        Map<String, HostTensor> w = SafeTensors.read(dir.resolve("model.safetensors"));
        assertThat(w.get("classifier.weight").shape()).containsExactly(3, 32);
        assertThat(w.get("classifier.bias").shape()).containsExactly(3);
        assertThat(w.get("bert.pooler.dense.weight").shape()).containsExactly(32, 32);
        assertThat(w.get("bert.embeddings.word_embeddings.weight").shape()).containsExactly(30522, 32);
        assertThat(w.get("bert.encoder.layer.1.output.LayerNorm.bias").shape()).containsExactly(32);
        assertThat(w.keySet()).allMatch(k -> k.startsWith("bert.") || k.startsWith("classifier."));
        for (float[] row : before) {
            double sum = 0;
            for (float p : row) sum += p;
            assertThat(sum).isCloseTo(1.0, org.assertj.core.data.Offset.offset(1e-5));
        }
        try (Stream<Path> left = Files.list(tmp)) {
            assertThat(left.map(p -> p.getFileName().toString())).containsExactly("model"); // no staging dirs left
        }
    }
}
