package dev.finetune4j.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.finetune4j.TensorRuntime;
import dev.finetune4j.vision.Architecture;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Inference folds each BatchNorm into its convolution: per call while the parameters may change
 * (nothing of it kept with the model), once for a sealed store (an export being served).
 */
class FoldedBatchNormTest {
    @Test
    void inferenceKeepsNothingWithTheParametersAndASealedStoreGivesTheSameLogits() {
        for (Architecture a : List.of(Architecture.RESNET18, Architecture.MOBILENET_V2)) {
            try (NDManager m = TensorRuntime.newManager();
                    ImageClassifier model = ImageClassifier.withNewHead(m, a.body(false), a.head(), 0f, null,
                            List.of("a", "b", "c"), List.of(), 7, "random")) {
                ParameterStore ps = model.parameters();
                randomiseStatistics(ps, new Random(3));
                NDArray x = m.randomNormal(new Shape(2, 3, 40, 40));
                int kept = ps.manager().getManagedArrays().size();
                float[] perCall;
                try (NDManager step = m.newSubManager()) {
                    perCall = model.logits(step, x, false).toFloatArray();
                    model.logits(step, x, false);
                }
                assertThat(ps.manager().getManagedArrays()).as("%s: arrays left with the parameters", a).hasSize(kept);

                ps.seal();
                assertThat(ps.sealed()).isTrue();
                float[] sealed;
                try (NDManager step = m.newSubManager()) {
                    sealed = model.logits(step, x, false).toFloatArray();
                }
                for (int i = 0; i < perCall.length; i++) {
                    assertThat(sealed[i]).as("%s logit %d", a, i).isCloseTo(perCall[i],
                            within(1e-4f * Math.max(1, Math.abs(perCall[i]))));
                }
                try (NDManager step = m.newSubManager()) {
                    assertThat(model.logits(step, x, false).toFloatArray()).as("folded once, reused").containsExactly(sealed);
                }
            }
        }
    }

    @Test
    void aSealedStoreRefusesChangesAndKeepsWhatWasDerived() {
        try (NDManager m = TensorRuntime.newManager(); ParameterStore ps = new ParameterStore(m)) {
            ps.put("w", new HostTensor(new long[] {2}, new float[] {1, 2}));
            int[] computed = {0};
            java.util.function.Function<NDManager, NDList> twice = s -> {
                computed[0]++;
                return new NDList(s.ones(new Shape(1)).mul(ps.get("w")).mul(2f));
            };
            try (NDManager step = m.newSubManager()) {
                ps.derived("w2", step, twice);
                ps.derived("w2", step, twice);
            }
            assertThat(computed[0]).as("computed for every call before sealing").isEqualTo(2);

            ps.seal();
            assertThat(ps.isTrainable("w")).isFalse();
            NDList first, second;
            try (NDManager step = m.newSubManager()) {
                first = ps.derived("w2", step, twice);
                second = ps.derived("w2", step, twice);
            }
            assertThat(computed[0]).as("once after sealing").isEqualTo(3);
            assertThat(second).isSameAs(first);
            assertThat(first.singletonOrThrow().toFloatArray()).as("kept beyond the step that asked for it")
                    .containsExactly(2f, 4f);
            assertThatThrownBy(() -> ps.copyFrom(Map.of("w", new HostTensor(new long[] {2}, new float[] {0, 0}))))
                    .isInstanceOf(IllegalStateException.class).hasMessageContaining("sealed");
            assertThatThrownBy(() -> ps.put("v", new HostTensor(new long[] {1}, new float[] {0})))
                    .isInstanceOf(IllegalStateException.class);
            assertThatThrownBy(() -> ps.setTrainable("w", true)).isInstanceOf(IllegalStateException.class);
        }
    }

    /** BatchNorm statistics and affine parameters away from 0 and 1, or folding them would change nothing. */
    static void randomiseStatistics(ParameterStore ps, Random r) {
        Map<String, HostTensor> values = new HashMap<>();
        for (String name : ps.all().keySet()) {
            boolean mean = name.endsWith("running_mean"), var = name.endsWith("running_var");
            boolean affine = ps.all().get(name).getShape().dimension() == 1 && !name.startsWith("fc")
                    && !name.startsWith("classifier");
            if (!mean && !var && !affine) continue;
            long[] shape = ps.get(name).getShape().getShape();
            float[] v = new float[(int) shape[0]];
            for (int i = 0; i < v.length; i++) {
                v[i] = (float) (var ? 0.5 + r.nextDouble() : (mean ? 0.2 : 0.5) * r.nextGaussian() + (affine
                        && name.endsWith("weight") ? 1 : 0));
            }
            values.put(name, new HostTensor(shape, v));
        }
        ps.copyFrom(values);
    }
}
