package dev.finetune4j.recipe;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.util.List;

/** {@code --set key.path=value} overrides, applied to the document before it is validated. */
final class Overrides {
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

    private Overrides() {}

    static void apply(RecipeDocument doc, List<String> overrides) {
        for (String text : overrides) {
            apply(doc, text);
            // --set strategy=partial, then --set strategy.freeze_layers=2
            RecipeSchema.expandShorthands(doc.root);
        }
    }

    private static void apply(RecipeDocument doc, String text) {
        Where where = Where.override(text);
        int eq = text.indexOf('=');
        String path = eq < 0 ? "" : text.substring(0, eq).strip();
        String[] keys = path.split("\\.", -1);
        if (eq < 0 || path.isEmpty() || List.of(keys).contains("")) {
            doc.problem(where.problem("expected key.path=value, e.g. --set train.learning_rate=1e-4"));
            return;
        }
        JsonNode value;
        try {
            value = parseValue(text.substring(eq + 1));
        } catch (IOException e) {
            doc.problem(where.problem("the value is not valid YAML: " + firstLine(e.getMessage())));
            return;
        }
        ObjectNode parent = doc.root;
        String pointer = "";
        for (int i = 0; i < keys.length - 1; i++) {
            pointer = RecipeDocument.child(pointer, keys[i]);
            JsonNode next = parent.get(keys[i]);
            if (next instanceof ObjectNode object) {
                parent = object;
            } else if (next == null || next.isNull() || next.isBoolean()) {
                // e.g. early_stopping: false, then --set train.early_stopping.patience=5
                parent = parent.putObject(keys[i]);
                doc.overridden(pointer, where);
            } else {
                doc.problem(where.problem("'" + RecipeDocument.dotted(pointer) + "' is "
                        + RecipeDocument.describe(next) + ", not a mapping, so it has no '" + keys[i + 1] + "'"));
                return;
            }
        }
        parent.set(keys[keys.length - 1], value);
        doc.overridden(RecipeDocument.child(pointer, keys[keys.length - 1]), where);
    }

    /** The value as YAML reads it: {@code 1e-4} a number, {@code null} or nothing null, {@code false} a boolean. */
    static JsonNode parseValue(String text) throws IOException {
        JsonNode node = YAML.readTree(text);
        return node == null || node.isMissingNode() ? NullNode.getInstance() : node;
    }

    private static String firstLine(String message) {
        int newline = message.indexOf('\n');
        return newline < 0 ? message : message.substring(0, newline);
    }
}
