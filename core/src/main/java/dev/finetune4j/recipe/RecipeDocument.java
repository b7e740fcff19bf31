package dev.finetune4j.recipe;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.yaml.snakeyaml.error.Mark;
import org.yaml.snakeyaml.error.MarkedYAMLException;

/**
 * The recipe as a JSON tree, with where each key and value came from (file line and column, or an
 * override), and the problems found in it so far. Nodes are addressed by JSON pointer.
 */
final class RecipeDocument {
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
    private static final YAMLFactory YAML = new YAMLFactory();

    final String file;
    final ObjectNode root;
    private final Map<String, Where> keys = new HashMap<>();
    private final Map<String, Where> values = new HashMap<>();
    private final List<Problem> problems = new ArrayList<>();

    private RecipeDocument(String file, ObjectNode root) {
        this.file = file;
        this.root = root;
    }

    /** Parses YAML text; throws a RecipeError when there is no mapping to work on. */
    static RecipeDocument parse(String text, String file) {
        try (JsonParser parser = YAML.createParser(text)) {
            Reader reader = new Reader(parser, file);
            JsonToken first = parser.nextToken();
            if (first == null || first == JsonToken.VALUE_NULL) {
                throw RecipeError.of(file, "the file is empty; a recipe needs at least 'name', 'model' and 'data.train'");
            }
            if (first != JsonToken.START_OBJECT) {
                Where where = reader.at(parser.currentTokenLocation());
                throw new RecipeError(file, List.of(where.problem(
                        "a recipe must be a mapping of keys (name: ..., model: ...), found " + describeToken(first))));
            }
            RecipeDocument doc = new RecipeDocument(file, NODES.objectNode());
            reader.doc = doc;
            reader.readObjectInto(doc.root, "");
            if (parser.nextToken() != null) {
                doc.problems.add(reader.at(parser.currentTokenLocation())
                        .problem("a recipe file must hold one YAML document; found a second one here"));
            }
            return doc;
        } catch (JsonProcessingException e) {
            throw new RecipeError(file, List.of(syntaxProblem(file, e)));
        } catch (IOException e) {
            throw RecipeError.of(file, "cannot read: " + e.getMessage());
        }
    }

    void problem(Problem problem) {
        problems.add(problem);
    }

    List<Problem> problems() {
        return problems;
    }

    /** Where the key of the node at {@code pointer} is, or the nearest enclosing key's place. */
    Where keyAt(String pointer) {
        return nearest(keys, pointer);
    }

    /** Where the value at {@code pointer} is, or the nearest enclosing value's place. */
    Where valueAt(String pointer) {
        return nearest(values, pointer);
    }

    /** Whether the user wrote this key (in the file or as an override), rather than it being a default. */
    boolean isGiven(String pointer) {
        return values.containsKey(pointer);
    }

    /** Records that an override now supplies the key and value at {@code pointer}, and everything under it. */
    void overridden(String pointer, Where where) {
        keys.keySet().removeIf(p -> p.equals(pointer) || p.startsWith(pointer + "/"));
        values.keySet().removeIf(p -> p.equals(pointer) || p.startsWith(pointer + "/"));
        keys.put(pointer, where);
        values.put(pointer, where);
    }

    private Where nearest(Map<String, Where> places, String pointer) {
        for (String p = pointer; ; p = parent(p)) {
            Where where = places.get(p);
            if (where != null) {
                return where;
            }
            if (p.isEmpty()) {
                return Where.file(file);
            }
        }
    }

    static String child(String pointer, String key) {
        return pointer + "/" + key.replace("~", "~0").replace("/", "~1");
    }

    static String parent(String pointer) {
        return pointer.isEmpty() ? "" : pointer.substring(0, pointer.lastIndexOf('/'));
    }

    /** {@code /train/learning_rate} as the user spells it: {@code train.learning_rate}. */
    static String dotted(String pointer) {
        if (pointer.isEmpty()) {
            return "(the recipe)";
        }
        StringBuilder out = new StringBuilder();
        for (String part : pointer.substring(1).split("/", -1)) {
            if (out.length() > 0) {
                out.append('.');
            }
            out.append(part.replace("~1", "/").replace("~0", "~"));
        }
        return out.toString();
    }

