package dev.finetune4j.data;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.stream.IntStream;

/**
 * Groups examples of similar length into batches, so that dynamic padding wastes little.
 *
 * <p>An epoch: shuffle all indices; cut them into chunks of {@value #BATCHES_PER_CHUNK} batches; sort
 * each chunk by length and cut it into batches; shuffle the order of all batches. Sorting only
 * within chunks keeps the batches random enough to train on, and shuffling the batch order keeps
 * the model from seeing lengths in a trend. Only the last batch can be smaller than the batch size.
 * The order depends only on (lengths, batch size, seed, epoch).
 *
 * <p>Lengths are whatever cost grows with: token counts for text, frames for audio; for inputs of
 * one size all lengths can be equal.
 */
public final class LengthBucketBatcher {
    static final int BATCHES_PER_CHUNK = 50;

    private final int[] lengths;
    private final int batchSize;
    private final long seed;

    public LengthBucketBatcher(int[] lengths, int batchSize, long seed) {
        if (batchSize < 1) throw new IllegalArgumentException("batch size must be >= 1, got " + batchSize);
        this.lengths = lengths.clone();
        this.batchSize = batchSize;
        this.seed = seed;
    }

    public int size() {
        return lengths.length;
    }

    public int batchesPerEpoch() {
        return (lengths.length + batchSize - 1) / batchSize;
    }

    /** The batches of one epoch (0-based); each example index occurs exactly once. */
    public List<int[]> epoch(int epoch) {
        return batches(IntStream.range(0, lengths.length).toArray(), epoch);
    }

    /**
     * Batches of the given example indices (repeats allowed, e.g. from {@link BalancedSampler}),
     * shuffled and bucketed as {@link #epoch(int)} does with all of them.
     */
    public List<int[]> batches(int[] indices, int epoch) {
        Random rng = new Random(seed * 1_000_003L + epoch);
        Integer[] order = Arrays.stream(indices).boxed().toArray(Integer[]::new);
        Collections.shuffle(Arrays.asList(order), rng);
        int chunk = batchSize * BATCHES_PER_CHUNK;
        Comparator<Integer> byLength = Comparator.comparingInt(i -> lengths[i]);
        for (int from = 0; from < order.length; from += chunk) {
            Arrays.sort(order, from, Math.min(order.length, from + chunk), byLength);
        }
        List<int[]> batches = cut(order, batchSize);
        Collections.shuffle(batches, rng);
        return batches;
    }

    /** One epoch's batches without keeping a batcher: same as {@code new LengthBucketBatcher(...).epoch(epoch)}. */
    public static List<int[]> epoch(int[] lengths, int batchSize, long seed, int epoch) {
        return new LengthBucketBatcher(lengths, batchSize, seed).epoch(epoch);
    }

    /**
     * Evaluation order: all examples by length, longest first (so memory trouble shows in the first
     * batch), in batches of original indices, so that predictions can be put back in input order.
     */
    public static List<int[]> sequential(int[] lengths, int batchSize) {
        if (batchSize < 1) throw new IllegalArgumentException("batch size must be >= 1, got " + batchSize);
        Integer[] order = IntStream.range(0, lengths.length).boxed().toArray(Integer[]::new);
        Arrays.sort(order, Comparator.comparingInt((Integer i) -> lengths[i]).reversed());
        return cut(order, batchSize);
    }

    /** Evaluation order when lengths do not matter: 0..n-1 in batches. */
    public static List<int[]> sequential(int n, int batchSize) {
        return sequential(new int[n], batchSize);
    }

    private static List<int[]> cut(Integer[] order, int batchSize) {
        List<int[]> batches = new ArrayList<>();
        for (int from = 0; from < order.length; from += batchSize) {
            int to = Math.min(order.length, from + batchSize);
            int[] batch = new int[to - from];
            for (int i = from; i < to; i++) batch[i - from] = order[i];
            batches.add(batch);
        }
        return batches;
    }
}
