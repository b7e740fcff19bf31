package dev.finetune4j.vision;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.finetune4j.TensorRuntime;
import dev.finetune4j.adapt.Lora;
import dev.finetune4j.model.HostTensor;
import dev.finetune4j.model.ImageClassifier;
import dev.finetune4j.model.ParameterStore;
import dev.finetune4j.recipe.StrategyConfig;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * How CNN parameters train: LoRA adapters on the 1x1 convolutions of the blocks (which change the
 * output and fold into the weights), and no weight decay on norm layers and biases.
 */
class ConvolutionLoraTest {
    @Test
    void adaptersGoOnPointwiseConvolutionsChangeTheOutputAndMergeExactly() {
        try (NDManager m = TensorRuntime.newManager();
                ImageClassifier model = ImageClassifier.withNewHead(m, Architecture.MOBILENET_V2.body(false), "classifier.1",
                        0f, null, List.of("a", "b"), List.of(), 2, "random")) {
            NDArray x = m.randomNormal(new Shape(2, 3, 32, 32));
            float[] plain = model.logits(m, x, false).toFloatArray();
            List<String> adapted = Lora.apply(model, new StrategyConfig.Lora(4, 8, 0, List.of(Lora.EVERY_SITE), false,
                    false), 3);
            assertThat(adapted).hasSize(34).contains("features.1.conv.1", "features.2.conv.0.0", "features.2.conv.2",
                    "features.18.0").doesNotContain("features.2.conv.1.0"); // depthwise 3x3: no adapter
            ParameterStore ps = model.parameters();
            assertThat(ps.get("features.2.conv.0.0.lora_A.weight").getShape()).isEqualTo(new Shape(4, 16, 1, 1));
            assertThat(ps.get("features.2.conv.0.0.lora_B.weight").getShape()).isEqualTo(new Shape(96, 4, 1, 1));
            // an adapted convolution's BatchNorm is no longer folded into it at inference: equal up to rounding
            float[] zeroB = model.logits(m, x, false).toFloatArray();
            for (int i = 0; i < plain.length; i++) {
                assertThat(zeroB[i]).as("B starts at zero").isCloseTo(plain[i],
                        org.assertj.core.api.Assertions.within(1e-5f * Math.max(1, Math.abs(plain[i]))));
            }
            Random r = new Random(5);
            for (String module : adapted) {
                long[] shape = ps.get(module + ".lora_B.weight").getShape().getShape();
                float[] v = new float[(int) (shape[0] * shape[1])];
                for (int i = 0; i < v.length; i++) v[i] = (float) (r.nextGaussian() * 0.05);
                ps.copyFrom(Map.of(module + ".lora_B.weight", new HostTensor(shape, v)));
            }
            float[] adaptedLogits = model.logits(m, x, false).toFloatArray();
            assertThat(adaptedLogits).isNotEqualTo(plain);
            Lora.merge(model);
            assertThat(ps.contains("features.2.conv.0.0.lora_A.weight")).isFalse();
            float[] merged = model.logits(m, x, false).toFloatArray();
            for (int i = 0; i < merged.length; i++) {
                assertThat(merged[i]).isCloseTo(adaptedLogits[i], org.assertj.core.api.Assertions.within(1e-3f * Math.max(1,
                        Math.abs(adaptedLogits[i]))));
            }
        }
    }

    @Test
    void normLayersAndBiasesTakeNoWeightDecayWhateverTheArchitecture() {
        for (Architecture a : List.of(Architecture.MOBILENET_V2, Architecture.RESNET18, Architecture.EFFICIENTNET_B0)) {
            try (NDManager m = TensorRuntime.newManager();
                    ImageClassifier model = ImageClassifier.withNewHead(m, a.body(false), a.head(), 0f, null,
                            List.of("a", "b"), List.of(), 2, "random")) {
                for (String name : model.parameters().parameterNames()) {
                    dev.finetune4j.model.Module module = model.moduleOf(name);
                    boolean exempt = module.kind() == dev.finetune4j.model.Module.Kind.NORM || name.endsWith(".bias");
                    assertThat(model.takesNoDecay(name)).as("%s %s", a, name).isEqualTo(exempt);
                }
                assertThat(model.parameters().parameterNames()).as("running statistics are buffers, not parameters")
                        .noneMatch(n -> n.contains("running_"));
            }
        }
    }
}
