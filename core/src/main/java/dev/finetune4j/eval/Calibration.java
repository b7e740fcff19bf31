package dev.finetune4j.eval;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * How far a classifier's probabilities can be trusted, and two fixes fitted on held-out data.
 *
 * <ul>
 *   <li>Expected calibration error (Naeini et al. 2015; Guo et al. 2017): the top-label confidence
 *       in {@value #BINS} equal-width bins, {@code sum_b |B_b|/n * |accuracy(B_b) - confidence(B_b)|};
 *       bin b holds confidences in {@code (b/M, (b+1)/M]}, the first also 0.
 *   <li>Temperature scaling (Guo et al. 2017): {@code softmax(log p / T)}, T fitted by minimising
 *       the negative log-likelihood. The log-likelihood is concave in {@code 1/T}, so a
 *       golden-section search over {@code 1/T} finds its optimum. It never changes which class is
 *       most probable.
 *   <li>A decision threshold for binary tasks: predict the positive class (index 1) when its
 *       probability is at least t, t chosen to maximise a metric.
 * </ul>
 */
public final class Calibration {
    public static final int BINS = 15;
    static final double MIN_INVERSE_TEMPERATURE = 0.01;
    static final double MAX_INVERSE_TEMPERATURE = 100;
    /** Thresholds tried: at most this many quantiles of the positive-class scores, and 0.5. */
    static final int MAX_THRESHOLD_CANDIDATES = 400;

    /** One bin of a reliability diagram. */
    public record Bin(double lower, double upper, int count, double confidence, double accuracy) {}

    private Calibration() {}

    public static double expectedCalibrationError(float[][] probabilities, int[] gold) {
        double ece = 0;
        int n = probabilities.length;
        for (Bin b : reliability(probabilities, gold)) {
            if (b.count() > 0) ece += (double) b.count() / n * Math.abs(b.accuracy() - b.confidence());
        }
        return ece;
    }

    /** The {@value #BINS} bins of the reliability diagram; empty bins have count 0 and NaN means. */
    public static List<Bin> reliability(float[][] probabilities, int[] gold) {
        if (probabilities.length != gold.length) {
            throw new IllegalArgumentException(probabilities.length + " rows of probabilities for " + gold.length + " labels");
        }
        int[] count = new int[BINS];
        double[] confidence = new double[BINS];
        int[] correct = new int[BINS];
        int[] predicted = ClassificationMetrics.argmax(probabilities);
        for (int i = 0; i < probabilities.length; i++) {
            double c = probabilities[i][predicted[i]];
            int b = Math.min(BINS - 1, Math.max(0, (int) Math.ceil(c * BINS) - 1));
            count[b]++;
            confidence[b] += c;
            if (predicted[i] == gold[i]) correct[b]++;
        }
        List<Bin> bins = new ArrayList<>(BINS);
        for (int b = 0; b < BINS; b++) {
            bins.add(new Bin((double) b / BINS, (double) (b + 1) / BINS, count[b],
                    count[b] == 0 ? Double.NaN : confidence[b] / count[b],
                    count[b] == 0 ? Double.NaN : (double) correct[b] / count[b]));
        }
        return bins;
    }

    /** The temperature T that minimises the negative log-likelihood of {@code softmax(log p / T)} on these examples. */
    public static double fitTemperature(float[][] probabilities, int[] gold) {
        if (probabilities.length == 0) throw new IllegalArgumentException("no examples to fit a temperature on");
        double[][] logits = logits(probabilities);
        double lo = Math.log(MIN_INVERSE_TEMPERATURE);
        double hi = Math.log(MAX_INVERSE_TEMPERATURE);
        // Golden-section search over log(1/T): unimodal there because the likelihood is concave in 1/T.
        double phi = (Math.sqrt(5) - 1) / 2;
        double a = hi - phi * (hi - lo);
        double b = lo + phi * (hi - lo);
        double fa = nll(logits, gold, Math.exp(a));
        double fb = nll(logits, gold, Math.exp(b));
        for (int i = 0; i < 80; i++) {
            if (fa <= fb) {
                hi = b;
                b = a;
                fb = fa;
                a = hi - phi * (hi - lo);
                fa = nll(logits, gold, Math.exp(a));
            } else {
                lo = a;
                a = b;
                fa = fb;
                b = lo + phi * (hi - lo);
                fb = nll(logits, gold, Math.exp(b));
            }
        }
        return 1 / Math.exp((lo + hi) / 2);
    }

    /** {@code softmax(log p / temperature)} row by row. */
    public static float[][] scale(float[][] probabilities, double temperature) {
        if (!(temperature > 0)) throw new IllegalArgumentException("temperature must be > 0, got " + temperature);
        if (temperature == 1) return probabilities;
        float[][] out = new float[probabilities.length][];
        double[][] logits = logits(probabilities);
        for (int i = 0; i < logits.length; i++) {
            double[] z = logits[i];
            double max = Double.NEGATIVE_INFINITY;
            for (double v : z) max = Math.max(max, v / temperature);
            double sum = 0;
            double[] e = new double[z.length];
            for (int j = 0; j < z.length; j++) sum += e[j] = Math.exp(z[j] / temperature - max);
            out[i] = new float[z.length];
            for (int j = 0; j < z.length; j++) out[i][j] = (float) (e[j] / sum);
        }
        return out;
    }

    /** Mean negative log-likelihood of the gold labels (the clamping of {@link ClassificationMetrics}). */
    public static double negativeLogLikelihood(float[][] probabilities, int[] gold) {
        double sum = 0;
        for (int i = 0; i < gold.length; i++) sum -= Math.log(Math.max(probabilities[i][gold[i]], ClassificationMetrics.LOG_EPS));
        return sum / gold.length;
    }

    /** Class predictions of a binary model at a threshold on the positive class (index 1). */
    public static int[] decide(float[][] probabilities, double threshold) {
        int[] out = new int[probabilities.length];
        for (int i = 0; i < out.length; i++) out[i] = probabilities[i][1] >= threshold ? 1 : 0;
        return out;
    }

    /**
     * The threshold on the positive class's probability that maximises {@code metric} (accuracy or
     * an F1; others fall back to macro F1) on these examples; among equally good thresholds the one
     * nearest 0.5, so that a threshold is moved only for a gain.
     */
    public static double tuneThreshold(float[][] probabilities, int[] gold, List<String> labels, Metric metric) {
        if (labels.size() != 2) throw new IllegalArgumentException("a decision threshold needs 2 classes, got " + labels.size());
        Metric m = metric == Metric.ACCURACY || metric == Metric.WEIGHTED_F1 ? metric : Metric.MACRO_F1;
        double[] scores = new double[probabilities.length];
        for (int i = 0; i < scores.length; i++) scores[i] = probabilities[i][1];
        double[] sorted = Arrays.stream(scores).distinct().sorted().toArray();
        List<Double> candidates = new ArrayList<>();
        candidates.add(0.5);
        int step = Math.max(1, sorted.length / MAX_THRESHOLD_CANDIDATES);
        for (int i = 0; i + 1 < sorted.length; i += step) candidates.add((sorted[i] + sorted[i + 1]) / 2);
        double best = 0.5;
        double bestValue = Double.NEGATIVE_INFINITY;
        for (double t : candidates) {
            double value = m.value(ClassificationMetrics.compute(gold, decide(probabilities, t), labels));
            if (value > bestValue + 1e-12 || (Math.abs(value - bestValue) <= 1e-12 && Math.abs(t - 0.5) < Math.abs(best - 0.5))) {
                best = t;
                bestValue = value;
            }
        }
        return best;
    }

    /** The reliability diagram as {@code metrics.json} holds it (empty bins left out). */
    public static List<Map<String, Object>> binsMap(List<Bin> bins) {
        List<Map<String, Object>> out = new ArrayList<>();
        for (Bin b : bins) {
            if (b.count() == 0) continue;
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("lower", b.lower());
            m.put("upper", b.upper());
            m.put("count", b.count());
            m.put("confidence", b.confidence());
            m.put("accuracy", b.accuracy());
            out.add(m);
        }
        return out;
    }

    private static double[][] logits(float[][] probabilities) {
        double[][] z = new double[probabilities.length][];
        for (int i = 0; i < z.length; i++) {
            z[i] = new double[probabilities[i].length];
            for (int j = 0; j < z[i].length; j++) z[i][j] = Math.log(Math.max(probabilities[i][j], ClassificationMetrics.LOG_EPS));
        }
        return z;
    }

    private static double nll(double[][] logits, int[] gold, double inverseTemperature) {
        double sum = 0;
        for (int i = 0; i < logits.length; i++) {
            double max = Double.NEGATIVE_INFINITY;
            for (double v : logits[i]) max = Math.max(max, v * inverseTemperature);
            double s = 0;
            for (double v : logits[i]) s += Math.exp(v * inverseTemperature - max);
            sum += max + Math.log(s) - logits[i][gold[i]] * inverseTemperature;
        }
        return sum / logits.length;
    }
}
