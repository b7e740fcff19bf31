package dev.finetune4j.vision;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.finetune4j.TensorRuntime;
import dev.finetune4j.data.Example;
import dev.finetune4j.eval.Metric;
import dev.finetune4j.model.HostTensor;
import dev.finetune4j.model.ImageClassifier;
import dev.finetune4j.model.io.SafeTensors;
import dev.finetune4j.pipeline.FineTune;
import dev.finetune4j.pipeline.Modalities;
import dev.finetune4j.pipeline.Predictor;
import dev.finetune4j.recipe.RecipeLoader;
import dev.finetune4j.train.Checkpoints;
import dev.finetune4j.train.Schedule;
import dev.finetune4j.train.Trainer;
import dev.finetune4j.train.TrainingListener;
import dev.finetune4j.train.TrainingResult;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Image models through the trainer and the pipeline, on tiny random-init MobileNetV2s: augmented,
 * mixed batches resume bit for bit; BatchNorm's running statistics move while their layer trains,
 * stay put while it is frozen, and travel through checkpoints and the export.
 */
class VisionTrainingTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static final List<String> LABELS = List.of("red", "green", "blue");

    record Run(Map<String, HostTensor> weights, TrainingResult result) {}

    static Run train(ImageInputs data, Checkpoints checkpoints, Checkpoints.Loaded from) {
        Trainer.Options o = Trainer.Options.builder().epochs(2).batchSize(4).evalBatchSize(8).learningRate(1e-3)
                .headLearningRate(1e-3).weightDecay(0.01).warmupRatio(0.25).schedule(Schedule.LINEAR).maxGradNorm(1.0)
                .metric(Metric.LOSS).seed(17).build();
        try (NDManager m = TensorRuntime.newManager();
                ImageClassifier model = ImageClassifier.withNewHead(m, Architecture.MOBILENET_V2.body(false), "classifier.1",
                        0.2f, null, LABELS, List.of(), 3, "random")) {
            TrainingResult r = new Trainer(o).fit(model, data, data, model.labels(), TrainingListener.none(), checkpoints,
                    from);
            return new Run(model.parameters().toHost(), r);
        }
    }

    static ImageInputs images(Path dir) throws Exception {
        Path data = TinyImages.write(dir.resolve("img"), 4, 8);
        List<String> paths = ImageFiles.listed(data, "image", "test");
        int[] labels = new int[paths.size()];
        for (int i = 0; i < labels.length; i++) labels[i] = LABELS.indexOf(Path.of(paths.get(i)).getParent().getFileName().toString());
        Preprocessing p = Preprocessing.torchvision(224).atSize(32);
        return new ImageInputs(paths, labels, p, new Augmentation(new VisionSettings.Augment(List.of(0.35, 1.0), 0.5, 10,
                0.2, 0.4, 1.0), p), 3);
    }

    @Test
    void augmentedMixedTrainingResumesBitForBitFromAnyStep(@TempDir Path dir) throws Exception {
        ImageInputs data = images(dir);
        Run reference = train(data, null, null);
        assertThat(reference.weights().get("features.0.1.running_mean").data())
                .as("training moved the stem's running mean").isNotEqualTo(new float[32]);
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        PrintStream out = new PrintStream(log, true, StandardCharsets.UTF_8);
        Path all = dir.resolve("all");
        train(data, new Checkpoints(all, 2, 100, "vision", out), null);
        List<Path> saved = new Checkpoints(all, 2, 100, "vision", out).list(); // newest first
        assertThat(saved).hasSize(3); // 12 images, batch 4, 2 epochs: steps 2, 4, 6
        for (Path p : List.of(saved.get(1), saved.get(2))) { // inside the second epoch and inside the first
            Path one = dir.resolve("one-" + p.getFileName());
            Files.createDirectories(one.resolve(p.getFileName()));
            try (var files = Files.list(p)) {
                for (Path f : files.toList()) Files.copy(f, one.resolve(p.getFileName()).resolve(f.getFileName()));
            }
            Run resumed = train(data, null, new Checkpoints(one, 2, 100, "vision", out).latest().orElseThrow());
            // Arrays.equals, not containsExactly: AssertJ takes seconds over millions of floats.
            List<String> differ = reference.weights().keySet().stream()
                    .filter(name -> !java.util.Arrays.equals(resumed.weights().get(name).data(),
                            reference.weights().get(name).data())).toList();
            assertThat(differ).as("tensors that differ after resuming from %s", p.getFileName()).isEmpty();
            assertThat(resumed.result().epochLosses()).isEqualTo(reference.result().epochLosses());
        }
    }

    /**
     * A recipe over generated images; {@code model} a network's name (with body.pretrained false) or a
     * directory that {@link #pretrained} wrote.
     */
    static Path recipe(Path dir, String model, String strategy) throws Exception {
        TinyImages.write(dir.resolve("img"), 10, 4);
        Path recipe = dir.resolve("recipe.yaml");
        Files.writeString(recipe, String.join("\n", "name: tiny-vision", "task: image-classification", "model: " + model,
                "seed: 5", "body:", "  pretrained: " + !model.equals("mobilenet_v2"), "data:", "  train: img",
                "  image_size: 32", "strategy: " + strategy,
                "train:", "  epochs: 2", "  batch_size: 8", "  learning_rate: 1.0e-3", ""));
        return recipe;
    }

    /** A "pre-trained" MobileNetV2 directory in torchvision keys: random weights, model.safetensors and config.json. */
    static Path pretrained(Path dir) throws Exception {
        Path model = dir.resolve("weights");
        Files.createDirectories(model);
        try (NDManager m = TensorRuntime.newManager();
                ImageClassifier c = ImageClassifier.withNewHead(m, Architecture.MOBILENET_V2.body(false), "classifier.1",
                        0.2f, null, List.of("a", "b"), List.of(), 1, "random")) {
            SafeTensors.write(model.resolve("model.safetensors"), c.parameters().toHost(), Map.of("format", "pt"));
        }
        Files.writeString(model.resolve("config.json"), "{\"architecture\": \"mobilenet_v2\", \"num_classes\": 2}");
        return model;
    }

    @Test
    void theExportKeepsTheRunningStatisticsAndPredictsTheTestedProbabilities(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("run");
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        new FineTune(RecipeLoader.load(recipe(dir, "mobilenet_v2", "full")), new PrintStream(log, true, StandardCharsets.UTF_8))
                .run(out, TrainingListener.none());
        Map<String, HostTensor> exported = SafeTensors.read(out.resolve("model/model.safetensors"));
        assertThat(exported).containsKeys("features.0.1.running_mean", "features.0.1.running_var", "classifier.1.weight");
        assertThat(exported.get("features.0.1.running_mean").data()).isNotEqualTo(new float[32]);
        JsonNode config = JSON.readTree(out.resolve("model/config.json").toFile());
        assertThat(config.path("architecture").asText()).isEqualTo("mobilenet_v2");
        assertThat(config.path("id2label").size()).isEqualTo(3);
        assertThat(JSON.readTree(out.resolve("model/preprocessor_config.json").toFile()).path("crop_size").path("height")
                .asInt()).isEqualTo(32);

        List<String> paths = new ArrayList<>();
        List<JsonNode> tested = new ArrayList<>();
        for (String line : Files.readAllLines(out.resolve("test_predictions.jsonl"))) {
            JsonNode p = JSON.readTree(line);
            tested.add(p);
            paths.add(p.path("path").asText());
        }
        assertThat(paths).isNotEmpty();
        try (Predictor exportedModel = Modalities.load(out.resolve("model"))) {
            assertThat(exportedModel.describe()).containsEntry("input", "images").containsEntry("image_size", 32);
            List<Predictor.Prediction> again = exportedModel.predict(paths.stream().map(p -> new Example(p, null, 0)).toList());
            for (int i = 0; i < paths.size(); i++) {
                for (String label : LABELS) {
                    assertThat(again.get(i).scores().get(label)).as("%s, %s", paths.get(i), label)
                            .isCloseTo(tested.get(i).path("scores").path(label).asDouble(), within(1e-5));
                }
            }
        }
    }

    @Test
    void aFrozenBatchNormKeepsItsStatistics(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("run");
        new FineTune(RecipeLoader.load(recipe(dir, pretrained(dir).toString(), "feature-extraction")), new PrintStream(new ByteArrayOutputStream(),
                true, StandardCharsets.UTF_8)).run(out, TrainingListener.none());
        Map<String, HostTensor> exported = SafeTensors.read(out.resolve("model/model.safetensors"));
        float[] ones = new float[32];
        java.util.Arrays.fill(ones, 1f);
        assertThat(exported.get("features.0.1.running_mean").data()).containsExactly(new float[32]);
        assertThat(exported.get("features.0.1.running_var").data()).containsExactly(ones);

        Path partial = dir.resolve("partial");
        Path recipe = recipe(dir.resolve("p"), pretrained(dir.resolve("p")).toString(), "full");
        String text = Files.readString(recipe).replace("strategy: full", "strategy:\n  type: partial\n  freeze_layers: 3");
        Files.writeString(recipe, text);
        new FineTune(RecipeLoader.load(recipe), new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8))
                .run(partial, TrainingListener.none());
        Map<String, HostTensor> w = SafeTensors.read(partial.resolve("model/model.safetensors"));
        assertThat(w.get("features.0.1.running_mean").data()).as("the frozen stem").containsExactly(new float[32]);
        assertThat(w.get("features.2.conv.0.1.running_mean").data()).as("block 1, frozen")
                .containsExactly(new float[w.get("features.2.conv.0.1.running_mean").data().length]);
        assertThat(w.get("features.10.conv.0.1.running_mean").data()).as("block 9 trains")
                .isNotEqualTo(new float[w.get("features.10.conv.0.1.running_mean").data().length]);
    }
}
