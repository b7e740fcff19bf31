package dev.finetune4j.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.finetune4j.pipeline.Predictor;
import dev.finetune4j.model.HostTensor;
import dev.finetune4j.model.io.SafeTensors;
import dev.finetune4j.recipe.RecipeLoader;
import dev.finetune4j.testing.TinyRun;
import dev.finetune4j.train.TrainingListener;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A LoRA run through the pipeline: the adapters train, the merge gate runs, and the export (loaded as
 * predict, eval and serve load it, with its calibration) predicts the tested probabilities.
 */
class LoraRunTest {
    static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void theMergeGateRunsAndTheExportPredictsTheTestedProbabilities(@TempDir Path tmp) throws Exception {
        TinyRun.write(tmp, 80);
        Path recipe = tmp.resolve("recipe.yaml");
        Files.writeString(recipe, String.join("\n", "name: tiny-lora", "model: tiny-bert", "seed: 5", "data:",
                "  train: mails.jsonl", "  max_length: 32", "strategy:", "  type: lora", "  rank: 4", "  alpha: 8",
                "train:", "  epochs: 2", "  batch_size: 16", "  learning_rate: 1.0e-2", ""));
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        Path out = tmp.resolve("run");
        new FineTune(RecipeLoader.load(recipe), new PrintStream(log, true, StandardCharsets.UTF_8))
                .run(out, TrainingListener.none());
        String printed = log.toString(StandardCharsets.UTF_8);

        Map<String, HostTensor> adapters = SafeTensors.read(out.resolve("adapter.safetensors"));
        HostTensor b = adapters.get("bert.encoder.layer.0.attention.self.query.lora_B.weight");
        assertThat(b).as("adapter.safetensors holds the trained adapters").isNotNull();
        assertThat(b.data()).as("B trained away from its zero start").isNotEqualTo(new float[b.data().length]);
        Matcher gate = Pattern.compile("merged \\(largest probability change (\\S+) on (\\d+) examples\\)").matcher(printed);
        assertThat(gate.find()).as(printed).isTrue();
        assertThat(Double.parseDouble(gate.group(1))).isLessThanOrEqualTo(FineTune.MERGE_TOLERANCE);
        assertThat(Integer.parseInt(gate.group(2))).as("checked on the validation split").isEqualTo(8);
        assertThat(SafeTensors.read(out.resolve("model/model.safetensors")).keySet())
                .noneMatch(k -> k.contains("lora_"));

        List<String> texts = new ArrayList<>();
        List<JsonNode> tested = new ArrayList<>();
        for (String line : Files.readAllLines(out.resolve("test_predictions.jsonl"))) {
            JsonNode p = JSON.readTree(line);
            tested.add(p);
            texts.add(p.path("text").asText());
        }
        try (Predictor exported = Modalities.load(out.resolve("model"))) {
            List<Predictor.Prediction> again = exported.predict(
                    texts.stream().map(t -> new dev.finetune4j.data.Example(t, null, 0)).toList());
            for (int i = 0; i < texts.size(); i++) {
                for (String label : List.of("ham", "spam")) {
                    assertThat(again.get(i).scores().get(label)).as("test text %d, %s", i, label)
                            .isCloseTo(tested.get(i).path("scores").path(label).asDouble(), within(1e-5));
                }
            }
        }
    }
}
