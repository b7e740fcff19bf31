package dev.finetune4j.model.efficientnet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.finetune4j.TensorRuntime;
import dev.finetune4j.model.HostTensor;
import dev.finetune4j.model.ImageClassifier;
import dev.finetune4j.model.io.SafeTensors;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * EfficientNet against torchvision: B0's stages at width 0.25 and depth 0.5 (torchvision's own
 * _efficientnet_conf and EfficientNet; BatchNorm statistics randomised), made by make_fixtures.py.
 */
class EfficientNetParityTest {
    @Test
    void logitsMatchTorchvisionInEvalMode() throws Exception {
        Path dir = Path.of(EfficientNetParityTest.class.getResource("/dev/finetune4j/vision/").toURI());
        Map<String, HostTensor> weights = SafeTensors.read(dir.resolve("efficientnet-tiny.safetensors"));
        Map<String, HostTensor> io = SafeTensors.read(dir.resolve("efficientnet-tiny-io.safetensors"));
        EfficientNet.Config config = new EfficientNet.Config("tiny", 0.25, 0.5);
        try (NDManager manager = TensorRuntime.newManager();
                ImageClassifier model = ImageClassifier.fromStateDict(manager, p -> new EfficientNet(config, p),
                        "classifier.1", 0.2f, weights, List.of("a", "b", "c"), "fixture");
                NDManager step = manager.newSubManager()) {
            HostTensor input = io.get("input");
            NDArray x = step.create(input.data(), new Shape(input.shape()));
            float[] logits = model.logits(step, x, false).toFloatArray();
            float[] expected = io.get("logits").data();
            for (int i = 0; i < logits.length; i++) assertThat(logits[i]).as("logit %d", i).isCloseTo(expected[i], within(1e-4f));
            assertThat(model.parameters().all().keySet()).containsExactlyInAnyOrderElementsOf(weights.keySet());
            // stages of 1, 1, 1, 2, 2, 2, 1 blocks and the last convolution
            assertThat(model.body().blocks()).isEqualTo(11);
        }
    }
}
