package dev.finetune4j.recipe;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.networknt.schema.Error;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.dialect.Dialect;
import com.networknt.schema.dialect.Dialects;
import com.networknt.schema.keyword.NonValidationKeyword;
import com.networknt.schema.path.NodePath;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * The recipe's JSON schema ({@code recipe.schema.json}): checks a document against it, says what is
 * wrong in the user's words, and fills in its defaults.
 */
final class RecipeSchema {
    static final String RESOURCE = "recipe.schema.json";
    /** The schema keyword that marks a key as one task's ({@link TaskKeys}): {@code "x-task": ["text-classification"]}. */
    static final String TASK = "x-task";
    private static final List<TaskKeys> INSTALLED = TaskKeys.installed();
    private static final JsonNode SCHEMA_NODE = withTaskKeys(readSchema(), INSTALLED);
    /** Draft 2020-12 with our keywords, which the loader's checks read and the validator passes over. */
    private static final SchemaRegistry REGISTRY = SchemaRegistry.withDefaultDialect(Dialect.builder(Dialects.getDraft202012())
            .keyword(new NonValidationKeyword(RecipeChecks.APPLIES_TO))
            .keyword(new NonValidationKeyword(RecipeChecks.DIFFERS_FROM))
            .keyword(new NonValidationKeyword(TASK))
            .build());
    private static final Schema SCHEMA = REGISTRY.getSchema(SCHEMA_NODE);
    private static final Schema SEARCH_SCHEMA = REGISTRY.getSchema(at("/search"));

    private RecipeSchema() {}

    /**
     * The shared schema with each installed task's keys merged in, each tagged with the tasks it
     * belongs to ({@value #TASK}); the {@code task} key admits the installed tasks.
     */
    static JsonNode withTaskKeys(JsonNode base, List<TaskKeys> installed) {
        ObjectNode schema = base.deepCopy();
        ObjectNode sections = (ObjectNode) schema.get("properties");
        if (!installed.isEmpty()) {
            ArrayNode tasks = ((ObjectNode) sections.get("task")).putArray("enum");
            installed.forEach(keys -> tasks.add(keys.task()));
        }
        for (TaskKeys keys : installed) {
            keys.recipeSchema().path("properties").fields().forEachRemaining(section -> {
                JsonNode shared = sections.get(section.getKey());
                if (shared != null && !shared.has(TASK) && shared.get("properties") instanceof ObjectNode properties) {
                    section.getValue().path("properties").fields().forEachRemaining(key ->
                            addTaskKey(properties, section.getKey() + "." + key.getKey(), key.getValue(), keys.task()));
                } else {
                    addTaskKey(sections, section.getKey(), section.getValue(), keys.task());
                }
            });
        }
        return schema;
    }

    private static void addTaskKey(ObjectNode properties, String key, JsonNode definition, String task) {
        String name = key.substring(key.lastIndexOf('.') + 1);
        JsonNode existing = properties.get(name);
        if (existing == null) {
            ObjectNode tagged = definition.deepCopy();
            tagged.putArray(TASK).add(task);
            properties.set(name, tagged);
            return;
        }
        ObjectNode untagged = existing.deepCopy();
        untagged.remove(TASK);
        if (!existing.has(TASK) || !untagged.equals(definition)) {
            throw new IllegalStateException("task " + task + " declares '" + key + "', which "
                    + (existing.has(TASK) ? "tasks " + existing.get(TASK) + " declare differently" : "every task has"));
        }
        ((ArrayNode) existing.get(TASK)).add(task);
    }

    /** The keys of the installed task {@code task}, or null. */
    static TaskKeys taskKeys(String task) {
        return INSTALLED.stream().filter(keys -> keys.task().equals(task)).findFirst().orElse(null);
    }

    /** Whether the key of schema {@code definition} belongs to every task or to {@code task}. */
    static boolean appliesToTask(JsonNode definition, String task) {
        if (!definition.has(TASK)) return true;
        for (JsonNode t : definition.get(TASK)) if (t.asText().equals(task)) return true;
        return false;
    }

    /** The tasks that the key of schema {@code definition} belongs to; empty for a key of every task. */
    static List<String> tasksOf(JsonNode definition) {
        List<String> tasks = new ArrayList<>();
        definition.path(TASK).forEach(t -> tasks.add(t.asText()));
        return tasks;
    }

    /**
     * Moves the task's own keys out of a recipe tree into a tree of their own, at the same places,
     * for binding into the task's {@link TaskKeys#settingsType()} record; keys of other tasks (the
     * checks made sure none was given) are dropped.
     */
    static ObjectNode takeTaskKeys(ObjectNode tree, String task) {
        ObjectNode out = tree.objectNode();
        takeTaskKeys(tree, SCHEMA_NODE, task, out);
        return out;
    }

