package dev.finetune4j.train;

import dev.finetune4j.recipe.Schedule;

/**
 * The learning-rate multiplier as a pure function of the optimizer step (0-based), as in Hugging
 * Face's {@code get_*_schedule_with_warmup}: linear warmup from 0 over {@code warmupSteps}, then
 * decay to 0 at {@code totalSteps} (linear or half-cosine), or stay constant.
 */
@FunctionalInterface
public interface LearningRateSchedule {
    double factor(long step);

    static LearningRateSchedule of(Schedule shape, long warmupSteps, long totalSteps) {
        if (totalSteps <= 0) throw new IllegalArgumentException("totalSteps must be positive");
        long warmup = Math.min(Math.max(warmupSteps, 0), totalSteps);
        return step -> {
            if (step < warmup) return (double) step / Math.max(1, warmup);
            double progress = (double) (step - warmup) / Math.max(1, totalSteps - warmup);
            switch (shape) {
                case LINEAR:
                    return Math.max(0.0, 1.0 - progress);
                case COSINE:
                    return Math.max(0.0, 0.5 * (1.0 + Math.cos(Math.PI * Math.min(1.0, progress))));
                case CONSTANT:
                    return 1.0;
                default:
                    throw new IllegalStateException();
            }
        };
    }
}
