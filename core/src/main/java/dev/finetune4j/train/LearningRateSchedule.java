package dev.finetune4j.train;

/**
 * The learning-rate multiplier as a pure function of the optimizer step (0-based).
 *
 * <ul>
 *   <li>{@code linear}, {@code cosine}, {@code constant}: as Hugging Face's
 *       {@code get_*_schedule_with_warmup}: linear warmup from 0 over the warmup steps, then decay to
 *       0 at the last step (linear or half-cosine), or stay constant.
 *   <li>{@code step}, {@code exponential}: the warmup, times PyTorch's {@code StepLR}
 *       ({@code gamma^floor(epoch / stepSizeEpochs)}) or {@code ExponentialLR} ({@code gamma^epoch}),
 *       stepped once per epoch as PyTorch's examples do.
 *   <li>{@code one-cycle}: PyTorch's {@code OneCycleLR} (cosine annealing, two phases): from
 *       1/25 of the peak up to it over the warmup steps ({@code pct_start}), then down to
 *       1/250,000 of it at the last step. The momentum is not cycled ({@code cycle_momentum=False}).
 * </ul>
 */
@FunctionalInterface
public interface LearningRateSchedule {
    /** PyTorch's {@code OneCycleLR} defaults. */
    double ONE_CYCLE_DIV_FACTOR = 25, ONE_CYCLE_FINAL_DIV_FACTOR = 1e4;

    double factor(long step);

    static LearningRateSchedule of(Schedule shape, long warmupSteps, long totalSteps) {
        return of(shape, warmupSteps, totalSteps, totalSteps, shape.defaultGamma(), 1);
    }

    /**
     * @param stepsPerEpoch optimizer steps in one epoch (for {@code step} and {@code exponential})
     * @param gamma the decay factor of {@code step} and {@code exponential}
     * @param stepSizeEpochs epochs between two decays of {@code step}
     */
    static LearningRateSchedule of(Schedule shape, long warmupSteps, long totalSteps, long stepsPerEpoch, double gamma,
            int stepSizeEpochs) {
        if (totalSteps <= 0) throw new IllegalArgumentException("totalSteps must be positive");
        if (stepsPerEpoch <= 0) throw new IllegalArgumentException("stepsPerEpoch must be positive");
        if (stepSizeEpochs <= 0) throw new IllegalArgumentException("stepSizeEpochs must be positive");
        long warmup = Math.min(Math.max(warmupSteps, 0), totalSteps);
        if (shape == Schedule.ONE_CYCLE) return oneCycle(warmup, totalSteps);
        return step -> {
            double warm = step < warmup ? (double) step / Math.max(1, warmup) : 1.0;
            double progress = (double) (step - warmup) / Math.max(1, totalSteps - warmup);
            long epoch = step / stepsPerEpoch;
            return switch (shape) {
                case LINEAR -> step < warmup ? warm : Math.max(0.0, 1.0 - progress);
                case COSINE -> step < warmup ? warm : Math.max(0.0, 0.5 * (1.0 + Math.cos(Math.PI * Math.min(1.0, progress))));
                case CONSTANT -> warm;
                case STEP -> warm * Math.pow(gamma, epoch / stepSizeEpochs);
                case EXPONENTIAL -> warm * Math.pow(gamma, epoch);
                case ONE_CYCLE -> throw new IllegalStateException();
            };
        };
    }

    /**
     * {@code torch.optim.lr_scheduler.OneCycleLR.get_lr} relative to the peak, with {@code pct_start}
     * = warmup / total: phase one ends at step {@code warmup - 1}, phase two at the last step.
     */
    private static LearningRateSchedule oneCycle(long warmup, long totalSteps) {
        double initial = 1.0 / ONE_CYCLE_DIV_FACTOR, min = initial / ONE_CYCLE_FINAL_DIV_FACTOR;
        double firstEnd = warmup - 1.0, lastEnd = totalSteps - 1.0;
        return step -> {
            // PyTorch divides by zero for a one-step first phase; its step is the peak here
            if (step <= firstEnd) return cosineAnneal(initial, 1.0, firstEnd > 0 ? step / firstEnd : 1.0);
            return cosineAnneal(1.0, min, Math.min(1.0, (step - firstEnd) / (lastEnd - firstEnd)));
        };
    }

    private static double cosineAnneal(double start, double end, double pct) {
        return end + (start - end) / 2.0 * (Math.cos(Math.PI * pct) + 1);
    }
}
