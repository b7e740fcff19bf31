package dev.finetune4j.model;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.finetune4j.model.io.SafeTensors;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.Map;

/** The torchvision parity fixtures of src/test/resources/dev/finetune4j/vision (make_fixtures.py). */
public final class TorchvisionFixtures {
    private TorchvisionFixtures() {}

    public static Path dir() throws URISyntaxException {
        return Path.of(TorchvisionFixtures.class.getResource("/dev/finetune4j/vision/").toURI());
    }

    /** A fixture's state dict ({@code name.safetensors}). */
    public static Map<String, HostTensor> weights(String name) throws URISyntaxException {
        return SafeTensors.read(dir().resolve(name + ".safetensors"));
    }

    /** A fixture's input and torchvision's outputs ({@code name-io.safetensors}). */
    public static Map<String, HostTensor> io(String name) throws URISyntaxException {
        return SafeTensors.read(dir().resolve(name + "-io.safetensors"));
    }

    /**
     * The model's eval-mode logits on the fixture's input are torchvision's, within {@code tolerance}
     * times the larger of 1 and the logit, and the model holds exactly the state dict's tensors.
     */
    public static void assertSameLogits(ImageClassifier model, Map<String, HostTensor> weights,
            Map<String, HostTensor> io, double tolerance) {
        try (NDManager step = model.parameters().manager().newSubManager()) {
            HostTensor input = io.get("input");
            NDArray x = step.create(input.data(), new Shape(input.shape()));
            float[] logits = model.logits(step, x, false).toFloatArray();
            float[] expected = io.get("logits").data();
            assertThat(logits).hasSize(expected.length);
            for (int i = 0; i < logits.length; i++) {
                assertThat((double) Math.abs(logits[i] - expected[i])).as("logit %d: %s vs %s", i, logits[i], expected[i])
                        .isLessThanOrEqualTo(tolerance * Math.max(1, Math.abs(expected[i])));
            }
        }
        assertThat(model.parameters().all().keySet()).containsExactlyInAnyOrderElementsOf(weights.keySet());
    }
}
