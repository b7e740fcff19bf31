package dev.finetune4j.train;

import java.util.SplittableRandom;

/**
 * Where a batch sits in a run, handed to {@link LabelledInputs#collate}. Augmentation drawn from
 * {@link #random()} depends on the seed, epoch, step and micro-batch alone, so a resumed run draws
 * exactly what the uninterrupted run drew. Evaluation and feature extraction batches have
 * {@code training} false and are not augmented.
 *
 * @param step the optimizer step this batch belongs to, from 0
 * @param microBatch which of the step's accumulated batches, from 0
 */
public record BatchContext(long seed, int epoch, long step, int microBatch, boolean training) {
    /** Any batch outside training. */
    public static final BatchContext EVALUATION = new BatchContext(0, 0, 0, 0, false);

    /** A generator for this batch alone. */
    public SplittableRandom random() {
        long h = seed;
        for (long v : new long[] {epoch, step, microBatch}) h = mix(h ^ (v + 0x9E3779B97F4A7C15L));
        return new SplittableRandom(h);
    }

    /** The 64-bit finaliser of SplitMix64: every input bit moves every output bit. */
    private static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
