package dev.finetune4j.data;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class LengthBucketBatcherTest {
    /** Mostly short texts with a long tail, like real data. */
    private static int[] skewedLengths(int n) {
        Random r = new Random(3);
        int[] lengths = new int[n];
        for (int i = 0; i < n; i++) {
            lengths[i] = r.nextDouble() < 0.8 ? 5 + r.nextInt(30) : 50 + r.nextInt(460);
        }
        return lengths;
    }

    private static long padding(List<int[]> batches, int[] lengths) {
        long pad = 0;
        for (int[] b : batches) {
            int max = Arrays.stream(b).map(i -> lengths[i]).max().orElse(0);
            for (int i : b) pad += max - lengths[i];
        }
        return pad;
    }

    @Test
    void everyIndexExactlyOncePerEpoch() {
        int n = 10_007;
        LengthBucketBatcher batcher = new LengthBucketBatcher(skewedLengths(n), 32, 9);
        for (int epoch = 0; epoch < 3; epoch++) {
            List<int[]> batches = batcher.epoch(epoch);
            assertThat(batches).hasSize(batcher.batchesPerEpoch());
            int[] all = batches.stream().flatMapToInt(Arrays::stream).sorted().toArray();
            assertThat(all).hasSize(n);
            for (int i = 0; i < n; i++) assertThat(all[i]).isEqualTo(i);
            assertThat(batches.stream().filter(b -> b.length != 32).count()).isEqualTo(1);
        }
    }

    @Test
    void deterministicPerSeedAndEpoch() {
        int[] lengths = skewedLengths(2000);
        List<int[]> a = new LengthBucketBatcher(lengths, 16, 1).epoch(2);
        List<int[]> b = new LengthBucketBatcher(lengths, 16, 1).epoch(2);
        assertThat(a).usingElementComparator(Arrays::compare).containsExactlyElementsOf(b);
        assertThat(LengthBucketBatcher.epoch(lengths, 16, 1, 2)).usingElementComparator(Arrays::compare)
                .containsExactlyElementsOf(a);
        List<int[]> otherEpoch = new LengthBucketBatcher(lengths, 16, 1).epoch(3);
        List<int[]> otherSeed = new LengthBucketBatcher(lengths, 16, 2).epoch(2);
        assertThat(a.get(0)).isNotEqualTo(otherEpoch.get(0));
        assertThat(a.get(0)).isNotEqualTo(otherSeed.get(0));
    }

    @Test
    void bucketingCutsPaddingVersusRandomBatches() {
        int[] lengths = skewedLengths(5000);
        long bucketed = padding(new LengthBucketBatcher(lengths, 32, 4).epoch(0), lengths);
        List<Integer> order = new ArrayList<>();
        for (int i = 0; i < lengths.length; i++) order.add(i);
        Collections.shuffle(order, new Random(4));
        List<int[]> random = new ArrayList<>();
        for (int from = 0; from < order.size(); from += 32) {
            random.add(order.subList(from, Math.min(order.size(), from + 32)).stream().mapToInt(i -> i).toArray());
        }
        long randomPadding = padding(random, lengths);
        assertThat(bucketed).isLessThan(randomPadding / 5);
    }

    @Test
    void sequentialIsLongestFirstWithOriginalIndices() {
        int[] lengths = {3, 9, 1, 9, 5};
        List<int[]> batches = LengthBucketBatcher.sequential(lengths, 2);
        assertThat(batches).hasSize(3);
        assertThat(batches.get(0)).containsExactly(1, 3);
        assertThat(batches.get(1)).containsExactly(4, 0);
        assertThat(batches.get(2)).containsExactly(2);
        assertThat(LengthBucketBatcher.sequential(5, 2)).usingElementComparator(Arrays::compare)
                .containsExactly(new int[] {0, 1}, new int[] {2, 3}, new int[] {4});
    }
}
