package dev.finetune4j.model.vgg;

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
 * VGG against torchvision: its own VGG and make_layers, narrow ([8, M, 16, 16, M], linear layers of
 * 32), with and without BatchNorm (statistics randomised), on 20 px images, so that adaptive average
 * pooling from 5x5 to 7x7 is exercised; made by make_fixtures.py with Debian's python3-torchvision.
 */
class VggParityTest {
    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void logitsMatchTorchvisionInEvalMode(boolean batchNorm) throws Exception {
        String name = batchNorm ? "vgg-bn-tiny" : "vgg-tiny";
        Map<String, HostTensor> weights = TorchvisionFixtures.weights(name);
        Map<String, HostTensor> io = TorchvisionFixtures.io(name);
        Vgg.Config config = new Vgg.Config("narrow", new int[] {8, Vgg.M, 16, 16, Vgg.M}, batchNorm, 32);
        try (NDManager manager = TensorRuntime.newManager();
                ImageClassifier model = ImageClassifier.fromStateDict(manager, p -> new Vgg(config, p), "classifier.6",
                        0.5f, weights, List.of("a", "b", "c"), "fixture")) {
            TorchvisionFixtures.assertSameLogits(model, weights, io, 1e-4);
            assertThat(model.body().blocks()).isEqualTo(4);
            assertThat(model.body().loraSites()).extracting(dev.finetune4j.model.Module::name)
                    .containsExactly("classifier.0", "classifier.3");
        }
    }
}
