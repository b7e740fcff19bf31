package dev.finetune4j.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDManager;
import dev.finetune4j.TensorRuntime;
import dev.finetune4j.UserError;
import dev.finetune4j.data.Example;
import dev.finetune4j.eval.ClassificationReport;
import dev.finetune4j.export.HfExport;
import dev.finetune4j.model.Pooling;
import dev.finetune4j.model.bert.BertConfig;
import dev.finetune4j.model.bert.BertForSequenceClassification;
import dev.finetune4j.model.bert.BertModel;
import dev.finetune4j.model.io.ModelCatalog;
import dev.finetune4j.text.TextClassifier;
import dev.finetune4j.text.TextModality;
import dev.finetune4j.train.Evaluator;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** An export is loaded by the modality its config.json names, through the modality-free {@link Predictor}. */
class ModalitiesTest {
    static final BertConfig TINY = BertConfig.tiny(30522);
    static final List<String> TEXTS = List.of("WIN a FREE cruise, click now", "see you at lunch", "ok");

    @TempDir
    Path tmp;

    @Test
    void everyModalityIsAlsoListedForTheRecipeLoader() {
        // a modality missing from META-INF/services/dev.finetune4j.recipe.TaskKeys would have no recipe keys
        assertThat(dev.finetune4j.recipe.TaskKeys.installed()).extracting(dev.finetune4j.recipe.TaskKeys::task)
                .containsExactlyInAnyOrderElementsOf(Modalities.all().stream().map(Modality::task).toList());
    }

    private Path export(Map<String, Object> info) throws Exception {
        Path tokenizer = ModelCatalog.resolve(ModelCatalog.find("all-minilm-l6-v2")).tokenizerJson();
        Path dir = tmp.resolve("model");
        try (NDManager m = TensorRuntime.newManager();
                BertForSequenceClassification model = BertForSequenceClassification.fromPretrained(m, TINY,
                        BertModel.randomWeights(TINY, 5), "random", Pooling.MEAN, null, null, List.of("ham", "spam"), 3)) {
            HfExport.write(model, tokenizer, 32, info, dir);
        }
        return dir;
    }

    @Test
    void theTaskInConfigJsonChoosesTheModalityAndItsPredictorMatchesTheTextClassifier() throws Exception {
        Path dir = export(Map.of("task", TextModality.TASK, "base_model", "random"));
        List<Example> examples = List.of(new Example(TEXTS.get(0), "spam", 1), new Example(TEXTS.get(1), "ham", 2),
                new Example(TEXTS.get(2), "ham", 3));
        try (Predictor predictor = Modalities.load(dir); TextClassifier text = TextClassifier.load(dir)) {
            assertThat(predictor).isInstanceOf(TextClassifier.class);
            float[][] expected = text.probabilitiesOfTexts(TEXTS);
            float[][] got = predictor.probabilities(examples);
            for (int i = 0; i < TEXTS.size(); i++) assertThat(got[i]).containsExactly(expected[i]);
            List<Predictor.Prediction> predictions = predictor.predict(examples);
            int[] argmax = Evaluator.argmax(expected);
            for (int i = 0; i < TEXTS.size(); i++) {
                assertThat(predictions.get(i).label()).isEqualTo(predictor.labels().get(argmax[i]));
                assertThat(predictions.get(i).scores().get("spam")).isEqualTo((double) expected[i][1]);
            }
            ClassificationReport report = predictor.evaluate(examples, "test");
            long right = IntStream.range(0, 3)
                    .filter(i -> predictor.labels().get(argmax[i]).equals(examples.get(i).label())).count();
            assertThat(report.accuracy()).isEqualTo(right / 3.0);
            assertThat(predictor.describe()).containsEntry("task", TextModality.TASK).containsEntry("max_length", 32)
                    .containsEntry("pooling", "mean").containsEntry("base_model", "random")
                    .containsEntry("labels", List.of("ham", "spam"));
            assertThatThrownBy(() -> predictor.evaluate(List.of(new Example("x", "eggs", 7)), "--data d.jsonl"))
                    .isInstanceOf(UserError.class).hasMessageContaining("eggs").hasMessageContaining("--data d.jsonl");
        }
    }

    @Test
    void anExportWithoutATaskIsStillABertTextClassifier() throws Exception {
        Path dir = export(Map.of("base_model", "random")); // what versions before finetune4j.task wrote
        try (Predictor predictor = Modalities.load(dir)) {
            assertThat(predictor.labels()).containsExactly("ham", "spam");
        }
    }

    @Test
    void aModelNoModalityLoadsIsAUserErrorNamingTheFile() throws Exception {
        Path dir = export(Map.of("task", "audio-classification"));
        assertThatThrownBy(() -> Modalities.load(dir)).isInstanceOf(UserError.class)
                .hasMessageContaining(dir.resolve("config.json").toString())
                .hasMessageContaining("finetune4j.task 'audio-classification'")
                .hasMessageContaining("installed: [text-classification, image-classification]");
        assertThatThrownBy(() -> Modalities.load(tmp.resolve("nope"))).isInstanceOf(UserError.class)
                .hasMessageContaining("model directory not found");
        Files.createDirectories(tmp.resolve("empty"));
        assertThatThrownBy(() -> Modalities.load(tmp.resolve("empty"))).isInstanceOf(UserError.class)
                .hasMessageContaining("config.json is missing");
        Files.writeString(tmp.resolve("empty/config.json"), "{not json");
        assertThatThrownBy(() -> Modalities.load(tmp.resolve("empty"))).isInstanceOf(UserError.class)
                .hasMessageContaining("not valid JSON");
    }
}
