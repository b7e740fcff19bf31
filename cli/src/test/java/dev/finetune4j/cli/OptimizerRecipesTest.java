package dev.finetune4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.finetune4j.testing.TinyRun;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * `ft4j train` with each `train.optimizer`, a schedule of each new kind and gradient accumulation, on
 * the tiny random-init model: every run completes, says in metrics.json what it used, and trains
 * weights of its own (each optimizer's export differs from the others').
 */
class OptimizerRecipesTest {
    @TempDir
    static Path tmp;

    static Path recipe;

    @BeforeAll
    static void data() throws Exception {
        TinyRun.write(tmp, 80);
        recipe = tmp.resolve("recipe.yaml");
        Files.writeString(recipe, String.join("\n", "name: tiny", "model: tiny-bert", "data:", "  train: mails.jsonl",
                "  max_length: 32", "train:", "  epochs: 1", "  batch_size: 8", "  early_stopping: false", ""));
    }

    private static JsonNode train(String name, String... sets) throws Exception {
        Path out = tmp.resolve(name);
        java.util.List<String> args = new java.util.ArrayList<>(java.util.List.of("train", recipe.toString(), "--output",
                out.toString()));
        for (String set : sets) args.addAll(java.util.List.of("--set", set));
        CliContractTest.Result r = CliContractTest.ft4j(args.toArray(String[]::new));
        assertThat(r.exit()).as(name + ": " + r.err()).isZero();
        return CliContractTest.JSON.readTree(out.resolve("metrics.json").toFile());
    }

    @Test
    void everyOptimizerTrainsAndIsRecorded() throws Exception {
        Set<String> exports = new HashSet<>();
        for (String[] run : new String[][] {
                {"adamw", "train.learning_rate=1.0e-3"},
                {"adam", "train.learning_rate=1.0e-3"},
                {"sgd", "train.learning_rate=5.0e-2"},
                {"rmsprop", "train.learning_rate=1.0e-3"}}) {
            JsonNode m = train(run[0], "train.optimizer=" + run[0], run[1]);
            assertThat(m.path("train").path("optimizer").asText()).isEqualTo(run[0]);
            assertThat(m.path("train").path("epoch_train_loss").get(0).asDouble()).isFinite();
            exports.add(dev.finetune4j.track.Provenance.sha256(
                    Files.readAllBytes(tmp.resolve(run[0]).resolve("model/model.safetensors"))));
        }
        assertThat(exports).as("each optimizer's weights").hasSize(4);
    }

    @Test
    void accumulationAndTheNewSchedulesRun() throws Exception {
        JsonNode m = train("accumulate", "train.gradient_accumulation_steps=3", "train.schedule=one-cycle");
        assertThat(m.path("train").path("effective_batch_size").asInt()).isEqualTo(24);
        assertThat(m.path("train").path("steps").asInt()).isEqualTo(3); // 64 training mails: 8 batches, 3 steps
        JsonNode step = train("step", "train.schedule=step", "train.gamma=0.5", "train.optimizer=sgd");
        assertThat(step.path("train").path("steps").asInt()).isEqualTo(8);
        assertThat(train("exponential", "train.schedule=exponential").path("train").path("steps").asInt()).isEqualTo(8);
    }
}