    private static void takeTaskKeys(ObjectNode node, JsonNode schema, String task, ObjectNode out) {
        schema.path("properties").fields().forEachRemaining(entry -> {
            JsonNode value = node.get(entry.getKey());
            if (entry.getValue().has(TASK)) {
                node.remove(entry.getKey());
                if (value != null && appliesToTask(entry.getValue(), task)) out.set(entry.getKey(), value);
            } else if (value instanceof ObjectNode child) {
                ObjectNode inner = out.objectNode();
                takeTaskKeys(child, entry.getValue(), task, inner);
                if (!inner.isEmpty()) out.set(entry.getKey(), inner);
            }
        });
    }

    /** The schema as JSON, for tools that want to show or export it. */
    static JsonNode schemaNode() {
        return SCHEMA_NODE.deepCopy();
    }

    static void validate(RecipeDocument doc) {
        for (Error error : SCHEMA.validate(doc.root)) {
            doc.problem(explain(doc, error, ""));
        }
    }

    /** Checks only a tune file's {@code search:} section. */
    static void validateSearch(RecipeDocument doc) {
        for (Error error : SEARCH_SCHEMA.validate(doc.root.at("/search"))) {
            doc.problem(explain(doc, error, "/search"));
        }
    }

    /**
     * Fills every absent key that has a default; {@code early_stopping: true} becomes the default
     * mapping, and a shorthand string such as {@code strategy: full} first becomes {@code {type: full}}.
     */
    static void applyDefaults(ObjectNode node) {
        expandShorthands(node);
        if (!node.has("task") && SCHEMA_NODE.at("/properties/task").has("default")) {
            node.set("task", SCHEMA_NODE.at("/properties/task/default").deepCopy());
        }
        applyDefaults(node, SCHEMA_NODE, node.path("task").asText());
    }

    /**
     * Fills the defaults of one section, such as a tune file's {@code search:} at {@code /search};
     * a task's own keys are left out.
     */
    static void applyDefaults(ObjectNode section, String pointer) {
        applyDefaults(section, at(pointer), null);
    }

    /**
     * Replaces a string given for a key that is a string or a mapping with a {@code type} (such as
     * {@code strategy: partial}) by the mapping {@code {type: partial}}. The loader does this before
     * validation, so that the string is checked as the mapping's {@code type}, and a shorthand
     * {@code type} is the only one with no place of its own in the document.
     */
    static void expandShorthands(ObjectNode node) {
        expandShorthands(node, SCHEMA_NODE);
    }

    private static void expandShorthands(ObjectNode node, JsonNode schema) {
        schema.path("properties").fields().forEachRemaining(entry -> {
            JsonNode value = node.get(entry.getKey());
            if (value != null && value.isTextual() && isShorthand(entry.getValue())) {
                node.putObject(entry.getKey()).set(SHORTHAND_KEY, value);
            } else if (value instanceof ObjectNode child) {
                expandShorthands(child, entry.getValue());
            }
        });
    }

    private static final String SHORTHAND_KEY = "type";

    /** Whether a string may stand for the mapping {@code {type: <string>}} at this subschema. */
    private static boolean isShorthand(JsonNode schema) {
        JsonNode type = schema.path("type");
        return type.isArray() && type.toString().contains("\"string\"") && type.toString().contains("\"object\"")
                && schema.path("properties").has(SHORTHAND_KEY);
    }

    /**
     * How the user spells the key at {@code pointer}: {@code strategy} rather than
     * {@code strategy.type} when the type came from the shorthand {@code strategy: lora}.
     */
    private static String userKey(RecipeDocument doc, String pointer) {
        String parent = RecipeDocument.parent(pointer);
        boolean shorthand = pointer.equals(RecipeDocument.child(parent, SHORTHAND_KEY))
                && isShorthand(at(parent)) && !doc.isGiven(pointer) && doc.isGiven(parent);
        return RecipeDocument.dotted(shorthand ? parent : pointer);
    }

    private static void applyDefaults(ObjectNode node, JsonNode schema, String task) {
        schema.path("properties").fields().forEachRemaining(entry -> {
            String key = entry.getKey();
            JsonNode sub = entry.getValue();
            if (!appliesToTask(sub, task)) return;
            JsonNode value = node.get(key);
            boolean isMapping = sub.has("properties");
            if (value == null && sub.has("default")) {
                node.set(key, sub.get("default").deepCopy());
            } else if (isMapping && (value == null || value.isBoolean() && value.booleanValue())) {
                node.putObject(key);
            }
            if (isMapping && node.get(key) instanceof ObjectNode child) {
                applyDefaults(child, sub, task);
            }
        });
    }

