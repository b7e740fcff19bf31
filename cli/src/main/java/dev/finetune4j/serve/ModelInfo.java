package dev.finetune4j.serve;

import com.fasterxml.jackson.databind.JsonNode;
import dev.finetune4j.util.AtomicFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What GET /v1/model reports: the predictor's describe() (task, input, labels, base model, max
 * length or image size, ...) and the run's metrics; {@code "input"} is {@code "texts"} unless the
 * model says {@code "images"}.
 *
 * <p>config.json carries the base model and provenance under "finetune4j"; the metrics live in
 * the run directory's metrics.json beside model/, which may be absent when the directory was
 * copied elsewhere: then "metrics" is empty rather than an error.
 */
public final class ModelInfo {
    /** The {@code "input"} of an image model's describe(); a model that does not say reads texts. */
    public static final String IMAGES = "images";

    private ModelInfo() {}

    /** @param model the predictor's {@link dev.finetune4j.pipeline.Predictor#describe()} */
    public static Map<String, Object> of(Path modelDir, Map<String, Object> model) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("model_dir", modelDir.toAbsolutePath().normalize().toString());
        m.putAll(model);
        m.putIfAbsent("input", "texts");
        JsonNode ours = config(modelDir).path("finetune4j");
        JsonNode provenance = ours.path("provenance");
        if (provenance.isObject()) {
            Map<String, Object> p = new LinkedHashMap<>();
            p.put("finetune4j", provenance.path("finetune4j").asText(null));
            p.put("trained_at", provenance.path("started_at").asText(null));
            p.put("seed", provenance.path("seed").isNumber() ? provenance.get("seed").asLong() : null);
            m.put("provenance", p);
        }
        Map<String, Object> metrics = new LinkedHashMap<>();
        Path parent = modelDir.toAbsolutePath().normalize().getParent();
        Path file = parent == null ? null : parent.resolve("metrics.json");
        if (file != null && Files.isRegularFile(file)) {
            try {
                JsonNode all = AtomicFiles.JSON.readTree(file.toFile());
                for (String split : List.of("test", "validation")) {
                    JsonNode s = all.path(split);
                    if (!s.isObject()) continue;
                    Map<String, Object> one = new LinkedHashMap<>();
                    for (String key : List.of("macro_f1", "accuracy", "n")) {
                        if (s.path(key).isNumber()) one.put(key, s.get(key).numberValue());
                    }
                    if (!one.isEmpty()) metrics.put(split, one);
                }
                m.put("metrics_file", file.toString());
            } catch (IOException e) { // a damaged metrics file must not stop serving the model
                m.put("metrics_error", file + ": " + e.getMessage());
            }
        }
        m.put("metrics", metrics);
        return m;
    }

    private static JsonNode config(Path modelDir) {
        try {
            return AtomicFiles.JSON.readTree(modelDir.resolve("config.json").toFile());
        } catch (IOException e) { // the predictor has read it already; a provenance section is optional
            return AtomicFiles.JSON.createObjectNode();
        }
    }
}
