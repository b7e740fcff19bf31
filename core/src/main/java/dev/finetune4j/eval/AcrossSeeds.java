package dev.finetune4j.eval;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A metric over runs that differ only in their seed (which draws the split, the head's initial
 * weights, the batch order and dropout): mean, sample standard deviation and the 95 % Student-t
 * interval of the mean, {@code mean ± t(0.975, n-1) s / sqrt(n)}. What one run's number is worth.
 */
public final class AcrossSeeds {
    /** t(0.975, df) for df = 1..30; beyond, the normal quantile with a first-order correction. */
    private static final double[] T975 = {12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201,
            2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052,
            2.048, 2.045, 2.042};

    /** One metric's statistics; low and high are null with a single run. */
    public record Summary(String metric, int n, double mean, double std, Double low, Double high, List<Double> values) {
        public Map<String, Object> toMap() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("mean", mean);
            m.put("std", std);
            m.put("low", low);
            m.put("high", high);
            m.put("n", n);
            m.put("values", values);
            return m;
        }
    }

    private AcrossSeeds() {}

    static double t975(int df) {
        if (df < 1) throw new IllegalArgumentException("degrees of freedom must be >= 1, got " + df);
        return df <= T975.length ? T975[df - 1] : 1.959964 + 2.37 / df;
    }

    public static Summary of(String metric, List<Double> values) {
        int n = values.size();
        if (n == 0) throw new IllegalArgumentException("no values of " + metric);
        double mean = values.stream().mapToDouble(Double::doubleValue).average().orElseThrow();
        double ss = 0;
        for (double v : values) ss += (v - mean) * (v - mean);
        double std = n < 2 ? 0 : Math.sqrt(ss / (n - 1));
        if (n < 2) return new Summary(metric, n, mean, std, null, null, List.copyOf(values));
        double half = t975(n - 1) * std / Math.sqrt(n);
        return new Summary(metric, n, mean, std, mean - half, mean + half, List.copyOf(values));
    }

    /**
     * Every numeric metric that all of {@code sections} (each a metrics.json {@code test} section)
     * have at their top level, and each class's F1, summarised across them.
     */
    @SuppressWarnings("unchecked")
    public static Map<String, Summary> ofSections(List<Map<String, Object>> sections) {
        Map<String, List<Double>> values = new LinkedHashMap<>();
        for (String key : sections.get(0).keySet()) {
            if (key.equals("n")) continue;
            List<Double> v = new ArrayList<>();
            for (Map<String, Object> s : sections) if (s.get(key) instanceof Number x) v.add(x.doubleValue());
            if (v.size() == sections.size()) values.put(key, v);
        }
        Object perClass = sections.get(0).get("per_class");
        if (perClass instanceof Map<?, ?> classes) {
            for (Object label : classes.keySet()) {
                List<Double> v = new ArrayList<>();
                for (Map<String, Object> s : sections) {
                    Map<String, Object> c = (Map<String, Object>) ((Map<String, Object>) s.get("per_class")).get(label);
                    if (c != null && c.get("f1") instanceof Number x) v.add(x.doubleValue());
                }
                if (v.size() == sections.size()) values.put("f1[" + label + "]", v);
            }
        }
        Map<String, Summary> out = new LinkedHashMap<>();
        values.forEach((k, v) -> out.put(k, of(k, v)));
        return out;
    }
}
