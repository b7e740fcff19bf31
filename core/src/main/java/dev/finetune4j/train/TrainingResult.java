package dev.finetune4j.train;

import java.util.List;

/**
 * What a finished run did. {@code bestStep} is the step whose weights the model holds at the end
 * (the last step when there was no validation). {@code epochSeconds}: the wall time of each epoch,
 * its validation included. {@code intraOpThreads}: PyTorch's intra-op threads on the training
 * thread, one of the things a rerun must match to give the same bytes.
 */
public record TrainingResult(long steps, int epochsStarted, long bestStep, double bestMetric, boolean stoppedEarly,
        double trainSeconds, double examplesPerSecond, List<TrainingListener.Evaluation> evaluations,
        List<Double> epochLosses, List<Double> epochSeconds, List<TrainingListener.Unfreeze> unfreezes,
        int skippedSteps, int intraOpThreads) {
    public TrainingResult {
        epochSeconds = List.copyOf(epochSeconds);
        evaluations = List.copyOf(evaluations);
        epochLosses = List.copyOf(epochLosses);
        unfreezes = List.copyOf(unfreezes);
    }
}
