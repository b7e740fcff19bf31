package dev.finetune4j.model.mobilenet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.finetune4j.TensorRuntime;
import dev.finetune4j.model.HostTensor;
import dev.finetune4j.model.ImageClassifier;
import dev.finetune4j.model.Module;
import dev.finetune4j.model.io.SafeTensors;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * MobileNetV2 against torchvision: a tiny random-init mobilenet_v2 (width 0.25, BatchNorm statistics
 * randomised; made by src/test/resources/dev/finetune4j/vision/make_fixtures.py with Debian's
 * python3-torchvision 0.14.1) gives the same logits here to 1e-4.
 */
class MobileNetV2ParityTest {
    static Path fixture(String name) throws URISyntaxException {
        return Path.of(MobileNetV2ParityTest.class.getResource("/dev/finetune4j/vision/" + name).toURI());
    }

    @Test
    void logitsMatchTorchvisionInEvalMode() throws Exception {
        Map<String, HostTensor> weights = SafeTensors.read(fixture("mobilenet_v2-tiny.safetensors"));
        Map<String, HostTensor> io = SafeTensors.read(fixture("mobilenet_v2-tiny-io.safetensors"));
        HostTensor input = io.get("input");
        float[] expected = io.get("logits").data();
        try (NDManager manager = TensorRuntime.newManager();
                ImageClassifier model = ImageClassifier.fromStateDict(manager,
                        p -> new MobileNetV2(MobileNetV2.Config.torchvision(0.25), p), "classifier.1", 0.2f, weights,
                        List.of("a", "b", "c"), "fixture");
                NDManager step = manager.newSubManager()) {
            NDArray x = step.create(input.data(), new Shape(input.shape()));
            float[] logits = model.logits(step, x, false).toFloatArray();
            assertThat(logits).hasSize(expected.length);
            for (int i = 0; i < logits.length; i++) assertThat(logits[i]).as("logit %d", i).isCloseTo(expected[i], within(1e-4f));

            // every tensor of the state dict is one of the model's, as a parameter or a buffer
            assertThat(model.parameters().all().keySet()).containsExactlyInAnyOrderElementsOf(weights.keySet());
            assertThat(model.parameters().isBuffer("features.0.1.running_mean")).isTrue();
            assertThat(model.parameters().isTrainable("features.0.1.running_var")).isFalse();
            assertThat(model.body().blocks()).isEqualTo(18);
            Module depthwise = model.moduleOf("features.2.conv.1.0.weight");
            assertThat(depthwise.kind()).isEqualTo(Module.Kind.CONVOLUTION);
            assertThat(depthwise.block()).isEqualTo(1);
            assertThat(model.takesNoDecay("features.2.conv.1.1.weight")).as("BatchNorm weights take no decay").isTrue();
            assertThat(model.takesNoDecay("features.2.conv.1.0.weight")).isFalse();
        }
    }

    @Test
    void aTrainingStepMovesTheRunningStatisticsAsTorchDoes() throws Exception {
        Map<String, HostTensor> weights = SafeTensors.read(fixture("mobilenet_v2-tiny.safetensors"));
        Map<String, HostTensor> io = SafeTensors.read(fixture("mobilenet_v2-tiny-io.safetensors"));
        HostTensor input = io.get("input");
        try (NDManager manager = TensorRuntime.newManager();
                ImageClassifier model = ImageClassifier.fromStateDict(manager,
                        p -> new MobileNetV2(MobileNetV2.Config.torchvision(0.25), p), "classifier.1", 0.2f, weights,
                        List.of("a", "b", "c"), "fixture");
                NDManager step = manager.newSubManager()) {
            model.logits(step, step.create(input.data(), new Shape(input.shape())), true);
            float[] mean = model.parameters().get("features.0.1.running_mean").toFloatArray();
            float[] var = model.parameters().get("features.0.1.running_var").toFloatArray();
            float[] expectedMean = io.get("running_mean_after_train_step").data();
            float[] expectedVar = io.get("running_var_after_train_step").data();
            for (int i = 0; i < mean.length; i++) {
                assertThat(mean[i]).as("running_mean %d (torch momentum 0.1)", i).isCloseTo(expectedMean[i], within(1e-5f));
                assertThat(var[i]).as("running_var %d (unbiased batch variance)", i).isCloseTo(expectedVar[i], within(1e-4f));
            }
        }
    }

    @Test
    void channelsAreRoundedAsTorchvisionRoundsThem() {
        assertThat(MobileNetV2.divisible(32 * 0.25)).isEqualTo(8);
        assertThat(MobileNetV2.divisible(24 * 0.25)).isEqualTo(8);
        assertThat(MobileNetV2.divisible(96 * 0.35)).isEqualTo(32); // 33.6 -> 32 is within 10 %
        assertThat(MobileNetV2.divisible(1280)).isEqualTo(1280);
    }
}
