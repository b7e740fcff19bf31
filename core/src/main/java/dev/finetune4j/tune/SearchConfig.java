package dev.finetune4j.tune;

import com.fasterxml.jackson.databind.JsonNode;
import dev.finetune4j.UserError;
import dev.finetune4j.recipe.RecipeLoader;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * A tune file's {@code search:} section: what to optimise and how. The rest of the file is an
 * ordinary recipe, the base every trial overrides with its parameters.
 *
 * <pre>
 * search:
 *   metric: validation.macro_f1      # validation.&lt;key of metrics.json's validation&gt;
 *   direction: maximize
 *   sampler: tpe                     # grid | random | tpe
 *   pruner: asha                     # none | median | asha
 *   trials: 30
 *   seed: 0
 *   space:
 *     train.learning_rate: {type: log_uniform, low: 1.0e-5, high: 1.0e-3}
 *     strategy.type: {type: choice, values: [full, lora]}
 *     strategy.rank: {type: int, low: 4, high: 32, log: true, when: {strategy.type: [lora]}}
 * </pre>
 */
public record SearchConfig(String metric, Direction direction, String sampler, String pruner, int trials, long seed,
        int startupTrials, long ashaMinResource, int ashaReductionFactor, SearchSpace space) {
    public Sampler newSampler() {
        return switch (sampler) {
            case "grid" -> new GridSampler(seed);
            case "random" -> new RandomSampler();
            default -> new TpeSampler(startupTrials, 24);
        };
    }

    public Pruner newPruner() {
        return switch (pruner) {
            case "median" -> new MedianPruner(Math.min(5, Math.max(1, trials / 4)), 1);
            case "asha" -> new AshaPruner(ashaMinResource, ashaReductionFactor);
            default -> Pruner.NONE;
        };
    }

    /** Reads the {@code search:} section of {@code file}; every problem is reported at once, with its key. */
    public static SearchConfig load(Path file) {
        return load(file, List.of());
    }

    /**
     * As {@link #load(Path)}, with overrides ({@code search.*} ones change the section). The recipe's
     * schema declares every key, its default and its range ({@code recipe.schema.json}, under
     * {@code search}); what is checked here is what a schema cannot say.
     */
    public static SearchConfig load(Path file, List<String> overrides) {
        JsonNode s = RecipeLoader.searchSection(file, overrides);
        List<String> problems = new ArrayList<>();
        String metric = s.get("metric").asText();
        String dir = s.get("direction").isNull() ? (metric.endsWith("loss") ? "minimize" : "maximize")
                : s.get("direction").asText();
        String sampler = s.get("sampler").asText();
        List<SearchSpace.Param> params = new ArrayList<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = s.get("space").fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            try {
                params.add(param(e.getKey(), e.getValue()));
            } catch (IllegalArgumentException ex) {
                problems.add("search.space." + e.getKey() + ": " + ex.getMessage());
            }
        }
        SearchSpace searchSpace = null;
        if (problems.isEmpty()) {
            try {
                searchSpace = new SearchSpace(params);
                if (sampler.equals("grid")) searchSpace.grid();
            } catch (IllegalArgumentException ex) {
                problems.add("search.space: " + ex.getMessage());
            }
        }
        if (!problems.isEmpty()) throw new UserError(file + ": " + String.join("; ", problems));
        JsonNode asha = s.get("asha");
        return new SearchConfig(metric, Direction.valueOf(dir.toUpperCase(java.util.Locale.ROOT)), sampler,
                s.get("pruner").asText(), s.get("trials").asInt(), s.get("seed").asLong(), s.get("startup_trials").asInt(),
                asha.get("min_resource").asLong(), asha.get("reduction_factor").asInt(), searchSpace);
    }

    private static SearchSpace.Param param(String name, JsonNode d) {
        if (!d.isObject() || !d.has("type")) throw new IllegalArgumentException("needs {type: uniform|log_uniform|int|choice, ...}");
        SearchSpace.Condition when = null;
        if (d.has("when")) {
            JsonNode w = d.get("when");
            if (!w.isObject() || w.size() != 1) throw new IllegalArgumentException("when: must name one parameter, e.g. {strategy.type: [lora]}");
            Map.Entry<String, JsonNode> c = w.fields().next();
            List<Object> values = new ArrayList<>();
            for (JsonNode v : c.getValue().isArray() ? c.getValue() : List.of(c.getValue())) values.add(scalar(v));
            when = new SearchSpace.Condition(c.getKey(), values);
        }
        String type = d.get("type").asText();
        return switch (type) {
            case "uniform" -> new SearchSpace.Uniform(name, number(d, "low"), number(d, "high"), when);
            case "log_uniform" -> new SearchSpace.LogUniform(name, number(d, "low"), number(d, "high"), when);
            case "int" -> new SearchSpace.IntRange(name, (long) number(d, "low"), (long) number(d, "high"),
                    d.path("log").asBoolean(false), when);
            case "choice" -> {
                if (!d.path("values").isArray()) throw new IllegalArgumentException("choice needs values: [...]");
                List<Object> values = new ArrayList<>();
                for (JsonNode v : d.get("values")) values.add(scalar(v));
                yield new SearchSpace.Choice(name, values, when);
            }
            default -> throw new IllegalArgumentException("type must be uniform, log_uniform, int or choice, got " + type);
        };
    }

    private static double number(JsonNode d, String key) {
        if (!d.path(key).isNumber()) throw new IllegalArgumentException(key + " must be a number");
        return d.get(key).asDouble();
    }

    private static Object scalar(JsonNode v) {
        if (v.isIntegralNumber()) return v.asLong();
        if (v.isNumber()) return v.asDouble();
        if (v.isBoolean()) return v.asBoolean();
        if (v.isTextual()) return v.asText();
        throw new IllegalArgumentException("values must be numbers, strings or booleans, got " + v);
    }
}
