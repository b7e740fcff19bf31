package dev.finetune4j.vision;

import dev.finetune4j.model.ImageClassifier;
import dev.finetune4j.model.io.SafeTensors;
import dev.finetune4j.util.AtomicFiles;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * An image classifier's export: {@code model.safetensors} in the body's torchvision key layout with
 * the new head (BatchNorm running statistics included), {@code config.json} in timm's form
 * ({@code architecture}, {@code num_classes}, {@code label_names}, {@code pretrained_cfg}) with
 * Hugging Face's {@code id2label} / {@code label2id}, and {@code preprocessor_config.json}.
 * Written into a staging directory that replaces {@code dir} whole.
 */
final class VisionExport {
    private VisionExport() {}

    static void write(ImageClassifier model, Architecture architecture, boolean keras, Preprocessing preprocessing,
            Map<String, Object> finetune4j, Path dir) {
        Path staged = AtomicFiles.stagingDirectory(dir);
        try {
            List<String> labels = model.labels();
            Map<String, Object> config = new LinkedHashMap<>();
            config.put("architecture", architecture.id());
            config.put("num_classes", labels.size());
            config.put("num_features", model.body().featureSize());
            config.put("label_names", labels);
            Map<String, String> id2label = new LinkedHashMap<>();
            Map<String, Integer> label2id = new LinkedHashMap<>();
            for (int i = 0; i < labels.size(); i++) {
                id2label.put(Integer.toString(i), labels.get(i));
                label2id.put(labels.get(i), i);
            }
            config.put("id2label", id2label);
            config.put("label2id", label2id);
            Map<String, Object> cfg = new LinkedHashMap<>();
            cfg.put("input_size", List.of(3, preprocessing.size(), preprocessing.size()));
            cfg.put("interpolation", "bilinear");
            cfg.put("crop_pct", preprocessing.crop() ? preprocessing.size() / (double) preprocessing.resize() : 1.0);
            cfg.put("crop_mode", preprocessing.crop() ? "center" : "squash");
            cfg.put("mean", floats(preprocessing.mean()));
            cfg.put("std", floats(preprocessing.std()));
            cfg.put("num_classes", labels.size());
            cfg.put("classifier", model.headKey());
            config.put("pretrained_cfg", cfg);
            Map<String, Object> info = new LinkedHashMap<>();
            info.put("variant", keras ? "keras" : "torchvision");
            info.put("head", model.headKey());
            info.put("head_dropout", model.dropout());
            info.putAll(finetune4j);
            config.put("finetune4j", info);
            AtomicFiles.writeJson(staged.resolve("config.json"), config);
            AtomicFiles.writeJson(staged.resolve("preprocessor_config.json"), preprocessing.toJson());
            SafeTensors.write(staged.resolve("model.safetensors"), model.parameters().toHost(), Map.of("format", "pt"));
            AtomicFiles.replaceDirectory(staged, dir);
        } catch (RuntimeException e) {
            AtomicFiles.deleteRecursively(staged);
            throw e;
        }
    }

    private static List<Double> floats(float[] v) {
        return List.of((double) v[0], (double) v[1], (double) v[2]);
    }
}
