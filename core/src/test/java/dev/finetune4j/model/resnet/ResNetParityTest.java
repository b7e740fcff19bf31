package dev.finetune4j.model.resnet;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDManager;
import dev.finetune4j.TensorRuntime;
import dev.finetune4j.model.HostTensor;
import dev.finetune4j.model.ImageClassifier;
import dev.finetune4j.model.TorchvisionFixtures;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * ResNet against torchvision: torchvision's own BasicBlock and Bottleneck in narrow stages (8, 16,
 * 32, 64 planes; layers 2, 1, 1, 1), BatchNorm statistics randomised, made by
 * src/test/resources/dev/finetune4j/vision/make_fixtures.py with Debian's python3-torchvision 0.14.1.
 */
class ResNetParityTest {
    @ParameterizedTest
    @ValueSource(strings = {"basic", "bottleneck"})
    void logitsMatchTorchvisionInEvalMode(String kind) throws Exception {
        Map<String, HostTensor> weights = TorchvisionFixtures.weights("resnet-" + kind + "-tiny");
        Map<String, HostTensor> io = TorchvisionFixtures.io("resnet-" + kind + "-tiny");
        ResNet.Config config = new ResNet.Config("narrow", kind.equals("bottleneck"), new int[] {2, 1, 1, 1},
                new int[] {8, 16, 32, 64}, 8);
        try (NDManager manager = TensorRuntime.newManager();
                ImageClassifier model = ImageClassifier.fromStateDict(manager, p -> new ResNet(config, p), "fc", 0f,
                        weights, List.of("a", "b", "c"), "fixture")) {
            TorchvisionFixtures.assertSameLogits(model, weights, io, 1e-4);
            assertThat(model.body().blocks()).isEqualTo(5);
            assertThat(model.blockOf("layer1.1.conv2.weight")).isEqualTo(1);
            assertThat(model.blockOf("conv1.weight")).isEqualTo(dev.finetune4j.model.Module.BELOW);
        }
    }
}
