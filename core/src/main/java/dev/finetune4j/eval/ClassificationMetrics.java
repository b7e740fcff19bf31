package dev.finetune4j.eval;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Classification metrics with scikit-learn's conventions ({@code classification_report},
 * {@code zero_division=0}; {@code roc_auc_score}; {@code log_loss}-style clamping).
 *
 * <ul>
 *   <li>precision of a class that is never predicted = 0; recall of a class absent from gold = 0;
 *       F1 = 0 when precision + recall = 0;
 *   <li>macro averages are over all K classes named in {@code labelNames}, including classes that
 *       occur neither in gold nor in predictions; weighted averages weight by gold support;
 *   <li>ROC-AUC only for K = 2, from the probability of class 1 (the positive class), by the rank
 *       (Mann-Whitney U) formula with average ranks for ties;
 *   <li>loss = mean of {@code -ln(max(p[i][gold[i]], 1e-12))}.
 * </ul>
 */
public final class ClassificationMetrics {
    /** Probabilities are clamped to at least this before taking the log. */
    public static final double LOG_EPS = 1e-12;

    private ClassificationMetrics() {}

    /** {@link #compute(int[], int[], float[][], List)} without probabilities: no ROC-AUC, no loss. */
    public static ClassificationReport compute(int[] gold, int[] predicted, List<String> labelNames) {
        return compute(gold, predicted, null, labelNames);
    }

    /**
     * @param gold true class ids in {@code [0, K)}
     * @param predicted predicted class ids in {@code [0, K)}, same length as gold
     * @param probabilities {@code [n][K]} class probabilities (e.g. softmax output), or null; used
     *     only for ROC-AUC and loss (predictions are taken from {@code predicted})
     * @param labelNames the K class names, distinct, index = class id
     * @throws IllegalArgumentException on empty input, mismatched lengths, ids out of range,
     *     duplicate names, or non-finite probabilities
     */
    public static ClassificationReport compute(int[] gold, int[] predicted, float[][] probabilities, List<String> labelNames) {
        validate(gold, predicted, probabilities, labelNames);
        int n = gold.length;
        int k = labelNames.size();

        int[][] cm = new int[k][k];
        int correct = 0;
        for (int i = 0; i < n; i++) {
            cm[gold[i]][predicted[i]]++;
            if (gold[i] == predicted[i]) correct++;
        }

        List<ClassificationReport.ClassStats> perClass = new ArrayList<>(k);
        double mp = 0, mr = 0, mf = 0, wp = 0, wr = 0, wf = 0;
        for (int c = 0; c < k; c++) {
            int tp = cm[c][c];
            int support = 0;
            int predictedCount = 0;
            for (int j = 0; j < k; j++) {
                support += cm[c][j];
                predictedCount += cm[j][c];
            }
            double p = predictedCount == 0 ? 0.0 : (double) tp / predictedCount;
            double r = support == 0 ? 0.0 : (double) tp / support;
            double f = p + r == 0 ? 0.0 : 2 * p * r / (p + r);
            perClass.add(new ClassificationReport.ClassStats(labelNames.get(c), p, r, f, support));
            mp += p;
            mr += r;
            mf += f;
            wp += p * support;
            wr += r * support;
            wf += f * support;
        }
        var macro = new ClassificationReport.Averages(mp / k, mr / k, mf / k);
        var weighted = new ClassificationReport.Averages(wp / n, wr / n, wf / n);

        Double auc = null;
        Double loss = null;
        if (probabilities != null) {
            if (k == 2) {
                double[] scores = new double[n];
                boolean[] positive = new boolean[n];
                for (int i = 0; i < n; i++) {
                    scores[i] = probabilities[i][1];
                    positive[i] = gold[i] == 1;
                }
                auc = rocAuc(positive, scores);
            }
            double sum = 0;
            for (int i = 0; i < n; i++) {
                sum += -Math.log(Math.max(probabilities[i][gold[i]], LOG_EPS));
            }
            loss = sum / n;
        }
        return new ClassificationReport(labelNames, (double) correct / n, perClass, macro, weighted, cm, auc, loss, n);
    }

