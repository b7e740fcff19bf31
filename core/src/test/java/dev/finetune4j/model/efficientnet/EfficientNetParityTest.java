package dev.finetune4j.model.efficientnet;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDManager;
import dev.finetune4j.TensorRuntime;
import dev.finetune4j.model.HostTensor;
import dev.finetune4j.model.ImageClassifier;
import dev.finetune4j.model.TorchvisionFixtures;
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
        Map<String, HostTensor> weights = TorchvisionFixtures.weights("efficientnet-tiny");
        Map<String, HostTensor> io = TorchvisionFixtures.io("efficientnet-tiny");
        EfficientNet.Config config = new EfficientNet.Config("tiny", 0.25, 0.5);
        try (NDManager manager = TensorRuntime.newManager();
                ImageClassifier model = ImageClassifier.fromStateDict(manager, p -> new EfficientNet(config, p),
                        "classifier.1", 0.2f, weights, List.of("a", "b", "c"), "fixture")) {
            TorchvisionFixtures.assertSameLogits(model, weights, io, 1e-4);
            // stages of 1, 1, 1, 2, 2, 2, 1 blocks and the last convolution
            assertThat(model.body().blocks()).isEqualTo(11);
        }
    }
}
