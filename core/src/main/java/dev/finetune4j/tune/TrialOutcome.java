package dev.finetune4j.tune;

import java.io.Serializable;

/**
 * How one attempt at a trial ended, as the process that ran it saw it.
 *
 * @param value the final metric (complete), the last intermediate one (pruned), or null
 * @param rssMb resident memory of the process that ran the trial, after it
 * @param heapMb of which the JVM's committed heap (the rest is native: PyTorch, the allocator, code)
 * @param worker where it ran (host, executor)
 */
public record TrialOutcome(Trial.State state, Double value, String error, double seconds, Long rssMb, Long heapMb, int evaluations,
        String worker) implements Serializable {}
