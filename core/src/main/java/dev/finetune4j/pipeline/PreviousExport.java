package dev.finetune4j.pipeline;

import com.fasterxml.jackson.databind.JsonNode;
import dev.finetune4j.UserError;
import dev.finetune4j.util.AtomicFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;

/**
 * A model that ft4j exported, given as the {@code model:} of a new recipe: continual fine-tuning.
 * Its labels keep their head rows (new labels extend the head), and what it recorded at export (the
 * recipe it was trained with, the hashes of its data) lets the new run find its old training and
 * test splits, for rehearsal and for measuring forgetting.
 *
 * @param info config.json's {@code finetune4j} section
 */
public record PreviousExport(Path dir, List<String> labels, JsonNode info) {
    /** The export in {@code dir}, or null when {@code dir} is not an ft4j export. */
    public static PreviousExport in(Path dir) {
        Path config = dir.resolve("config.json");
        if (!Files.isRegularFile(config)) return null;
        JsonNode json;
        try {
            json = AtomicFiles.JSON.readTree(config.toFile());
        } catch (IOException e) {
            throw new UserError(config + ": not valid JSON (" + e.getMessage() + ")");
        }
        JsonNode info = json.get("finetune4j");
        JsonNode id2label = json.get("id2label");
        if (info == null || !info.has("task") || id2label == null || !id2label.isObject()) return null;
        TreeMap<Integer, String> byId = new TreeMap<>();
        id2label.fields().forEachRemaining(e -> byId.put(Integer.parseInt(e.getKey()), e.getValue().asText()));
        return new PreviousExport(dir, new ArrayList<>(byId.values()), info);
    }

    /** The recipe the export was trained with (stored at export), or null for exports made before it was stored. */
    public JsonNode recipe() {
        JsonNode r = info.get("recipe");
        return r == null || !r.isObject() ? null : r;
    }

    /** The SHA-256 its training file had when it was trained, or null. */
    public String trainSha256() {
        JsonNode s = info.path("provenance").path("data").path("train").get("sha256");
        return s == null ? null : s.asText();
    }
}
