package dev.finetune4j.eval;

import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Percentile bootstrap intervals of a metric over one evaluation set: the examples are drawn again
 * with replacement {@code resamples} times and the metric computed on each draw (Efron and
 * Tibshirani 1993). How far a metric on a set of this size moves by chance alone, which says whether
 * two settings evaluated on it can be told apart.
 */
public final class Bootstrap {
    /** A metric's value on the set and its interval. */
    public record Interval(String metric, double value, double low, double high, double level, int n, int resamples) {
        public double halfWidth() {
            return (high - low) / 2;
        }
    }

    public static final int RESAMPLES = 1000;
    public static final double LEVEL = 0.95;

    private Bootstrap() {}

    /** The {@value #LEVEL} interval of {@code metric} (accuracy, macro or weighted F1) from a report's confusion matrix. */
    public static Interval interval(ClassificationReport report, Metric metric, long seed) {
        if (metric == Metric.LOSS || metric == Metric.ROC_AUC) {
            throw new IllegalArgumentException(metric.key() + " needs probabilities; a confusion matrix has none");
        }
        int[][] cm = report.confusionMatrix();
        int n = report.n();
        int[] gold = new int[n];
        int[] predicted = new int[n];
        int i = 0;
        for (int t = 0; t < cm.length; t++) {
            for (int p = 0; p < cm.length; p++) {
                for (int c = 0; c < cm[t][p]; c++, i++) {
                    gold[i] = t;
                    predicted[i] = p;
                }
            }
        }
        List<String> labels = report.labels();
        SplittableRandom random = new SplittableRandom(seed);
        double[] values = new double[RESAMPLES];
        int[] g = new int[n];
        int[] q = new int[n];
        for (int r = 0; r < RESAMPLES; r++) {
            for (int j = 0; j < n; j++) {
                int pick = random.nextInt(n);
                g[j] = gold[pick];
                q[j] = predicted[pick];
            }
            values[r] = metric.value(ClassificationMetrics.compute(g, q, labels));
        }
        Arrays.sort(values);
        double tail = (1 - LEVEL) / 2;
        return new Interval(metric.key(), metric.value(report), quantile(values, tail), quantile(values, 1 - tail), LEVEL,
                n, RESAMPLES);
    }

    /** Linear interpolation between order statistics (NumPy's default). */
    static double quantile(double[] sorted, double q) {
        double position = q * (sorted.length - 1);
        int below = (int) Math.floor(position);
        int above = Math.min(below + 1, sorted.length - 1);
        return sorted[below] + (position - below) * (sorted[above] - sorted[below]);
    }
}
