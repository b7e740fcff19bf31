package dev.finetune4j.vision;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.finetune4j.TensorRuntime;
import dev.finetune4j.train.BatchContext;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Augmentation draws from the batch's place in the run alone: the same batch, the same pixels, on any thread. */
class AugmentationTest {
    static final VisionSettings.Augment DEFAULTS = new VisionSettings.Augment(List.of(0.35, 1.0), 0.5, 10, 0.2, 0, 0);

    static ImageInputs inputs(Path dir, VisionSettings.Augment augment) throws Exception {
        Path data = TinyImages.write(dir.resolve("img"), 4, 5);
        List<String> paths = ImageFiles.listed(data, "image", "test");
        Preprocessing p = Preprocessing.torchvision(224).atSize(24);
        return new ImageInputs(paths, new int[paths.size()], p, augment == null ? null : new Augmentation(augment, p), 3);
    }

    @Test
    void aBatchDrawsTheSameWhetherPrefetchedOrNotAndDiffersFromStepToStep(@TempDir Path dir) throws Exception {
        ImageInputs in = inputs(dir, DEFAULTS);
        int[] batch = {0, 3, 5, 7};
        BatchContext at = new BatchContext(9, 1, 4, 0, true);
        float[] direct = in.pixels(batch, at);
        assertThat(in.pixels(batch, at)).containsExactly(direct);
        in.prefetch(batch, at);
        try (NDManager m = TensorRuntime.newManager()) {
            NDArray prefetched = in.collate(m, batch, at);
            assertThat(prefetched.toFloatArray()).containsExactly(direct);
        }
        assertThat(in.pixels(batch, new BatchContext(9, 1, 5, 0, true))).isNotEqualTo(direct);
        assertThat(in.pixels(batch, new BatchContext(10, 1, 4, 0, true))).isNotEqualTo(direct);
        float[] evaluation = in.pixels(batch, BatchContext.EVALUATION);
        assertThat(evaluation).isNotEqualTo(direct);
        assertThat(in.pixels(batch, new BatchContext(1, 2, 3, 0, false))).as("evaluation is never augmented")
                .containsExactly(evaluation);
    }

    @Test
    void aCertainFlipWithNothingElseIsTheMirrorImage(@TempDir Path dir) throws Exception {
        // a square image, the whole of it kept (scale 1, the crop falls back to the centre square)
        ImageInputs in = inputs(dir, new VisionSettings.Augment(List.of(1.0, 1.0), 1.0, 0, 0, 0, 0));
        Preprocessing p = in.preprocessing();
        Rgb square = p.fitted(ImageInputs.decode(in.path(0)));
        Rgb cropped = new Rgb(p.size(), p.size(), new byte[p.size() * p.size() * 3]);
        int top = (square.height() - p.size()) / 2, left = (square.width() - p.size()) / 2;
        for (int y = 0; y < p.size(); y++) {
            System.arraycopy(square.data(), ((y + top) * square.width() + left) * 3, cropped.data(), y * p.size() * 3,
                    p.size() * 3);
        }
        float[] plain = new float[3 * p.size() * p.size()];
        p.centre(cropped, plain, 0);
        float[] flipped = new float[plain.length];
        new Augmentation(new VisionSettings.Augment(List.of(1.0, 1.0), 1.0, 0, 0, 0, 0), p)
                .apply(cropped, new java.util.SplittableRandom(1), flipped, 0);
        int s = p.size();
        for (int c = 0; c < 3; c++) {
            for (int y = 0; y < s; y++) {
                for (int x = 0; x < s; x++) {
                    assertThat(flipped[c * s * s + y * s + x]).isCloseTo(plain[c * s * s + y * s + (s - 1 - x)],
                            org.assertj.core.api.Assertions.within(1e-5f));
                }
            }
        }
    }

    @Test
    void mixupTargetsAreTheMixedLabelsAndSumToOne(@TempDir Path dir) throws Exception {
        Path data = TinyImages.write(dir.resolve("img"), 2, 5);
        List<String> paths = ImageFiles.listed(data, "image", "test");
        int[] labels = {0, 0, 1, 1, 2, 2};
        Preprocessing p = Preprocessing.squashed(16);
        for (VisionSettings.Augment a : List.of(new VisionSettings.Augment(List.of(0.35, 1.0), 0.5, 0, 0, 0.4, 0),
                new VisionSettings.Augment(List.of(0.35, 1.0), 0.5, 0, 0, 0, 1.0))) {
            ImageInputs in = new ImageInputs(paths, labels, p, new Augmentation(a, p), 3);
            BatchContext at = new BatchContext(3, 0, 2, 0, true);
            try (NDManager m = TensorRuntime.newManager()) {
                float[] t = in.targets(m, new int[] {0, 2, 4, 5}, at).toFloatArray();
                float[] again = in.targets(m, new int[] {0, 2, 4, 5}, at).toFloatArray();
                assertThat(again).containsExactly(t);
                for (int i = 0; i < 4; i++) {
                    assertThat(t[3 * i] + t[3 * i + 1] + t[3 * i + 2]).isCloseTo(1f, org.assertj.core.api.Assertions.within(1e-5f));
                }
                assertThat(in.targets(m, new int[] {0, 2}, BatchContext.EVALUATION)).isNull();
            }
        }
    }

    @Test
    void betaDrawsHaveTheRightMean() {
        java.util.SplittableRandom r = new java.util.SplittableRandom(4);
        double sum = 0;
        for (int i = 0; i < 20_000; i++) sum += Augmentation.beta(0.4, r);
        assertThat(sum / 20_000).isCloseTo(0.5, org.assertj.core.api.Assertions.within(0.01));
        double g = 0;
        for (int i = 0; i < 20_000; i++) g += Augmentation.gamma(0.4, r);
        assertThat(g / 20_000).isCloseTo(0.4, org.assertj.core.api.Assertions.within(0.02));
    }
}
