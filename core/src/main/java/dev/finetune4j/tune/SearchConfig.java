package dev.finetune4j.tune;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.finetune4j.UserError;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;

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
    static final Set<String> KEYS = Set.of("metric", "direction", "sampler", "pruner", "trials", "seed", "startup_trials",
            "asha", "space");

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

    /** As {@link #load(Path)}, with {@code search.*=value} overrides (others are ignored: they are the recipe's). */
    public static SearchConfig load(Path file, List<String> overrides) {
        JsonNode root;
        ObjectMapper yaml = new ObjectMapper(new YAMLFactory());
        try {
            root = yaml.readTree(file.toFile());
        } catch (IOException e) {
            throw new UserError(file + ": cannot read: " + e.getMessage(), e);
        }
        for (String o : overrides) {
            int eq = o.indexOf('=');
            if (!o.startsWith("search.") || eq < 0 || !(root instanceof com.fasterxml.jackson.databind.node.ObjectNode)) continue;
            String[] path = o.substring(0, eq).split("\\.");
            com.fasterxml.jackson.databind.node.ObjectNode at = (com.fasterxml.jackson.databind.node.ObjectNode) root;
            for (int i = 0; i < path.length - 1; i++) {
                JsonNode next = at.get(path[i]);
                at = next instanceof com.fasterxml.jackson.databind.node.ObjectNode n ? n : at.putObject(path[i]);
            }
            try {
                at.set(path[path.length - 1], yaml.readTree(o.substring(eq + 1)));
            } catch (IOException e) {
                throw new UserError("--set " + o + ": not a YAML value: " + e.getMessage());
            }
        }
        JsonNode s = root == null ? null : root.get("search");
        if (s == null || !s.isObject()) {
            throw new UserError(file + ": has no 'search:' section; a tune file is a recipe plus search: {metric, sampler,"
                    + " trials, space} (see docs/tuning.md)");
        }
        List<String> problems = new ArrayList<>();
        for (Iterator<String> it = s.fieldNames(); it.hasNext(); ) {
            String k = it.next();
            if (!KEYS.contains(k)) problems.add("search." + k + " is not a search setting (known: " + String.join(", ", KEYS.stream().sorted().toList()) + ")");
        }
        String metric = s.path("metric").asText("validation.macro_f1");
        if (!metric.startsWith("validation.")) problems.add("search.metric must be validation.<metric>, e.g. validation.macro_f1; got " + metric);
        String dir = s.path("direction").asText(metric.endsWith("loss") ? "minimize" : "maximize");
        if (!Set.of("maximize", "minimize").contains(dir)) problems.add("search.direction must be maximize or minimize, got " + dir);
        String sampler = s.path("sampler").asText("tpe");
        if (!Set.of("grid", "random", "tpe").contains(sampler)) problems.add("search.sampler must be grid, random or tpe, got " + sampler);
        String pruner = s.path("pruner").asText("none");
        if (!Set.of("none", "median", "asha").contains(pruner)) problems.add("search.pruner must be none, median or asha, got " + pruner);
        int trials = s.path("trials").asInt(20);
        if (trials < 1) problems.add("search.trials must be >= 1");
        JsonNode asha = s.path("asha");
        long minResource = asha.path("min_resource").asLong(1);
        int reduction = asha.path("reduction_factor").asInt(3);
        if (minResource < 1 || reduction < 2) problems.add("search.asha needs min_resource >= 1 and reduction_factor >= 2");
        List<SearchSpace.Param> params = new ArrayList<>();
        JsonNode space = s.get("space");
        if (space == null || !space.isObject() || space.isEmpty()) {
            problems.add("search.space must map recipe keys to distributions, e.g. train.learning_rate: {type: log_uniform,"
                    + " low: 1.0e-5, high: 1.0e-3}");
        } else {
            for (Iterator<Map.Entry<String, JsonNode>> it = space.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                try {
                    params.add(param(e.getKey(), e.getValue()));
                } catch (IllegalArgumentException ex) {
                    problems.add("search.space." + e.getKey() + ": " + ex.getMessage());
                }
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
        return new SearchConfig(metric, Direction.valueOf(dir.toUpperCase()), sampler, pruner, trials, s.path("seed").asLong(0),
                s.path("startup_trials").asInt(10), minResource, reduction, searchSpace);
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
