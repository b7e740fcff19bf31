package dev.finetune4j.eval;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Metrics per group of examples (the values of one data column: a source, a demographic group), and
 * the gap between the best and the worst group: where a model that is good on average fails some.
 * A group's macro F1 averages over the classes that occur in it (as gold or as prediction), so a
 * group that lacks a class is not marked down for it. Groups under {@value #MIN_GROUP} examples are
 * listed but left out of the gap, whose noise they would dominate.
 */
public final class Slices {
    public static final int MIN_GROUP = 10;
    /** What a row whose column is missing or empty is grouped under. */
    public static final String MISSING = "(missing)";

    /** One group's metrics. */
    public record Group(String value, int n, double accuracy, double macroF1) {}

    /** One column's groups, largest first, and the gaps between the best and worst group of at least {@value #MIN_GROUP}. */
    public record Slice(String column, List<Group> groups, Double accuracyGap, Double macroF1Gap, String best,
            String worst) {
        public Map<String, Object> toMap() {
            Map<String, Object> m = new LinkedHashMap<>();
            List<Map<String, Object>> gs = new ArrayList<>();
            for (Group g : groups) {
                Map<String, Object> x = new LinkedHashMap<>();
                x.put("value", g.value());
                x.put("n", g.n());
                x.put("accuracy", g.accuracy());
                x.put("macro_f1", g.macroF1());
                gs.add(x);
            }
            m.put("groups", gs);
            m.put("macro_f1_gap", macroF1Gap);
            m.put("accuracy_gap", accuracyGap);
            m.put("best", best);
            m.put("worst", worst);
            m.put("min_group_for_gap", MIN_GROUP);
            return m;
        }
    }

    private Slices() {}

    /**
     * @param values each example's value of the column (null or blank: {@value #MISSING})
     */
    public static Slice of(String column, String[] values, int[] gold, int[] predicted, List<String> labels) {
        Map<String, List<Integer>> byValue = new TreeMap<>();
        for (int i = 0; i < values.length; i++) {
            String v = values[i] == null || values[i].isBlank() ? MISSING : values[i].strip();
            byValue.computeIfAbsent(v, k -> new ArrayList<>()).add(i);
        }
        List<Group> groups = new ArrayList<>();
        for (Map.Entry<String, List<Integer>> e : byValue.entrySet()) {
            List<Integer> at = e.getValue();
            int[] g = new int[at.size()];
            int[] p = new int[at.size()];
            for (int i = 0; i < g.length; i++) {
                g[i] = gold[at.get(i)];
                p[i] = predicted[at.get(i)];
            }
            ClassificationReport r = ClassificationMetrics.compute(g, p, labels);
            groups.add(new Group(e.getKey(), g.length, r.accuracy(), presentMacroF1(r)));
        }
        groups.sort((a, b) -> Integer.compare(b.n(), a.n()));
        List<Group> counted = groups.stream().filter(x -> x.n() >= MIN_GROUP).toList();
        if (counted.size() < 2) return new Slice(column, groups, null, null, null, null);
        Group best = counted.stream().max((a, b) -> Double.compare(a.macroF1(), b.macroF1())).orElseThrow();
        Group worst = counted.stream().min((a, b) -> Double.compare(a.macroF1(), b.macroF1())).orElseThrow();
        double accuracyGap = counted.stream().mapToDouble(Group::accuracy).max().orElseThrow()
                - counted.stream().mapToDouble(Group::accuracy).min().orElseThrow();
        return new Slice(column, groups, accuracyGap, best.macroF1() - worst.macroF1(), best.value(), worst.value());
    }

    private static double presentMacroF1(ClassificationReport r) {
        double sum = 0;
        int classes = 0;
        int[][] cm = r.confusionMatrix();
        for (int c = 0; c < cm.length; c++) {
            int support = 0;
            int predicted = 0;
            for (int j = 0; j < cm.length; j++) {
                support += cm[c][j];
                predicted += cm[j][c];
            }
            if (support + predicted == 0) continue;
            sum += r.perClass().get(c).f1();
            classes++;
        }
        return classes == 0 ? 0 : sum / classes;
    }
}
