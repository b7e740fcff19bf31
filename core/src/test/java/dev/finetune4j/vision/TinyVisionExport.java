package dev.finetune4j.vision;

import ai.djl.ndarray.NDManager;
import dev.finetune4j.TensorRuntime;
import dev.finetune4j.model.ImageClassifier;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Test fixture: an image classifier export as {@code ft4j train} writes it ({@link VisionExport}'s
 * layout), of a random-init MobileNetV2 body with a new head, at a small input side. No network,
 * no training: for the server and loader tests of other modules (core's test-jar).
 */
public final class TinyVisionExport {
    private TinyVisionExport() {}

    /** Writes the export into {@code dir} (replaced) for {@code labels}, images at {@code side} x {@code side}. */
    public static Path write(Path dir, List<String> labels, int side, long seed) {
        Architecture a = Architecture.RESNET18;
        try (NDManager manager = TensorRuntime.newManager()) {
            ImageClassifier model = ImageClassifier.withNewHead(manager, a.body(false), a.head(), a.dropout(), null,
                    labels, List.of(), seed, "random-init " + a.id());
            try {
                VisionExport.write(model, a, false, Preprocessing.torchvision(a.side()).atSize(side),
                        Map.of("task", VisionModality.TASK, "base_model", "random-init " + a.id()), dir);
            } finally {
                model.close();
            }
        }
        return dir;
    }
}
