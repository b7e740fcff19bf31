package dev.finetune4j.recipe;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.finetune4j.data.Format;
import dev.finetune4j.util.RecipeNames;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * Checks the schema cannot express, on the recipe with defaults filled in. Each check looks only at
 * values of the right type: a wrongly typed value has already been reported by the schema.
 */
final class RecipeChecks {
    private RecipeChecks() {}

    static void check(RecipeDocument doc, ObjectNode full, Path baseDir) {
        JsonNode data = full.path("data");
        for (String split : new String[] {"train", "validation", "test"}) {
            checkDataFile(doc, "/data/" + split, data.path(split), data.path("format"), baseDir);
        }
        checkFractions(doc, data);
        checkColumns(doc, data);
        checkEarlyStopping(doc, data, full.path("train").path("early_stopping"));
        checkStrategy(doc, full.path("strategy"));
        checkOptimizer(doc, full.path("train"));
    }

    /** The values of {@code train.<chooser>} (optimizer or schedule) that a setting applies to. */
    private record AppliesTo(String chooser, List<String> values) {}

    private static final Map<String, AppliesTo> TRAIN_KEYS = Map.of(
            "betas", new AppliesTo("optimizer", List.of("adamw", "adam")),
            "eps", new AppliesTo("optimizer", List.of("adamw", "adam", "rmsprop")),
            "momentum", new AppliesTo("optimizer", List.of("sgd", "rmsprop")),
            "nesterov", new AppliesTo("optimizer", List.of("sgd")),
            "dampening", new AppliesTo("optimizer", List.of("sgd")),
            "alpha", new AppliesTo("optimizer", List.of("rmsprop")),
            "centered", new AppliesTo("optimizer", List.of("rmsprop")),
            "gamma", new AppliesTo("schedule", List.of("step", "exponential")),
            "step_size_epochs", new AppliesTo("schedule", List.of("step")));

    /**
     * An optimizer setting given for another optimizer (or a schedule setting for another schedule)
     * is an error unless it has its default value; Nesterov momentum needs momentum and no dampening.
     */
    private static void checkOptimizer(RecipeDocument doc, JsonNode train) {
        for (Map.Entry<String, AppliesTo> e : TRAIN_KEYS.entrySet()) {
            String key = e.getKey(), pointer = "/train/" + key, chooser = e.getValue().chooser();
            JsonNode chosen = train.path(chooser);
            JsonNode value = train.path(key);
            if (!chosen.isTextual() || e.getValue().values().contains(chosen.asText()) || !doc.isGiven(pointer)
                    || !rightType(value, RecipeSchema.at(pointer)) || sameValue(value, RecipeSchema.at(pointer).path("default"))) {
                continue;
            }
            doc.problem(doc.keyAt(pointer).problem("'train." + key + "' applies only to train." + chooser + " "
                    + String.join(" or ", e.getValue().values()) + " (train." + chooser + " is " + chosen.asText() + ")"));
        }
        if (train.path("optimizer").asText().equals("sgd") && train.path("nesterov").asBoolean(false)) {
            JsonNode momentum = train.path("momentum"), dampening = train.path("dampening");
            boolean noMomentum = momentum.isNumber() && momentum.asDouble() <= 0;
            boolean damped = dampening.isNumber() && dampening.asDouble() != 0;
            if (noMomentum || damped) {
                doc.problem(doc.valueAt("/train/nesterov").problem("'train.nesterov: true' needs train.momentum > 0"
                        + " and train.dampening 0, as PyTorch's SGD (momentum is " + momentum.asText() + ", dampening "
                        + dampening.asText() + ")"));
            }
        }
    }

    /** The strategy keys that apply to one type only, and that type. */
    private static final Map<String, Strategy> STRATEGY_KEYS = Map.ofEntries(
            Map.entry("freeze_embeddings", Strategy.PARTIAL),
            Map.entry("freeze_layers", Strategy.PARTIAL),
            Map.entry("freeze_pattern", Strategy.PARTIAL),
            Map.entry("unfreeze_every_steps", Strategy.GRADUAL_UNFREEZE),
            Map.entry("rank", Strategy.LORA),
            Map.entry("alpha", Strategy.LORA),
            Map.entry("dropout", Strategy.LORA),
            Map.entry("targets", Strategy.LORA),
            Map.entry("train_biases", Strategy.LORA),
            Map.entry("train_layer_norm", Strategy.LORA));

