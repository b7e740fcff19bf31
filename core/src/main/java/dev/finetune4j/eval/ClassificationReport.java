package dev.finetune4j.eval;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * The result of {@link ClassificationMetrics#compute}: scikit-learn's {@code classification_report}
 * (with {@code zero_division=0}) plus the confusion matrix, binary ROC-AUC and mean loss.
 *
 * <p>Immutable: the confusion matrix is copied in and out.
 *
 * @param labels class names, index = class id
 * @param accuracy fraction of examples whose prediction equals the gold label
 * @param perClass one entry per class, in label order
 * @param macro unweighted mean over all K classes (including classes absent from the gold labels)
 * @param weighted mean weighted by support (the number of gold examples of each class)
 * @param confusionMatrix {@code [K][K]}, rows = true class, columns = predicted class
 * @param rocAuc binary problems only (positive class = index 1, scored by its probability); null
 *     when K != 2, when no probabilities were given, or when only one class occurs in the gold labels
 * @param loss mean cross-entropy {@code -ln(max(p[gold], 1e-12))}; null when no probabilities were given
 * @param n number of examples
 */
public record ClassificationReport(
        List<String> labels,
        double accuracy,
        List<ClassStats> perClass,
        Averages macro,
        Averages weighted,
        int[][] confusionMatrix,
        Double rocAuc,
        Double loss,
        int n) {

    /** Precision, recall, F1 and support of one class. */
    public record ClassStats(String label, double precision, double recall, double f1, int support) {}

    /** An average of precision, recall and F1 over classes. */
    public record Averages(double precision, double recall, double f1) {}

    private static final int MAX_LABEL_WIDTH = 24;
    private static final int MAX_MATRIX_LABEL_WIDTH = 12;

    public ClassificationReport {
        labels = List.copyOf(labels);
        perClass = List.copyOf(perClass);
        Objects.requireNonNull(macro, "macro");
        Objects.requireNonNull(weighted, "weighted");
        int k = labels.size();
        if (perClass.size() != k) {
            throw new IllegalArgumentException("perClass has " + perClass.size() + " entries for " + k + " labels");
        }
        if (confusionMatrix.length != k) {
            throw new IllegalArgumentException("confusion matrix has " + confusionMatrix.length + " rows for " + k + " labels");
        }
        int[][] copy = new int[k][];
        for (int i = 0; i < k; i++) {
            if (confusionMatrix[i].length != k) {
                throw new IllegalArgumentException("confusion matrix row " + i + " has " + confusionMatrix[i].length + " columns, expected " + k);
            }
            copy[i] = confusionMatrix[i].clone();
        }
        confusionMatrix = copy;
    }

    /** A copy of the confusion matrix (rows = true class, columns = predicted class). */
    @Override
    public int[][] confusionMatrix() {
        int[][] copy = new int[confusionMatrix.length][];
        for (int i = 0; i < copy.length; i++) copy[i] = confusionMatrix[i].clone();
        return copy;
    }

    /** Number of examples of true class {@code trueClass} predicted as {@code predictedClass}. */
    public int count(int trueClass, int predictedClass) {
        return confusionMatrix[trueClass][predictedClass];
    }

    public int numClasses() {
        return labels.size();
    }

    public boolean isBinary() {
        return labels.size() == 2;
    }

    /** The stats of the class with this name. */
    public ClassStats stats(String label) {
        int i = labels.indexOf(label);
        if (i < 0) throw new IllegalArgumentException("no class '" + label + "'; classes: " + labels);
        return perClass.get(i);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ClassificationReport r
                && n == r.n
                && Double.compare(accuracy, r.accuracy) == 0
                && labels.equals(r.labels)
                && perClass.equals(r.perClass)
                && macro.equals(r.macro)
                && weighted.equals(r.weighted)
                && Arrays.deepEquals(confusionMatrix, r.confusionMatrix)
                && Objects.equals(rocAuc, r.rocAuc)
                && Objects.equals(loss, r.loss);
    }

    @Override
    public int hashCode() {
        return Objects.hash(labels, accuracy, perClass, macro, weighted, Arrays.deepHashCode(confusionMatrix), rocAuc, loss, n);
    }

    @Override
    public String toString() {
        return "ClassificationReport[n=" + n + ", accuracy=" + accuracy + ", macro_f1=" + macro.f1()
                + (rocAuc != null ? ", roc_auc=" + rocAuc : "") + (loss != null ? ", loss=" + loss : "") + "]";
    }

    /**
     * The values for a JSON file, in this order: {@code accuracy, macro_precision, macro_recall,
     * macro_f1, weighted_precision, weighted_recall, weighted_f1, roc_auc} (only for binary problems;
     * null when undefined), {@code loss} (only when computed), {@code n}, {@code per_class}
     * ({label: {precision, recall, f1, support}}), {@code confusion_matrix} ({labels, matrix}).
     */
    public Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("accuracy", accuracy);
        m.put("macro_precision", macro.precision());
        m.put("macro_recall", macro.recall());
        m.put("macro_f1", macro.f1());
        m.put("weighted_precision", weighted.precision());
        m.put("weighted_recall", weighted.recall());
        m.put("weighted_f1", weighted.f1());
        if (isBinary()) m.put("roc_auc", rocAuc);
        if (loss != null) m.put("loss", loss);
        m.put("n", n);
        Map<String, Object> pc = new LinkedHashMap<>();
        for (ClassStats s : perClass) {
            Map<String, Object> e = new LinkedHashMap<>();
            e.put("precision", s.precision());
            e.put("recall", s.recall());
            e.put("f1", s.f1());
            e.put("support", s.support());
            pc.put(s.label(), e);
        }
        m.put("per_class", pc);
        List<List<Integer>> rows = new ArrayList<>();
        for (int[] row : confusionMatrix) rows.add(Arrays.stream(row).boxed().toList());
        Map<String, Object> cm = new LinkedHashMap<>();
        cm.put("labels", labels);
        cm.put("matrix", rows);
        m.put("confusion_matrix", cm);
        return m;
    }

    /**
     * A fixed-width console table like scikit-learn's {@code classification_report} (4 decimals),
     * then ROC-AUC and loss when present, then the confusion matrix. Long label names are shortened
     * with "..".
     */
    public String toTable() {
        StringBuilder sb = new StringBuilder();
        int w = "weighted avg".length();
        for (String l : labels) w = Math.max(w, truncate(l, MAX_LABEL_WIDTH).length());
        int sw = Math.max(7, String.valueOf(n).length());
        String head = "%" + w + "s  %9s  %9s  %9s  %" + sw + "s%n";
        String row = "%" + w + "s  %9.4f  %9.4f  %9.4f  %" + sw + "d%n";
        sb.append(String.format(Locale.ROOT, head, "", "precision", "recall", "f1-score", "support"));
        sb.append('\n');
        for (ClassStats s : perClass) {
            sb.append(String.format(Locale.ROOT, row, truncate(s.label(), MAX_LABEL_WIDTH), s.precision(), s.recall(), s.f1(), s.support()));
        }
        sb.append('\n');
        sb.append(String.format(Locale.ROOT, "%" + w + "s  %9s  %9s  %9.4f  %" + sw + "d%n", "accuracy", "", "", accuracy, n));
        sb.append(String.format(Locale.ROOT, row, "macro avg", macro.precision(), macro.recall(), macro.f1(), n));
        sb.append(String.format(Locale.ROOT, row, "weighted avg", weighted.precision(), weighted.recall(), weighted.f1(), n));
        if (rocAuc != null || loss != null) sb.append('\n');
        if (rocAuc != null) {
            sb.append(String.format(Locale.ROOT, "%" + w + "s  %9.4f  (positive class: %s)%n", "roc auc", rocAuc, labels.get(1)));
        }
        if (loss != null) sb.append(String.format(Locale.ROOT, "%" + w + "s  %9.4f%n", "loss", loss));

        sb.append("\nconfusion matrix (rows = true, columns = predicted)\n");
        int k = labels.size();
        String[] short_ = new String[k];
        int rw = 0;
        int cw = 1;
        for (int i = 0; i < k; i++) {
            short_[i] = truncate(labels.get(i), MAX_MATRIX_LABEL_WIDTH);
            rw = Math.max(rw, short_[i].length());
            cw = Math.max(cw, short_[i].length());
            for (int c : confusionMatrix[i]) cw = Math.max(cw, String.valueOf(c).length());
        }
        sb.append(" ".repeat(rw));
        for (int j = 0; j < k; j++) sb.append("  ").append(pad(short_[j], cw));
        sb.append('\n');
        for (int i = 0; i < k; i++) {
            sb.append(String.format("%-" + rw + "s", short_[i]));
            for (int j = 0; j < k; j++) sb.append("  ").append(pad(String.valueOf(confusionMatrix[i][j]), cw));
            sb.append('\n');
        }
        return sb.toString();
    }

    private static String pad(String s, int width) {
        return " ".repeat(Math.max(0, width - s.length())) + s;
    }

    static String truncate(String s, int max) {
        String oneLine = s.replaceAll("\\s+", " ");
        if (oneLine.length() <= max) return oneLine;
        return oneLine.substring(0, max - 2) + "..";
    }
}
