package dev.finetune4j.tune;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * The hyperparameters a study varies, in order. A parameter may be conditional: it exists only when
 * an earlier parameter has one of given values (e.g. {@code strategy.rank} only when
 * {@code strategy.type} is {@code lora}); a configuration then simply lacks it.
 */
public record SearchSpace(List<Param> params) {
    public SearchSpace {
        params = List.copyOf(params);
        Set<String> seen = new LinkedHashSet<>();
        for (Param p : params) {
            if (!seen.add(p.name())) throw new IllegalArgumentException("parameter '" + p.name() + "' appears twice");
            if (p.condition() != null && !seen.contains(p.condition().parameter())) {
                throw new IllegalArgumentException("parameter '" + p.name() + "' depends on '" + p.condition().parameter()
                        + "', which must come before it");
            }
        }
    }

    /** Exists only when {@code parameter}'s value is one of {@code values}. */
    public record Condition(String parameter, List<Object> values) {
        public Condition {
            Objects.requireNonNull(parameter);
            values = List.copyOf(values);
        }

        boolean holds(Map<String, Object> config) {
            return config.containsKey(parameter) && values.contains(config.get(parameter));
        }
    }

    /** One hyperparameter's distribution. */
    public sealed interface Param permits Uniform, LogUniform, IntRange, Choice {
        String name();

        Condition condition();

        /** Whether this parameter exists given the values chosen so far. */
        default boolean activeIn(Map<String, Object> config) {
            return condition() == null || condition().holds(config);
        }
    }

    public record Uniform(String name, double low, double high, Condition condition) implements Param {
        public Uniform {
            if (!(low < high)) throw new IllegalArgumentException(name + ": low must be < high");
        }
    }

    /** Uniform in log space; {@code low > 0}. */
    public record LogUniform(String name, double low, double high, Condition condition) implements Param {
        public LogUniform {
            if (!(low > 0 && low < high)) throw new IllegalArgumentException(name + ": need 0 < low < high");
        }
    }

    /** Integers low..high inclusive, optionally spread in log space. */
    public record IntRange(String name, long low, long high, boolean log, Condition condition) implements Param {
        public IntRange {
            if (low > high) throw new IllegalArgumentException(name + ": low must be <= high");
            if (log && low < 1) throw new IllegalArgumentException(name + ": a log range needs low >= 1");
        }
    }

    /** One of a list of values (numbers, strings, booleans). */
    public record Choice(String name, List<Object> values, Condition condition) implements Param {
        public Choice {
            values = List.copyOf(values);
            if (values.isEmpty()) throw new IllegalArgumentException(name + ": no values to choose from");
        }
    }

    /** The parameters that exist in {@code config} (in order), checking conditions on the values chosen. */
    public List<Param> active(Map<String, Object> config) {
        List<Param> out = new ArrayList<>();
        for (Param p : params) if (p.activeIn(config)) out.add(p);
        return out;
    }

    /**
     * Every configuration of a space whose parameters are all {@link Choice} or {@link IntRange},
     * in a fixed order (first parameter slowest); conditional parameters appear only where active.
     */
    public List<Map<String, Object>> grid() {
        List<Map<String, Object>> configs = new ArrayList<>();
        configs.add(new LinkedHashMap<>());
        for (Param p : params) {
            List<Map<String, Object>> next = new ArrayList<>();
            for (Map<String, Object> c : configs) {
                if (!p.activeIn(c)) {
                    next.add(c);
                    continue;
                }
                for (Object v : gridValues(p)) {
                    Map<String, Object> copy = new LinkedHashMap<>(c);
                    copy.put(p.name(), v);
                    next.add(copy);
                }
            }
            configs = next;
        }
        return configs;
    }

    private static List<Object> gridValues(Param p) {
        if (p instanceof Choice c) return c.values();
        if (p instanceof IntRange r) {
            if (r.high() - r.low() > 10_000) throw new IllegalArgumentException(r.name() + ": too many integers for a grid");
            List<Object> v = new ArrayList<>();
            for (long i = r.low(); i <= r.high(); i++) v.add(i);
            return v;
        }
        throw new IllegalArgumentException("grid search needs 'choice' or 'int' parameters; '" + p.name()
                + "' is continuous: give it a list of values with 'choice'");
    }
}
