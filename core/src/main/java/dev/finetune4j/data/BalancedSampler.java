package dev.finetune4j.data;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Random;

/**
 * Class-balanced epochs: an epoch holds as many indices as there are examples, split equally
 * between the classes present. Each class's indices come from an endless stream of reshuffles of
 * that class, read on from where the previous epoch stopped: a small class repeats within an
 * epoch, a large one is covered fully over consecutive epochs instead of sampled at random. The
 * result depends only on (labels, seed, epoch).
 */
public final class BalancedSampler {
    private BalancedSampler() {}

    /** The example indices of epoch {@code epoch} (0-based), grouped by class; callers shuffle. */
    public static int[] epoch(int[] labels, long seed, int epoch) {
        int classes = Arrays.stream(labels).max().orElse(-1) + 1;
        List<List<Integer>> byClass = new ArrayList<>();
        for (int c = 0; c < classes; c++) byClass.add(new ArrayList<>());
        for (int i = 0; i < labels.length; i++) byClass.get(labels[i]).add(i);
        byClass.removeIf(List::isEmpty);
        int k = byClass.size();
        int[] out = new int[labels.length];
        int at = 0;
        for (int c = 0; c < k; c++) {
            int quota = labels.length / k + (c < labels.length % k ? 1 : 0);
            List<Integer> members = byClass.get(c);
            long first = (long) epoch * quota; // position in this class's endless stream
            for (long p = first; p < first + quota; ) {
                long round = p / members.size();
                List<Integer> shuffled = new ArrayList<>(members);
                Collections.shuffle(shuffled, new Random(seed * 7_919L + round * 1_000_003L + members.get(0)));
                for (int j = (int) (p % members.size()); j < members.size() && p < first + quota; j++, p++) {
                    out[at++] = shuffled.get(j);
                }
            }
        }
        return out;
    }
}
