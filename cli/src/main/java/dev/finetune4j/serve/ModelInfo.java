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
 * What GET /v1/model reports: labels, base model, max length and the run's metrics.
 *
 * <p>config.json carries the base model and provenance under "finetune4j"; the metrics live in
 * the run directory's metrics.json beside model/, which may be absent when the directory was
 * copied elsewhere: then "metrics" is empty rather than an error.
 */
public final class ModelInfo {
    private ModelInfo() {}

    public static Map<String, Object> of(Path modelDir, List<String> labels, int maxLength, JsonNode config) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("model_dir", modelDir.toAbsolutePath().normalize().toString());
        m.put("labels", labels);
        JsonNode ours = config.path("finetune4j");
        m.put("base_model", ours.hasNonNull("base_model") ? ours.get("base_model").asText()
                : config.path("_name_or_path").asText(null));
        m.put("architecture", config.path("architectures").path(0).asText(null));
        m.put("max_length", maxLength);
        m.put("pooling", ours.path("pooling").asText(null));
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
}