    static String describe(JsonNode node) {
        if (node == null || node.isMissingNode()) {
            return "nothing";
        }
        if (node.isTextual()) {
            return "the string '" + node.asText() + "'";
        }
        if (node.isNumber()) {
            return "the number " + node.asText();
        }
        if (node.isBoolean()) {
            return node.asText();
        }
        if (node.isNull()) {
            return "null";
        }
        return node.isObject() ? "a mapping" : node.isArray() ? "a list" : node.getNodeType().toString();
    }

    private static String describeToken(JsonToken token) {
        return switch (token) {
            case START_ARRAY -> "a list";
            case VALUE_STRING -> "a string";
            case VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT -> "a number";
            case VALUE_TRUE, VALUE_FALSE -> "a boolean";
            default -> token.asString();
        };
    }

    private static Problem syntaxProblem(String file, JsonProcessingException e) {
        if (e.getCause() instanceof MarkedYAMLException yaml && yaml.getProblemMark() != null) {
            Mark mark = yaml.getProblemMark();
            String message = "invalid YAML: " + yaml.getProblem();
            if (yaml.getContext() != null && yaml.getContextMark() != null) {
                Mark context = yaml.getContextMark();
                message += " (" + yaml.getContext() + " at line " + (context.getLine() + 1)
                        + ", column " + (context.getColumn() + 1) + ")";
            }
            return new Problem(file, mark.getLine() + 1, mark.getColumn() + 1, message);
        }
        JsonLocation location = e.getLocation();
        String message = "invalid YAML: " + e.getOriginalMessage();
        return location == null || location.getLineNr() < 1
                ? new Problem(file, 0, 0, message)
                : new Problem(file, location.getLineNr(), location.getColumnNr(), message);
    }

    /** Builds the tree from the parser's tokens, noting each token's place. */
    private static final class Reader {
        private final JsonParser parser;
        private final String file;
        private RecipeDocument doc;

        Reader(JsonParser parser, String file) {
            this.parser = parser;
            this.file = file;
        }

        Where at(JsonLocation location) {
            return new Where(file, location.getLineNr(), location.getColumnNr());
        }

        /** Reads the members of the mapping whose START_OBJECT is the current token. */
        void readObjectInto(ObjectNode object, String pointer) throws IOException {
            while (parser.nextToken() == JsonToken.FIELD_NAME) {
                String key = parser.currentName();
                Where keyWhere = at(parser.currentTokenLocation());
                parser.nextToken();
                String child = pointer == null ? null : child(pointer, key);
                if (object.has(key)) {
                    int first = child == null ? 0 : doc.keyAt(child).line();
                    doc.problems.add(keyWhere.problem("duplicate key '" + key + "'"
                            + (first > 0 ? " (first given at line " + first + ")" : "")));
                    readValue(null);
                    continue;
                }
                if (child != null) {
                    doc.keys.put(child, keyWhere);
                }
                object.set(key, readValue(child));
            }
        }

        private JsonNode readValue(String pointer) throws IOException {
            if (pointer != null) {
                doc.values.put(pointer, at(parser.currentTokenLocation()));
            }
            switch (parser.currentToken()) {
                case START_OBJECT -> {
                    ObjectNode object = NODES.objectNode();
                    readObjectInto(object, pointer);
                    return object;
                }
                case START_ARRAY -> {
                    ArrayNode array = NODES.arrayNode();
                    int index = 0;
                    while (parser.nextToken() != JsonToken.END_ARRAY) {
                        array.add(readValue(pointer == null ? null : pointer + "/" + index++));
                    }
                    return array;
                }
                case VALUE_NUMBER_INT -> {
                    return switch (parser.getNumberType()) {
                        case INT -> NODES.numberNode(parser.getIntValue());
                        case LONG -> NODES.numberNode(parser.getLongValue());
                        default -> NODES.numberNode(parser.getBigIntegerValue());
                    };
                }
                case VALUE_NUMBER_FLOAT -> {
                    return NODES.numberNode(parser.getDoubleValue());
                }
                case VALUE_TRUE -> {
                    return NODES.booleanNode(true);
                }
                case VALUE_FALSE -> {
                    return NODES.booleanNode(false);
                }
                case VALUE_NULL -> {
                    return NODES.nullNode();
                }
                default -> {
                    return NODES.textNode(parser.getText());
                }
            }
        }
    }
}
