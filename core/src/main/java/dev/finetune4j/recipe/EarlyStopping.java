package dev.finetune4j.recipe;

import java.util.List;

/**
 * Stop training when {@code metric} on the validation set has not improved by more than
 * {@code minDelta} for {@code patience} evaluations in a row ({@code null}: chosen by the run, more
 * for a head on cached features, whose epochs cost milliseconds).
 */
public record EarlyStopping(String metric, Integer patience, double minDelta) {
    /** The metrics early stopping can watch, in recipe spelling. */
    public static final List<String> METRICS = List.of("macro_f1", "accuracy", "weighted_f1", "loss");

    public EarlyStopping {
        Checks.check(METRICS.contains(metric), "early_stopping.metric '" + metric + "' is not one of " + METRICS);
        Checks.atLeast(patience, 1, "early_stopping.patience");
        Checks.check(minDelta >= 0, "early_stopping.min_delta must be >= 0, got " + minDelta);
    }

    /** Whether a larger value of the metric is an improvement (false only for loss). */
    public boolean higherIsBetter() {
        return !metric.equals("loss");
    }
}
