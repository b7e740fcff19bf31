package dev.finetune4j.train;

import dev.finetune4j.eval.ClassificationReport;

/** Observes a training run; every method is optional. Listeners never change the run. */
public interface TrainingListener {
    /** After each optimizer step. */
    record Step(long step, long totalSteps, int epoch, double loss, double learningRate, double gradNorm,
            long examplesSeen, double examplesPerSecond) {}

    /** After each evaluation on the validation split. */
    record Evaluation(long step, int epoch, ClassificationReport report, String metricName, double metric, boolean improved,
            boolean stopping) {}

    /** Gradual unfreezing reached a new stage before {@code step}: parameters at depth <= stage now train. */
    record Unfreeze(long step, int epoch, int stage, long trainableParameters) {}

    default void onUnfreeze(Unfreeze unfreeze) {}

    /**
     * Which parameters' gradients held NaN or infinite values at {@code step} (one line each, with
     * counts and the largest finite magnitude); called before {@link #onSkippedStep} or the stop.
     */
    default void onNonFiniteGradients(long step, java.util.List<String> parameters) {}

    /** The loss or the gradient of a step was not finite: the step was not applied. */
    default void onSkippedStep(long step, double loss, double gradNorm) {}

    default void onStart(long totalSteps, int epochs, int trainExamples) {}

    default void onStep(Step step) {}

    default void onEvaluation(Evaluation evaluation) {}

    default void onEnd(TrainingResult result) {}

    static TrainingListener none() {
        return new TrainingListener() {};
    }

    /**
     * Both listeners, {@code first} first at every event; an exception from either (a stop) ends the
     * run. A recorder goes first, so that it has every value a later listener stops the run on.
     */
    static TrainingListener both(TrainingListener first, TrainingListener second) {
        return new TrainingListener() {
            @Override
            public void onUnfreeze(Unfreeze u) {
                first.onUnfreeze(u);
                second.onUnfreeze(u);
            }

            @Override
            public void onNonFiniteGradients(long step, java.util.List<String> parameters) {
                first.onNonFiniteGradients(step, parameters);
                second.onNonFiniteGradients(step, parameters);
            }

            @Override
            public void onSkippedStep(long step, double loss, double gradNorm) {
                first.onSkippedStep(step, loss, gradNorm);
                second.onSkippedStep(step, loss, gradNorm);
            }

            @Override
            public void onStart(long totalSteps, int epochs, int trainExamples) {
                first.onStart(totalSteps, epochs, trainExamples);
                second.onStart(totalSteps, epochs, trainExamples);
            }

            @Override
            public void onStep(Step step) {
                first.onStep(step);
                second.onStep(step);
            }

            @Override
            public void onEvaluation(Evaluation evaluation) {
                first.onEvaluation(evaluation);
                second.onEvaluation(evaluation);
            }

            @Override
            public void onEnd(TrainingResult result) {
                first.onEnd(result);
                second.onEnd(result);
            }
        };
    }
}
