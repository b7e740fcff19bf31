package dev.finetune4j.train;

import java.util.List;
import java.util.Map;

/**
 * Everything besides tensors that a checkpoint needs for a resumed run to continue exactly as an
 * uninterrupted one: where the data order stands ({@code epoch}, {@code batchInEpoch} = batches of
 * that epoch already done), the schedule position ({@code step}), the unfreezing stage, the
 * early-stopping state, the optimizer's step counts and the history that ends up in the result.
 * {@code lrScale} is the learning-rate back-off after skipped non-finite steps. Dropout needs no saved generator: it is reseeded from (seed, step) before every step.
 */
public record TrainerState(
        long step,
        int epoch,
        int batchInEpoch,
        int stage,
        boolean stop,
        int skipped,
        int consecutiveSkips,
        double lrScale,
        long lastSkip,
        double trainNanos,
        long examples,
        double epochLossSum,
        int epochLossCount,
        double epochSecondsSoFar,
        List<Double> epochLosses,
        List<Double> epochSeconds,
        List<TrainingListener.Evaluation> evaluations,
        List<TrainingListener.Unfreeze> unfreezes,
        double bestMetric,
        long bestStep,
        int evaluationsWithoutImprovement,
        long optimizerSteps,
        Map<String, Long> parameterSteps) {}
