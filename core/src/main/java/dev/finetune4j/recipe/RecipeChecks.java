package dev.finetune4j.recipe;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.finetune4j.data.Format;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
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
        TaskKeys task = RecipeSchema.taskKeys(full.path("task").asText());
        boolean folders = task != null && task.readsFolders();
        for (String split : new String[] {"train", "validation", "test"}) {
            checkDataFile(doc, "/data/" + split, data.path(split), data.path("format"), baseDir, folders);
        }
        checkFractions(doc, data);
        checkTaskKeys(doc, full, RecipeSchema.at(""), "");
        checkDiffersFrom(doc, full, RecipeSchema.at(""), "");
        checkEarlyStopping(doc, data, full.path("train").path("early_stopping"));
        checkAppliesTo(doc, full);
        checkNesterov(doc, full.path("train"));
        checkFreezePattern(doc, full.path("strategy"));
    }

    /** The schema keyword that limits a setting to some values of a sibling key ({@code {"optimizer": ["sgd"]}}). */
    static final String APPLIES_TO = "x-applies-to";

    /**
     * A setting given for another optimizer, schedule or strategy type than the one chosen (the
     * schema's {@value #APPLIES_TO}) is an error unless it has its default value, which older
     * resolved recipes wrote for every key.
     */
    private static void checkAppliesTo(RecipeDocument doc, JsonNode full) {
        RecipeSchema.at("").path("properties").fields().forEachRemaining(section -> {
            String base = "/" + section.getKey();
            section.getValue().path("properties").fields().forEachRemaining(setting -> {
                JsonNode appliesTo = setting.getValue().path(APPLIES_TO);
                if (!appliesTo.isObject()) return;
                String chooser = appliesTo.fieldNames().next();
                List<String> values = new ArrayList<>();
                appliesTo.get(chooser).forEach(v -> values.add(v.asText()));
                String pointer = base + "/" + setting.getKey();
                JsonNode chosen = full.at(base + "/" + chooser);
                JsonNode value = full.at(pointer);
                boolean known = false;
                for (JsonNode v : RecipeSchema.at(base + "/" + chooser).path("enum")) known |= v.equals(chosen);
                if (!known || values.contains(chosen.asText()) || !doc.isGiven(pointer)
                        || !rightType(value, setting.getValue()) || sameValue(value, setting.getValue().path("default"))) {
                    return;
                }
                String key = RecipeDocument.dotted(pointer), chooserKey = RecipeDocument.dotted(base + "/" + chooser);
                doc.problem(doc.keyAt(pointer).problem("'" + key + "' applies only to " + (chooser.equals("type")
                        ? "type " + String.join(" or ", values)
                        : chooserKey + " " + String.join(" or ", values) + " (" + chooserKey + " is " + chosen.asText()
                                + ")")));
            });
        });
    }

    /** Nesterov momentum needs momentum and no dampening, as PyTorch's SGD. */
    private static void checkNesterov(RecipeDocument doc, JsonNode train) {
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

    /** An invalid regular expression in {@code strategy.freeze_pattern} is an error at its value. */
    private static void checkFreezePattern(RecipeDocument doc, JsonNode strategy) {
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

    private static void checkDataFile(RecipeDocument doc, String pointer, JsonNode value, JsonNode format, Path baseDir,
            boolean folders) {
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
            if (!folders) doc.problem(where.problem("'" + key + "': " + file + " is a directory, not a data file"));
            return;
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

    /** A key of another task than the recipe's is an error that names the task it is for. */
    private static void checkTaskKeys(RecipeDocument doc, JsonNode full, JsonNode schema, String base) {
        JsonNode task = full.path("task");
        if (RecipeSchema.taskKeys(task.asText()) == null) return; // the schema reported the task
        schema.path("properties").fields().forEachRemaining(entry -> {
            String pointer = base + "/" + entry.getKey();
            if (!RecipeSchema.appliesToTask(entry.getValue(), task.asText())) {
                if (doc.isGiven(pointer)) {
                    doc.problem(doc.keyAt(pointer).problem("'" + RecipeDocument.dotted(pointer) + "' applies only to task "
                            + String.join(" or ", RecipeSchema.tasksOf(entry.getValue())) + " (task is " + task.asText()
                            + ")"));
                }
            } else if (full.at(pointer).isObject()) {
                checkTaskKeys(doc, full, entry.getValue(), pointer);
            }
        });
    }

    /** The schema keyword for a key whose value must differ from a sibling's ({@code text_column} and {@code label_column}). */
    static final String DIFFERS_FROM = "x-differs-from";

    private static void checkDiffersFrom(RecipeDocument doc, JsonNode full, JsonNode schema, String base) {
        schema.path("properties").fields().forEachRemaining(entry -> {
            String pointer = base + "/" + entry.getKey();
            JsonNode value = full.at(pointer);
            if (entry.getValue().has(DIFFERS_FROM)) {
                String other = base + "/" + entry.getValue().get(DIFFERS_FROM).asText();
                if (value.isTextual() && value.equals(full.at(other))) {
                    doc.problem(doc.valueAt(doc.isGiven(other) ? other : pointer).problem("'" + RecipeDocument.dotted(pointer)
                            + "' and '" + RecipeDocument.dotted(other) + "' are both '" + value.asText() + "'"));
                }
            } else if (value.isObject()) {
                checkDiffersFrom(doc, full, entry.getValue(), pointer);
            }
        });
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
