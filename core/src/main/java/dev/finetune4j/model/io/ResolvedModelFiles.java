package dev.finetune4j.model.io;

import java.nio.file.Path;

/**
 * Where a model's files are, after {@link ModelSource#resolve}.
 *
 * @param weights the .onnx file (CATALOG, ONNX_FILE), or model.safetensors / model.safetensors.index.json (HF_DIR)
 * @param configJson the HF config.json, or null (a bare .onnx file: the configuration is inferred)
 */
public record ResolvedModelFiles(Kind kind, Path weights, Path tokenizerJson, Path configJson, String description) {
    public enum Kind {
        CATALOG,
        HF_DIR,
        ONNX_FILE,
        /** A network named without weights ({@code weights} null): initialised at random. */
        ARCHITECTURE
    }
}
