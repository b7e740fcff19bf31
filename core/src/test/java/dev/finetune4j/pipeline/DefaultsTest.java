package dev.finetune4j.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.finetune4j.UserError;
import dev.finetune4j.model.Pooling;
import dev.finetune4j.model.io.ModelSource;
import dev.finetune4j.recipe.ClassWeights;
import dev.finetune4j.recipe.Recipe;
import dev.finetune4j.recipe.RecipeLoader;
import dev.finetune4j.testing.TinyRun;
import dev.finetune4j.text.TextModality;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What a run chooses for the keys a recipe leaves out, and that a rerun of the resolved recipe is the same run. */
class DefaultsTest {
    @TempDir
    Path dir;

    private Recipe recipe(String... lines) throws IOException {
        Files.writeString(dir.resolve("train.jsonl"), "{\"text\": \"hi\", \"label\": \"ham\"}\n");
        Path file = dir.resolve("recipe.yaml");
        Files.writeString(file, "name: r\nmodel: all-minilm-l6-v2\ndata:\n  train: train.jsonl\n" + String.join("\n", lines)
                + "\n");
        return RecipeLoader.load(file);
    }

    private static Map<String, Object> chosen(List<Defaults.Choice> choices) {
        return choices.stream().collect(Collectors.toMap(Defaults.Choice::key, Defaults.Choice::value));
    }

    @Test
    void epochsAimAtATargetNumberOfStepsAndClassWeightsFollowImbalance() throws IOException {
        // 2,400 examples in batches of 32: 75 steps an epoch, 4 epochs reach about 300 steps
        Map<String, Object> full = chosen(Defaults.choose(recipe(), List.of(), new int[] {1200, 1200}));
        assertThat(full).containsEntry("train.epochs", 4).containsEntry("train.learning_rate", 5e-5)
                .containsEntry("train.class_weights", ClassWeights.NONE).containsEntry("train.early_stopping.patience", 2);

        // a head on cached features trains to convergence: 5,000 steps, at least 50 epochs
        Map<String, Object> head = chosen(Defaults.choose(recipe("strategy: feature-extraction"), List.of(),
                new int[] {1200, 1200}));
        assertThat(head).containsEntry("train.epochs", 67).containsEntry("train.learning_rate", 1e-2)
                .containsEntry("train.early_stopping.patience", 10);

        // 40 examples: 2 steps an epoch; epochs stop at 20. The small class is a fifth of the large one
        Map<String, Object> small = chosen(Defaults.choose(recipe("strategy: lora"), List.of(), new int[] {35, 5}));
        assertThat(small).containsEntry("train.epochs", 20).containsEntry("train.learning_rate", 1e-3)
                .containsEntry("train.class_weights", ClassWeights.AUTO);

        // gradient accumulation counts optimizer steps, not batches
        assertThat(chosen(Defaults.choose(recipe("train:", "  gradient_accumulation_steps: 4"), List.of(),
                new int[] {1200, 1200}))).containsEntry("train.epochs", 16);
    }

    @Test
    void whatTheRecipeGivesIsNeverChosenAndTheModalityChoosesFirst() throws IOException {
        Recipe given = recipe("head:", "  pooling: cls", "train:", "  epochs: 3", "  learning_rate: 2.0e-5",
                "  class_weights: none", "  early_stopping:", "    patience: 4");
        assertThat(Defaults.choose(given, List.of(), new int[] {100, 1})).isEmpty();

        List<Defaults.Choice> choices = Defaults.choose(recipe(), List.of(new Defaults.Choice("train.learning_rate", 1e-4,
                "the modality's")), new int[] {10, 10});
        assertThat(choices).filteredOn(c -> c.key().equals("train.learning_rate")).extracting(Defaults.Choice::value)
                .containsExactly(1e-4);
        assertThat(Defaults.choose(recipe("train:", "  early_stopping: false"), List.of(), new int[] {10, 10}))
                .extracting(Defaults.Choice::key).doesNotContain("train.early_stopping.patience");
    }

    @Test
    void theChoicesAreInTheResolvedRecipeSoThatItReadsBackAsTheSameRun() throws IOException {
        Recipe given = recipe();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        List<Defaults.Choice> choices = Defaults.choose(given, List.of(new Defaults.Choice("head.pooling", Pooling.MEAN,
                "the model's")), new int[] {30, 10});
        Recipe filled = Defaults.apply(given, choices, new PrintStream(out, true, StandardCharsets.UTF_8));

        assertThat(filled.head().pooling()).isEqualTo(Pooling.MEAN);
        assertThat(filled.train().learningRate()).isEqualTo(5e-5);
        assertThat(filled.train().classWeights()).isEqualTo(ClassWeights.AUTO);
        assertThat(filled.train().earlyStopping().patience()).isEqualTo(2);
        assertThat(out.toString(StandardCharsets.UTF_8)).contains("chosen (set the key in the recipe to override):")
                .contains("  train.class_weights: auto — the largest class has 30 training examples, the smallest 10");
        Path resolved = dir.resolve("resolved.yaml");
        Files.writeString(resolved, RecipeLoader.toYaml(filled.resolved()));
        Recipe again = RecipeLoader.load(resolved);
        assertThat(again).isEqualTo(filled);
        assertThat(Defaults.choose(again, List.of(), new int[] {30, 10})).isEmpty();
    }

    @Test
    void textChoosesThePoolingTheCheckpointWasTrainedWithAndARateByBodySize() throws IOException {
        TinyRun.write(dir, 8);
        TextModality text = new TextModality();
        Recipe minilm = recipe();
        Map<String, Object> fromCatalogue = chosen(text.choose(minilm, ModelSource.resolve("all-minilm-l6-v2", dir)));
        // MiniLM ships no pooler; sentence-transformers trained it with mean pooling
        assertThat(fromCatalogue).containsEntry("head.pooling", Pooling.MEAN).containsEntry("train.learning_rate", 1e-4);

        Map<String, Object> withPooler = chosen(text.choose(minilm, ModelSource.resolve("tiny-bert", dir)));
        assertThat(withPooler).containsEntry("head.pooling", Pooling.POOLER);

        // a head or adapters: the shared choice (Defaults), not the body's rate
        assertThat(chosen(text.choose(recipe("strategy: lora"), ModelSource.resolve("tiny-bert", dir))))
                .doesNotContainKey("train.learning_rate");
    }

    @Test
    void featureExtractionRefusesToFreezeANewlyInitialisedPooler() throws IOException {
        TinyRun.write(dir, 40);
        Files.writeString(dir.resolve("fe.yaml"), String.join("\n", "name: fe", "model: all-minilm-l6-v2", "data:",
                "  train: mails.jsonl", "  max_length: 16", "head:", "  pooling: pooler", "strategy: feature-extraction",
                "train:", "  epochs: 1", ""));
        FineTune run = new FineTune(RecipeLoader.load(dir.resolve("fe.yaml")),
                new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));

        assertThatThrownBy(() -> run.run(dir.resolve("out"), dev.finetune4j.train.TrainingListener.none()))
                .isInstanceOf(UserError.class)
                .hasMessageContaining("bert.pooler.dense.bias, bert.pooler.dense.weight were newly initialised")
                .hasMessageContaining("set head.pooling to mean or cls, or leave it out");
    }
}