    /**
     * Replaces {@code false} given for a mapping that may be switched off (such as
     * {@code train.early_stopping: false}) by {@code null}, which is how its record says "off".
     */
    static void switchedOffToNull(ObjectNode node) {
        switchedOffToNull(node, SCHEMA_NODE);
    }

    private static void switchedOffToNull(ObjectNode node, JsonNode schema) {
        schema.path("properties").fields().forEachRemaining(entry -> {
            JsonNode value = node.get(entry.getKey());
            String type = entry.getValue().path("type").toString();
            if (value != null && value.isBoolean() && !value.booleanValue() && type.contains("\"object\"")
                    && type.contains("\"boolean\"")) {
                node.putNull(entry.getKey());
            } else if (value instanceof ObjectNode child) {
                switchedOffToNull(child, entry.getValue());
            }
        });
    }

    /**
     * Removes from a mapping with a {@code type} (a sealed family such as {@code strategy}) the
     * settings that apply to other types only ({@code x-applies-to: {type: [...]}}): the record of
     * the chosen type has no place for them, and {@link RecipeChecks} has made sure that they hold
     * their defaults.
     */
    static void keepTheTypesOwnSettings(ObjectNode section, String pointer) {
        String type = section.path(SHORTHAND_KEY).asText();
        at(pointer).path("properties").fields().forEachRemaining(entry -> {
            JsonNode types = entry.getValue().path(RecipeChecks.APPLIES_TO).path(SHORTHAND_KEY);
            boolean applies = !types.isArray();
            for (JsonNode t : types) applies |= t.asText().equals(type);
            if (!applies) section.remove(entry.getKey());
        });
    }

    /** The subschema for the instance at {@code pointer}, or a missing node. */
    static JsonNode at(String pointer) {
        JsonNode schema = SCHEMA_NODE;
        if (pointer.isEmpty()) {
            return schema;
        }
        for (String part : pointer.substring(1).split("/", -1)) {
            String key = part.replace("~1", "/").replace("~0", "~");
            // A mapping whose keys are the user's own (search.space) declares its values once, under additionalProperties.
            schema = schema.path("properties").has(key) || !schema.path("additionalProperties").isObject()
                    ? schema.path("properties").path(key) : schema.path("additionalProperties");
        }
        return schema;
    }

    static List<String> propertyNames(JsonNode schema) {
        List<String> names = new ArrayList<>();
        schema.path("properties").fieldNames().forEachRemaining(names::add);
        return names;
    }

    /** The keys of {@code schema} that a recipe of {@code task} may have: every task's and its own. */
    static List<String> propertyNames(JsonNode schema, String task) {
        List<String> names = new ArrayList<>();
        schema.path("properties").fields().forEachRemaining(e -> {
            if (appliesToTask(e.getValue(), task)) names.add(e.getKey());
        });
        return names;
    }

    /** The recipe's task, or the schema's default when it gives none. */
    static String taskOf(RecipeDocument doc) {
        JsonNode task = doc.root.get("task");
        return task != null && task.isTextual() ? task.asText() : SCHEMA_NODE.at("/properties/task/default").asText();
    }

    private static Problem explain(RecipeDocument doc, Error error, String base) {
        String pointer = base + pointer(error.getInstanceLocation());
        String key = userKey(doc, pointer);
        JsonNode schema = at(pointer);
        JsonNode value = error.getInstanceNode();
        String keyword = error.getKeyword() == null ? "" : error.getKeyword();
        return switch (keyword) {
            case "additionalProperties" -> unknownProperty(doc, pointer, error.getProperty());
            case "required" -> missingProperty(doc, pointer, error.getProperty());
            case "type" -> doc.valueAt(pointer).problem(
                    "'" + key + "' must be " + typeNames(schema.path("type")) + ", got " + RecipeDocument.describe(value)
                            + quotedNumberHint(value));
            case "enum" -> doc.valueAt(pointer).problem(badEnum(key, schema, value));
            case "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum" -> doc.valueAt(pointer).problem(
                    "'" + key + "' must be " + range(schema) + ", got " + value.asText());
            case "minLength" -> doc.valueAt(pointer).problem("'" + key + "' must not be empty");
            case "pattern" -> doc.valueAt(pointer).problem(pointer.equals("/name")
                    ? "'name' must start with a letter or digit and contain only letters, digits, '.', '_' and '-', got '"
                            + value.asText() + "'"
                    : "'" + key + "' must match " + schema.path("pattern").asText() + ", got '" + value.asText() + "'");
            default -> doc.valueAt(pointer).problem("'" + key + "' " + error.getMessage());
        };
    }