    /**
     * A key for another type than the one chosen is an error unless it has its default value (as
     * {@link Recipe#resolved()} writes every key, whatever the type); an invalid regex is an error.
     */
    private static void checkStrategy(RecipeDocument doc, JsonNode strategy) {
        Strategy type = strategy.path("type").isTextual()
                && RecipeNames.allowed(Strategy.class).contains(strategy.path("type").asText())
                ? Strategy.parse(strategy.path("type").asText()) : null;
        for (String key : RecipeSchema.propertyNames(RecipeSchema.at("/strategy"))) {
            Strategy only = STRATEGY_KEYS.get(key);
            String pointer = "/strategy/" + key;
            JsonNode value = strategy.path(key);
            if (type == null || only == null || only == type || !doc.isGiven(pointer)
                    || !rightType(value, RecipeSchema.at(pointer))
                    || sameValue(value, RecipeSchema.at(pointer).path("default"))) {
                continue;
            }
            doc.problem(doc.keyAt(pointer).problem(
                    "'strategy." + key + "' applies only to type " + only.recipeName()));
        }
        JsonNode pattern = strategy.path("freeze_pattern");
        if (pattern.isTextual() && !pattern.asText().isEmpty()) {
            try {
                Pattern.compile(pattern.asText());
            } catch (PatternSyntaxException e) {
                doc.problem(doc.valueAt("/strategy/freeze_pattern").problem(
                        "'strategy.freeze_pattern' is not a valid regular expression: " + e.getDescription()
                                + (e.getIndex() >= 0 ? " near index " + e.getIndex() : "")));
            }
        }
    }

    /** JSON equality, except that numbers compare by value (16 and 16.0 are the same alpha). */
    private static boolean sameValue(JsonNode value, JsonNode other) {
        if (value.isNumber() && other.isNumber()) return value.decimalValue().compareTo(other.decimalValue()) == 0;
        return value.equals(other);
    }

    /** Whether the schema's type check passed, so the schema has already said all there is. */
    private static boolean rightType(JsonNode value, JsonNode schema) {
        JsonNode type = schema.path("type");
        for (JsonNode t : type.isArray() ? type : List.of(type)) {
            boolean ok = switch (t.asText()) {
                case "boolean" -> value.isBoolean();
                case "integer" -> value.isIntegralNumber();
                case "number" -> value.isNumber();
                case "string" -> value.isTextual();
                case "null" -> value.isNull();
                case "object" -> value.isObject();
                case "array" -> value.isArray();
                default -> false;
            };
            if (ok) {
                return true;
            }
        }
        return false;
    }

    private static void checkDataFile(RecipeDocument doc, String pointer, JsonNode value, JsonNode format, Path baseDir) {
        if (!value.isTextual() || value.asText().isEmpty()) {
            return;
        }
        Where where = doc.valueAt(pointer);
        String key = RecipeDocument.dotted(pointer);
        Path file;
        try {
            file = baseDir.resolve(value.asText()).normalize();
        } catch (InvalidPathException e) {
            doc.problem(where.problem("'" + key + "' is not a valid path: " + e.getMessage()));
            return;
        }
        if (!Files.exists(file)) {
            doc.problem(where.problem("'" + key + "': file not found: " + file));
        } else if (Files.isDirectory(file)) {
            doc.problem(where.problem("'" + key + "': " + file + " is a directory, not a data file"));
        } else if (!Files.isReadable(file)) {
            doc.problem(where.problem("'" + key + "': cannot read " + file + " (permission denied)"));
        }
        if (format.asText().equals("auto") && Format.forFile(file) == null) {
            doc.problem(where.problem("'" + key + "': cannot tell the format of '" + file.getFileName()
                    + "' from its extension (.jsonl, .csv or .tsv); set data.format to jsonl, csv or tsv"));
        }
    }

    private static void checkFractions(RecipeDocument doc, JsonNode data) {
        JsonNode validation = data.path("validation");
        JsonNode test = data.path("test");
        JsonNode vf = data.path("validation_fraction");
        JsonNode tf = data.path("test_fraction");
        if (!isFraction(vf) || !isFraction(tf) || !(validation.isNull() && test.isNull())) {
            return;
        }
        if (vf.asDouble() + tf.asDouble() >= 1) {
            String pointer = doc.isGiven("/data/test_fraction") ? "/data/test_fraction" : "/data/validation_fraction";
            doc.problem(doc.valueAt(pointer).problem("'data.validation_fraction' + 'data.test_fraction' must be < 1"
                    + " (nothing would be left to train on), got " + vf.asText() + " + " + tf.asText()));
        }
    }

    private static boolean isFraction(JsonNode node) {
        return node.isNumber() && node.asDouble() >= 0 && node.asDouble() < 1;
    }

    private static void checkColumns(RecipeDocument doc, JsonNode data) {
        JsonNode text = data.path("text_column");
        if (text.isTextual() && text.equals(data.path("label_column"))) {
            String pointer = doc.isGiven("/data/label_column") ? "/data/label_column" : "/data/text_column";
            doc.problem(doc.valueAt(pointer).problem(
                    "'data.text_column' and 'data.label_column' are both '" + text.asText() + "'"));
        }
    }

    private static void checkEarlyStopping(RecipeDocument doc, JsonNode data, JsonNode earlyStopping) {
        boolean noValidation = data.path("validation").isNull()
                && data.path("validation_fraction").isNumber()
                && data.path("validation_fraction").asDouble() == 0;
        if (earlyStopping.isObject() && noValidation) {
            doc.problem(doc.valueAt("/train/early_stopping").problem("early stopping needs a validation set:"
                    + " set 'data.validation' or a 'data.validation_fraction' > 0, or 'train.early_stopping: false'"));
        }
    }
}
