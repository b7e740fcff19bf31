package dev.finetune4j.data;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class BalancedSamplerTest {
    /** 90 of class 0, 10 of class 1. */
    private static int[] skewed() {
        int[] labels = new int[100];
        for (int i = 90; i < 100; i++) labels[i] = 1;
        return labels;
    }

    @Test
    void anEpochHasAsManyIndicesAsExamplesSplitEquallyBetweenClasses() {
        int[] labels = skewed();
        int[] epoch = BalancedSampler.epoch(labels, 7, 0);
        assertThat(epoch).hasSize(100);
        int minority = 0;
        for (int i : epoch) minority += labels[i];
        assertThat(minority).isEqualTo(50);
        // The 10 minority examples repeat 5 times each; no index is out of range.
        int[] counts = new int[100];
        for (int i : epoch) counts[i]++;
        for (int i = 90; i < 100; i++) assertThat(counts[i]).isEqualTo(5);
    }

    @Test
    void theMajorityClassIsCoveredInTurnOverEpochsNotAtRandom() {
        int[] labels = skewed();
        Set<Integer> seen = new HashSet<>();
        for (int e = 0; e < 2; e++) {
            for (int i : BalancedSampler.epoch(labels, 7, e)) if (labels[i] == 0) seen.add(i);
        }
        // 50 per epoch from 90: two epochs must have visited all 90 (a random draw would miss some).
        assertThat(seen).hasSize(90);
        int[] first = BalancedSampler.epoch(labels, 7, 0);
        Set<Integer> firstMajority = new HashSet<>();
        for (int i : first) if (labels[i] == 0) firstMajority.add(i);
        assertThat(firstMajority).as("no repeats within the first pass").hasSize(50);
    }

    @Test
    void dependsOnlyOnLabelsSeedAndEpoch() {
        int[] labels = skewed();
        assertThat(BalancedSampler.epoch(labels, 7, 3)).containsExactly(BalancedSampler.epoch(labels, 7, 3));
        assertThat(BalancedSampler.epoch(labels, 7, 3)).isNotEqualTo(BalancedSampler.epoch(labels, 8, 3));
    }

    @Test
    void classesThatAreAbsentGetNoShareAndUnevenQuotasDifferByOne() {
        int[] labels = {0, 0, 0, 2, 2, 2, 2}; // class 1 absent
        int[] epoch = BalancedSampler.epoch(labels, 1, 0);
        int zeros = 0, twos = 0;
        for (int i : epoch) {
            if (labels[i] == 0) zeros++;
            else twos++;
        }
        assertThat(zeros + twos).isEqualTo(7);
        assertThat(Math.abs(zeros - twos)).isEqualTo(1);
    }

    @Test
    void batcherShufflesAndBucketsGivenIndicesIncludingRepeats() {
        int[] lengths = new int[100];
        for (int i = 0; i < 100; i++) lengths[i] = i % 17;
        LengthBucketBatcher batcher = new LengthBucketBatcher(lengths, 8, 3);
        int[] epoch = BalancedSampler.epoch(skewed(), 3, 0);
        int[] counts = new int[100];
        int total = 0;
        for (int[] batch : batcher.batches(epoch, 0)) {
            total += batch.length;
            for (int i : batch) counts[i]++;
        }
        assertThat(total).isEqualTo(100);
        assertThat(counts[95]).isEqualTo(5);
        // Plain epochs are unchanged: the same batches as batches(0..n-1).
        assertThat(batcher.epoch(2)).usingRecursiveComparison()
                .isEqualTo(batcher.batches(java.util.stream.IntStream.range(0, 100).toArray(), 2));
    }
}
