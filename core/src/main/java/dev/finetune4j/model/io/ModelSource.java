package dev.finetune4j.model.io;

import dev.finetune4j.UserError;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

/**
 * Turns what the user wrote for "the model" into files: a catalogue id ({@link ModelCatalog}), a
 * Hugging Face model directory (config.json + model.safetensors [or a sharded index] +
 * tokenizer.json), or a .onnx file with a tokenizer.json beside it.
 */
public final class ModelSource {
    private ModelSource() {}

    public static ResolvedModelFiles resolve(String spec, Path baseDir) {
        return resolve(spec, baseDir, ModelCatalog.Locations.fromEnvironment());
    }

    public static ResolvedModelFiles resolve(String spec, Path baseDir, ModelCatalog.Locations locations) {
        if (spec == null || spec.isBlank()) {
            throw new UserError("no model given. Use a built-in id (" + ids() + "), a Hugging Face model directory,"
                    + " or a .onnx file.");
        }
        var entry = ModelCatalog.lookup(spec);
        if (entry.isPresent()) {
            ModelCatalog.ModelFiles f = ModelCatalog.resolve(entry.get(), locations);
            return new ResolvedModelFiles(ResolvedModelFiles.Kind.CATALOG, f.onnx(), f.tokenizerJson(), null,
                    entry.get().id() + ": " + entry.get().description());
        }
        Path p = baseDir.resolve(spec).normalize();
        if (Files.isDirectory(p)) return resolveDir(p);
        if (Files.isRegularFile(p)) {
            String name = p.getFileName().toString().toLowerCase(Locale.ROOT);
            if (name.endsWith(".onnx")) return resolveOnnx(p);
            if (name.endsWith(".safetensors") || name.equals("config.json")) return resolveDir(p.getParent());
            if (isPickle(name)) throw new UserError(pickleMessage(p));
            throw new UserError(p + ": not a model file I can load; give a Hugging Face model directory"
                    + " (config.json + model.safetensors + tokenizer.json) or a .onnx file.");
        }
        // not a path
        boolean looksLikePath = spec.contains("/") || spec.contains("\\") || spec.contains(".");
        if (spec.matches("[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+") && !spec.startsWith(".")) {
            throw new UserError("'" + spec + "' is neither a built-in model nor an existing path (" + p + ")."
                    + " finetune4j works offline and does not download from the Hugging Face Hub; download it first, e.g.\n"
                    + "  huggingface-cli download " + spec + " --local-dir models/" + spec.substring(spec.indexOf('/') + 1)
                    + "\nand give that directory.");
        }
        if (looksLikePath) {
            throw new UserError(p + ": no such file or directory. Give a built-in model (" + ids() + "),"
                    + " a Hugging Face model directory, or a .onnx file.");
        }
        throw new UserError(ModelCatalog.unknownMessage(spec) + " (No file or directory " + p + " either.)");
    }

    private static String ids() {
        return String.join(", ", ModelCatalog.entries().stream().map(ModelCatalog.Entry::id).toList());
    }

    static boolean isPickle(String lowerName) {
        return lowerName.endsWith(".bin") || lowerName.endsWith(".pt") || lowerName.endsWith(".pth")
                || lowerName.endsWith(".ckpt") || lowerName.endsWith(".pkl");
    }

    static String pickleMessage(Path found) {
        return found + ": pickle checkpoints are not loaded (they can run code): convert with `transformers`"
                + " `save_pretrained(safe_serialization=True)` or export ONNX.";
    }

    private static ResolvedModelFiles resolveDir(Path dir) {
        List<String> names;
        try (Stream<Path> s = Files.list(dir)) {
            names = s.map(x -> x.getFileName().toString()).sorted().toList();
        } catch (IOException e) {
            throw new UserError(dir + ": cannot list directory: " + e.getMessage(), e);
        }
        Path config = dir.resolve("config.json");
        Path tok = dir.resolve("tokenizer.json");
        Path weights = null;
        if (Files.isRegularFile(dir.resolve("model.safetensors"))) weights = dir.resolve("model.safetensors");
        else if (Files.isRegularFile(dir.resolve("model.safetensors.index.json"))) weights = dir.resolve("model.safetensors.index.json");
        else {
            List<String> st = names.stream().filter(n -> n.endsWith(".safetensors")).toList();
            if (st.size() == 1) weights = dir.resolve(st.get(0));
        }
        String found = " (found: " + (names.isEmpty() ? "nothing" : String.join(", ", names.size() > 15 ? names.subList(0, 15) : names)
                + (names.size() > 15 ? ", ..." : "")) + ")";
        if (weights == null) {
            Path onnx = Files.isRegularFile(dir.resolve("model.onnx")) ? dir.resolve("model.onnx")
                    : Files.isRegularFile(dir.resolve("onnx").resolve("model.onnx")) ? dir.resolve("onnx").resolve("model.onnx") : null;
            if (onnx != null) return resolveOnnx(onnx);
            String pickle = names.stream().filter(n -> isPickle(n.toLowerCase(Locale.ROOT))).findFirst().orElse(null);
            if (pickle != null) throw new UserError(pickleMessage(dir.resolve(pickle)));
            throw new UserError(dir + ": no model.safetensors (or model.safetensors.index.json) in this directory" + found
                    + ". Save the model with save_pretrained(dir, safe_serialization=True).");
        }
        if (!Files.isRegularFile(config)) {
            throw new UserError(dir + ": has weights but no config.json" + found
                    + ". Copy the model's config.json into the directory (save_pretrained writes it).");
        }
        if (!Files.isRegularFile(tok)) {
            throw new UserError(dir + ": has no tokenizer.json" + found
                    + ". Save the fast tokenizer too: AutoTokenizer.from_pretrained(...).save_pretrained(dir).");
        }
        return new ResolvedModelFiles(ResolvedModelFiles.Kind.HF_DIR, weights, tok, config,
                "Hugging Face model directory " + dir);
    }

    private static ResolvedModelFiles resolveOnnx(Path onnx) {
        Path dir = onnx.toAbsolutePath().getParent();
        String stem = onnx.getFileName().toString().replaceFirst("(?i)\\.onnx$", "");
        List<Path> candidates = List.of(dir.resolve(stem + "-tokenizer.json"), dir.resolve("tokenizer.json"),
                dir.getParent() == null ? dir.resolve("tokenizer.json") : dir.getParent().resolve("tokenizer.json"));
        Path tok = candidates.stream().filter(Files::isRegularFile).findFirst().orElseThrow(() -> new UserError(
                onnx + ": no tokenizer.json beside it (looked for " + candidates.get(0).getFileName() + " and tokenizer.json in "
                        + dir + (dir.getParent() != null ? " and " + dir.getParent() : "")
                        + "). Put the model's tokenizer.json next to the .onnx file."));
        Path config = Stream.of(dir.resolve("config.json"), tok.getParent().resolve("config.json"))
                .filter(Files::isRegularFile).findFirst().orElse(null);
        return new ResolvedModelFiles(ResolvedModelFiles.Kind.ONNX_FILE, onnx, tok, config, "ONNX model " + onnx);
    }
}
