package dev.finetune4j.vision;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import dev.finetune4j.TensorRuntime;
import dev.finetune4j.UserError;
import dev.finetune4j.data.Example;
import dev.finetune4j.model.HostTensor;
import dev.finetune4j.model.ImageClassifier;
import dev.finetune4j.model.io.SafeTensors;
import dev.finetune4j.pipeline.PreviousExport;
import dev.finetune4j.pipeline.Predictor;
import dev.finetune4j.train.Evaluator;
import dev.finetune4j.util.AtomicFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * An exported image classifier ({@link VisionExport}'s layout), for predict, eval and serve: an
 * example's text is an image file's path; {@link #probabilitiesOfImages} takes decoded images.
 */
public final class ImagePredictor implements Predictor {
    static final int BATCH_SIZE = 32;

    private final NDManager manager;
    private final ImageClassifier model;
    private final Architecture architecture;
    private final Preprocessing preprocessing;
    private final JsonNode config;

    private ImagePredictor(NDManager manager, ImageClassifier model, Architecture architecture,
            Preprocessing preprocessing, JsonNode config) {
        this.manager = manager;
        this.model = model;
        this.architecture = architecture;
        this.preprocessing = preprocessing;
        this.config = config;
    }

    public static ImagePredictor load(Path dir) {
        for (String f : List.of("config.json", "model.safetensors", "preprocessor_config.json")) {
            if (!Files.isRegularFile(dir.resolve(f))) {
                throw new UserError(dir.toAbsolutePath() + ": " + f + " is missing — an image model directory needs"
                        + " config.json, model.safetensors and preprocessor_config.json");
            }
        }
        JsonNode config;
        Preprocessing pre;
        try {
            config = AtomicFiles.JSON.readTree(dir.resolve("config.json").toFile());
            pre = Preprocessing.fromJson(AtomicFiles.JSON.readTree(dir.resolve("preprocessor_config.json").toFile()),
                    dir.resolve("preprocessor_config.json"));
        } catch (IOException e) {
            throw new UserError(dir + ": cannot read its JSON files (" + e.getMessage() + ") — re-export the model");
        }
        PreviousExport export = PreviousExport.in(dir);
        if (export == null) throw new UserError(dir.resolve("config.json") + ": no id2label — not a classifier export");
        Architecture a = Architecture.parse(config.path("architecture").asText(""), dir.resolve("config.json").toString());
        JsonNode ours = config.path("finetune4j");
        boolean keras = "keras".equals(ours.path("variant").asText());
        String head = ours.path("head").asText(a.head());
        Map<String, HostTensor> weights = SafeTensors.read(dir.resolve("model.safetensors"),
                k -> !k.endsWith("num_batches_tracked"));
        NDManager manager = TensorRuntime.newManager();
        try {
            ImageClassifier model = ImageClassifier.fromStateDict(manager, a.body(keras), head, 0f, weights,
                    export.labels(), dir.resolve("model.safetensors").toString());
            model.parameters().seal();
            return new ImagePredictor(manager, model, a, pre, config);
        } catch (RuntimeException e) {
            manager.close();
            throw e;
        }
    }

    @Override
    public List<String> labels() {
        return model.labels();
    }

    /** Examples whose text is an image file's path. */
    @Override
    public float[][] probabilities(List<Example> examples) {
        if (examples.isEmpty()) return new float[0][];
        ImageInputs inputs = new ImageInputs(examples.stream().map(Example::text).toList(), new int[examples.size()],
                preprocessing, null, 1);
        try {
            return Evaluator.probabilities(model, inputs, BATCH_SIZE);
        } finally {
            inputs.release();
        }
    }

    @Override
    public float[][] probabilitiesOfImages(List<DecodedImage> images) {
        if (images.isEmpty()) return new float[0][];
        return Evaluator.probabilities(model, ImageInputs.of(images, preprocessing), BATCH_SIZE);
    }

    @Override
    public Map<String, Object> describe() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("task", VisionModality.TASK);
        m.put("input", "images");
        m.put("labels", labels());
        m.put("base_model", config.path("finetune4j").path("base_model").asText(null));
        m.put("architecture", architecture.id());
        m.put("image_size", preprocessing.size());
        return m;
    }

    public Preprocessing preprocessing() {
        return preprocessing;
    }

    public ImageClassifier model() {
        return model;
    }

    @Override
    public void close() {
        model.close();
        manager.close();
    }
}