    private static Problem unknownProperty(RecipeDocument doc, String pointer, String property) {
        List<String> allowed = propertyNames(at(pointer), taskOf(doc));
        if (pointer.isEmpty()) allowed.remove("search"); // a tune file's section: suggested for a typo, not listed
        String message = "property '" + property + "' is not defined"
                + (pointer.isEmpty() ? "" : " in '" + RecipeDocument.dotted(pointer) + "'");
        Optional<String> suggestion = Suggestions.closest(property, allowed);
        message += suggestion.map(s -> " — did you mean '" + s + "'?")
                .orElseGet(() -> " — allowed: " + String.join(", ", allowed));
        return doc.keyAt(RecipeDocument.child(pointer, property)).problem(message);
    }

    private static Problem missingProperty(RecipeDocument doc, String pointer, String property) {
        String key = RecipeDocument.dotted(RecipeDocument.child(pointer, property));
        String message = "missing required property '" + key + "'";
        JsonNode required = at(RecipeDocument.child(pointer, property)).path("required");
        if (!required.isEmpty()) {
            List<String> inner = new ArrayList<>();
            required.forEach(r -> inner.add("'" + key + "." + r.asText() + "'"));
            message += " (with at least " + String.join(", ", inner) + ")";
        }
        Where where = pointer.isEmpty() ? Where.file(doc.file) : doc.keyAt(pointer);
        return where.problem(message);
    }

    private static String badEnum(String key, JsonNode schema, JsonNode value) {
        List<String> allowed = new ArrayList<>();
        schema.path("enum").forEach(v -> {
            if (!v.isNull()) allowed.add(v.asText()); // null: left for the run to choose, not a value to write
        });
        String message = "'" + key + "' must be one of: " + String.join(", ", allowed) + "; got "
                + RecipeDocument.describe(value);
        if (value.isTextual()) {
            message += Suggestions.closest(value.asText(), allowed).map(s -> " — did you mean '" + s + "'?").orElse("");
        }
        return message;
    }

    private static String typeNames(JsonNode type) {
        List<String> names = new ArrayList<>();
        if (type.isArray()) {
            type.forEach(t -> names.add(typeName(t.asText())));
        } else {
            names.add(typeName(type.asText()));
        }
        return String.join(" or ", names);
    }

    private static String typeName(String type) {
        return switch (type) {
            case "integer" -> "an integer";
            case "number" -> "a number";
            case "string" -> "a string";
            case "boolean" -> "true/false";
            case "object" -> "a mapping";
            case "array" -> "a list";
            default -> type;
        };
    }

    private static String quotedNumberHint(JsonNode value) {
        if (value != null && value.isTextual()) {
            try {
                Double.parseDouble(value.asText());
                return " (remove the quotes)";
            } catch (NumberFormatException notANumber) {
                return "";
            }
        }
        return "";
    }

    /** The allowed range of a number, e.g. {@code > 0 and <= 1}, or {@code between 8 and 8192}. */
    static String range(JsonNode schema) {
        boolean integer = schema.path("type").toString().contains("integer");
        if (integer && schema.has("minimum") && schema.has("maximum")) {
            return "between " + schema.get("minimum").asText() + " and " + schema.get("maximum").asText();
        }
        List<String> parts = new ArrayList<>();
        if (schema.has("minimum")) {
            parts.add(">= " + schema.get("minimum").asText());
        }
        if (schema.has("exclusiveMinimum")) {
            parts.add("> " + schema.get("exclusiveMinimum").asText());
        }
        if (schema.has("maximum")) {
            parts.add("<= " + schema.get("maximum").asText());
        }
        if (schema.has("exclusiveMaximum")) {
            parts.add("< " + schema.get("exclusiveMaximum").asText());
        }
        return parts.stream().collect(Collectors.joining(" and "));
    }

    private static String pointer(NodePath path) {
        String pointer = "";
        for (int i = 0; i < path.getNameCount(); i++) {
            pointer = RecipeDocument.child(pointer, String.valueOf(path.getElement(i)));
        }
        return pointer;
    }

    private static JsonNode readSchema() {
        try (InputStream in = RecipeSchema.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException("resource " + RESOURCE + " is missing from the classpath");
            }
            return new ObjectMapper().readTree(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
