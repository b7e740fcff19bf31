package dev.finetune4j.track;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * One recipe key across runs being compared ({@code ft4j runs compare}, the dashboard's compare
 * view): nested keys dotted ({@code train.learning_rate}), each run's value (null: unset or absent)
 * and whether they differ.
 */
public record RecipeDiff(String key, List<Object> values, boolean differs) {
    /** Every key of the runs' recipes, sorted. */
    public static List<RecipeDiff> of(List<RunStore.Run> runs) {
        List<Map<String, Object>> recipes = runs.stream().map(r -> flatten(r.recipe())).toList();
        TreeSet<String> keys = new TreeSet<>();
        recipes.forEach(m -> keys.addAll(m.keySet()));
        List<RecipeDiff> out = new ArrayList<>();
        for (String k : keys) {
            List<Object> values = new ArrayList<>();
            for (Map<String, Object> m : recipes) values.add(m.get(k));
            boolean differs = values.stream().anyMatch(v -> !Objects.equals(v, values.get(0)));
            out.add(new RecipeDiff(k, Collections.unmodifiableList(values), differs));
        }
        return out;
    }

    /** Nested maps as dotted keys. */
    static Map<String, Object> flatten(Map<String, Object> m) {
        Map<String, Object> out = new TreeMap<>();
        if (m != null) flatten("", m, out);
        return out;
    }

    @SuppressWarnings("unchecked")
    private static void flatten(String prefix, Map<String, Object> m, Map<String, Object> out) {
        for (Map.Entry<String, Object> e : m.entrySet()) {
            String k = prefix + e.getKey();
            if (e.getValue() instanceof Map<?, ?> sub) flatten(k + ".", (Map<String, Object>) sub, out);
            else out.put(k, e.getValue());
        }
    }
}
