package dev.finetune4j.pipeline;

import com.fasterxml.jackson.databind.JsonNode;
import dev.finetune4j.UserError;
import dev.finetune4j.util.AtomicFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.ServiceLoader;

/** The modalities on the class path, by the task they serve. */
public final class Modalities {
    private Modalities() {}

    public static List<Modality<?>> all() {
        List<Modality<?>> out = new ArrayList<>();
        for (Modality<?> m : ServiceLoader.load(Modality.class, Modalities.class.getClassLoader())) out.add(m);
        return out;
    }

    public static Modality<?> forTask(String task) {
        List<String> known = new ArrayList<>();
        for (Modality<?> m : all()) {
            if (m.task().equals(task)) return m;
            known.add(m.task());
        }
        throw new UserError("task '" + task + "' has no modality on the class path (known: " + known + ")");
    }

    /**
     * The model in an export directory ({@code ft4j train}'s {@code model/}), loaded by the modality
     * that its {@code config.json} names.
     */
    public static Predictor load(Path modelDir) {
        Path config = modelDir.resolve("config.json");
        if (!Files.isDirectory(modelDir)) {
            throw new UserError("model directory not found: " + modelDir.toAbsolutePath()
                    + " — pass the model/ directory that `ft4j train` wrote (e.g. runs/<name>/model)");
        }
        if (!Files.isRegularFile(config)) {
            throw new UserError(modelDir.toAbsolutePath() + ": config.json is missing — pass the model/ directory"
                    + " that `ft4j train` wrote (e.g. runs/<name>/model)");
        }
        JsonNode json;
        try {
            json = AtomicFiles.JSON.readTree(config.toFile());
        } catch (IOException e) {
            throw new UserError(config + ": not valid JSON (" + e.getMessage() + ") — re-export the model");
        }
        List<Modality<?>> installed = all();
        for (Modality<?> m : installed) {
            if (m.exported(json)) {
                Predictor p = m.load(modelDir);
                Calibrated calibrated = Calibrated.of(json.path("finetune4j").get("calibration"));
                return calibrated.isIdentity() ? p : new CalibratedPredictor(p, calibrated);
            }
        }
        throw new UserError(config + ": no modality on the class path loads this model (finetune4j.task '"
                + json.path("finetune4j").path("task").asText("") + "', architecture '"
                + json.path("architectures").path(0).asText("") + "'; installed: "
                + installed.stream().map(Modality::task).toList() + ")");
    }
}
