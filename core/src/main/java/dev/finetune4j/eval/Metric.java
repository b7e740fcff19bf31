package dev.finetune4j.eval;

import dev.finetune4j.UserError;
import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * A metric that can be monitored (for picking the best checkpoint or early stopping), with the
 * direction in which it improves.
 */
public enum Metric {
    ACCURACY("accuracy", true),
    MACRO_F1("macro_f1", true),
    WEIGHTED_F1("weighted_f1", true),
    LOSS("loss", false),
    /** Binary problems only, and only when probabilities were given. */
    ROC_AUC("roc_auc", true);

    private final String key;
    private final boolean higherIsBetter;

    Metric(String key, boolean higherIsBetter) {
        this.key = key;
        this.higherIsBetter = higherIsBetter;
    }

    /** The name used in recipes, on the command line and as the key in {@link ClassificationReport#toMap()}. */
    public String key() {
        return key;
    }

    public boolean higherIsBetter() {
        return higherIsBetter;
    }

    /** Whether the report has a value for this metric (ROC-AUC and loss may be missing). */
    public boolean isAvailable(ClassificationReport report) {
        return switch (this) {
            case ROC_AUC -> report.rocAuc() != null;
            case LOSS -> report.loss() != null;
            default -> true;
        };
    }

    /**
     * This metric's value in the report.
     *
     * @throws IllegalStateException when the report has no value for it (see {@link #isAvailable})
     */
    public double value(ClassificationReport report) {
        return switch (this) {
            case ACCURACY -> report.accuracy();
            case MACRO_F1 -> report.macro().f1();
            case WEIGHTED_F1 -> report.weighted().f1();
            case LOSS -> {
                if (report.loss() == null) throw new IllegalStateException("no loss in this report (no probabilities were given)");
                yield report.loss();
            }
            case ROC_AUC -> {
                if (report.rocAuc() == null) {
                    throw new IllegalStateException(report.isBinary()
                            ? "no roc_auc in this report (no probabilities were given, or only one class occurs in the gold labels)"
                            : "roc_auc is defined for 2 classes only, this report has " + report.numClasses());
                }
                yield report.rocAuc();
            }
        };
    }

    /** The worst possible value: a starting "best" that any real value improves on. */
    public double worstValue() {
        return higherIsBetter ? Double.NEGATIVE_INFINITY : Double.POSITIVE_INFINITY;
    }

    /**
     * Whether {@code candidate} beats {@code best} by more than {@code minDelta} in this metric's
     * direction: {@code candidate > best + minDelta} (higher is better) or {@code candidate < best -
     * minDelta} (lower is better). A NaN candidate never improves; a NaN best (no best yet) is
     * improved on by any non-NaN candidate.
     *
     * @throws IllegalArgumentException when minDelta is negative or NaN
     */
    public boolean isImprovement(double candidate, double best, double minDelta) {
        if (!(minDelta >= 0)) throw new IllegalArgumentException("minDelta must be >= 0, got " + minDelta);
        if (Double.isNaN(candidate)) return false;
        if (Double.isNaN(best)) return true;
        return higherIsBetter ? candidate > best + minDelta : candidate < best - minDelta;
    }

    /**
     * The metric with this name (case-insensitive, '-' taken as '_', e.g. "macro_f1", "Macro-F1").
     *
     * @throws UserError naming the allowed names when there is no such metric
     */
    public static Metric parse(String name) {
        String norm = name == null ? "" : name.trim().toLowerCase(Locale.ROOT).replace('-', '_');
        for (Metric m : values()) {
            if (m.key.equals(norm)) return m;
        }
        throw new UserError("unknown metric '" + name + "'; allowed: " + allowedNames());
    }

    /** "accuracy, macro_f1, weighted_f1, loss, roc_auc". */
    public static String allowedNames() {
        return Arrays.stream(values()).map(Metric::key).collect(Collectors.joining(", "));
    }

    @Override
    public String toString() {
        return key;
    }
}