    /**
     * Binary ROC-AUC by the Mann-Whitney formula: {@code (R+ - n+(n+ + 1)/2) / (n+ n-)} where R+ is
     * the sum of the (1-based, tie-averaged) ranks of the positives' scores.
     *
     * @return the AUC, or null when all examples are positive or all are negative (undefined)
     */
    public static Double rocAuc(boolean[] positive, double[] scores) {
        if (positive.length != scores.length) {
            throw new IllegalArgumentException(positive.length + " labels but " + scores.length + " scores");
        }
        int n = scores.length;
        long nPos = 0;
        for (boolean b : positive) if (b) nPos++;
        long nNeg = n - nPos;
        if (nPos == 0 || nNeg == 0) return null;

        Integer[] order = new Integer[n];
        for (int i = 0; i < n; i++) {
            if (Double.isNaN(scores[i])) throw new IllegalArgumentException("score " + i + " is NaN");
            order[i] = i;
        }
        Arrays.sort(order, (a, b) -> Double.compare(scores[a], scores[b]));
        double rankSumPos = 0;
        int i = 0;
        while (i < n) {
            int j = i;
            while (j + 1 < n && scores[order[j + 1]] == scores[order[i]]) j++;
            double avgRank = (i + 1 + j + 1) / 2.0; // ranks i+1 .. j+1 share their mean
            for (int t = i; t <= j; t++) if (positive[order[t]]) rankSumPos += avgRank;
            i = j + 1;
        }
        return (rankSumPos - nPos * (nPos + 1) / 2.0) / ((double) nPos * nNeg);
    }

    /** The index of the largest value in each row (the first one on ties). */
    public static int[] argmax(float[][] probabilities) {
        int[] out = new int[probabilities.length];
        for (int i = 0; i < probabilities.length; i++) {
            float[] row = probabilities[i];
            if (row.length == 0) throw new IllegalArgumentException("row " + i + " is empty");
            int best = 0;
            for (int j = 1; j < row.length; j++) if (row[j] > row[best]) best = j;
            out[i] = best;
        }
        return out;
    }

    private static void validate(int[] gold, int[] predicted, float[][] probabilities, List<String> labelNames) {
        if (gold == null || predicted == null || labelNames == null) {
            throw new IllegalArgumentException("gold, predicted and labelNames must not be null");
        }
        if (gold.length != predicted.length) {
            throw new IllegalArgumentException(gold.length + " gold labels but " + predicted.length + " predictions");
        }
        if (gold.length == 0) throw new IllegalArgumentException("no examples to evaluate");
        int k = labelNames.size();
        if (k == 0) throw new IllegalArgumentException("labelNames is empty");
        Set<String> seen = new HashSet<>();
        for (String l : labelNames) {
            if (l == null) throw new IllegalArgumentException("labelNames contains null");
            if (!seen.add(l)) throw new IllegalArgumentException("duplicate label name '" + l + "'");
        }
        for (int i = 0; i < gold.length; i++) {
            if (gold[i] < 0 || gold[i] >= k) {
                throw new IllegalArgumentException("gold[" + i + "] = " + gold[i] + " is not a class id in [0, " + k + ")");
            }
            if (predicted[i] < 0 || predicted[i] >= k) {
                throw new IllegalArgumentException("predicted[" + i + "] = " + predicted[i] + " is not a class id in [0, " + k + ")");
            }
        }
        if (probabilities != null) {
            if (probabilities.length != gold.length) {
                throw new IllegalArgumentException(probabilities.length + " probability rows for " + gold.length + " examples");
            }
            for (int i = 0; i < probabilities.length; i++) {
                if (probabilities[i] == null || probabilities[i].length != k) {
                    throw new IllegalArgumentException("probabilities[" + i + "] has "
                            + (probabilities[i] == null ? "no" : probabilities[i].length) + " values, expected " + k);
                }
                for (float p : probabilities[i]) {
                    if (!Float.isFinite(p)) throw new IllegalArgumentException("probabilities[" + i + "] contains " + p);
                }
            }
        }
    }
}
