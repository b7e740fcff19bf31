package dev.finetune4j.pipeline;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import dev.finetune4j.eval.ClassificationReport;
import dev.finetune4j.recipe.Recipe;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * An export's {@code README.md} in the Hugging Face model-card format: YAML front matter (licence,
 * base model, task, and the test metrics as a {@code model-index}), then what the model is for, the
 * data it was trained on and what cleaning dropped, the recipe, the test, slice and calibration
 * results, its limits, and the hashes it was made from. Built from what the run wrote to
 * {@code metrics.json}, so the card says nothing the metrics do not.
 */
public final class ModelCard {
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory()
            .disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
            .enable(YAMLGenerator.Feature.MINIMIZE_QUOTES));

    private ModelCard() {}

    /** The headline numbers stored in the export's config.json, which {@code ft4j eval} compares new data with. */
    public static Map<String, Object> headline(ClassificationReport test, ClassificationReport validation) {
        Map<String, Object> m = new LinkedHashMap<>();
        if (test != null) m.put("test", headline(test));
        if (validation != null) m.put("validation", headline(validation));
        return m;
    }

    private static Map<String, Object> headline(ClassificationReport r) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("macro_f1", r.macro().f1());
        m.put("accuracy", r.accuracy());
        m.put("n", r.n());
        return m;
    }

    @SuppressWarnings("unchecked")
    public static String markdown(Recipe recipe, Map<String, Object> metrics, Map<String, Object> provenance) {
        Map<String, Object> test = (Map<String, Object>) metrics.get("test");
        Map<String, Object> validation = (Map<String, Object>) metrics.get("validation");
        Modality.Upstream catalogue = Modalities.forTask(recipe.task()).upstream(recipe.model());
        String dataset = recipe.data().train().getFileName().toString();

        Map<String, Object> front = new LinkedHashMap<>();
        front.put("license", catalogue == null ? "unknown" : catalogue.licence().toLowerCase(Locale.ROOT));
        front.put("base_model", catalogue == null ? recipe.model() : catalogue.id());
        front.put("library_name", "finetune4j");
        front.put("pipeline_tag", recipe.task());
        front.put("tags", List.of("finetune4j", recipe.task(), recipe.strategy().type().recipeName()));
        Map<String, Object> evaluated = test != null ? test : validation;
        if (evaluated != null) {
            List<Map<String, Object>> results = new ArrayList<>();
            List<Map<String, Object>> values = new ArrayList<>();
            values.add(metric("accuracy", "accuracy", evaluated.get("accuracy"), null));
            values.add(metric("f1", "macro F1", evaluated.get("macro_f1"), "macro"));
            values.add(metric("f1", "weighted F1", evaluated.get("weighted_f1"), "weighted"));
            Map<String, Object> result = new LinkedHashMap<>();
            result.put("task", Map.of("type", recipe.task()));
            Map<String, Object> set = new LinkedHashMap<>();
            set.put("name", dataset);
            set.put("type", dataset);
            set.put("split", test != null ? "test" : "validation");
            result.put("dataset", set);
            result.put("metrics", values);
            results.add(result);
            Map<String, Object> entry = new LinkedHashMap<>();
            entry.put("name", recipe.name());
            entry.put("results", results);
            front.put("model-index", List.of(entry));
        }

        StringBuilder md = new StringBuilder();
        md.append("---\n").append(yaml(front)).append("---\n\n");
        md.append("# ").append(recipe.name()).append("\n\n");
        md.append("aeiou".indexOf(recipe.task().charAt(0)) >= 0 ? "An " : "A ").append(recipe.task()).append(" model fine-tuned with finetune4j from `")
                .append(front.get("base_model")).append("` (").append(recipe.strategy().type().recipeName())
                .append(" fine-tuning) on `").append(dataset).append("`.\n\n");

        md.append("## Intended use\n\n");
        Map<String, Object> perClass = evaluated == null ? Map.of() : (Map<String, Object>) evaluated.get("per_class");
        md.append("Assigns one of ").append(perClass.size()).append(" labels (")
                .append(String.join(", ", perClass.keySet().stream().map(l -> "`" + l + "`").toList()))
                .append(") to inputs like those it was trained on. It has seen only the training data below:"
                        + " inputs from elsewhere (another source, period, language or population) may be classified"
                        + " worse than the test metrics say; measure it on labelled data of your own with"
                        + " `ft4j eval --model DIR --data FILE` before relying on it.\n\n");

        md.append("## Training data\n\n");
        Map<String, Object> data = (Map<String, Object>) metrics.get("data");
        for (String key : List.of("train", "validation", "test")) {
            Map<String, Object> file = data == null ? null : (Map<String, Object>) data.get(key);
            if (file == null) continue;
            md.append("- `data.").append(key).append("`: ").append(file.get("rows_in")).append(" rows read, ")
                    .append(file.get("rows_out")).append(" kept");
            List<String> dropped = new ArrayList<>();
            Map<String, Object> reasons = (Map<String, Object>) file.get("dropped");
            if (reasons != null) {
                for (Object r : reasons.values()) {
                    Map<String, Object> reason = (Map<String, Object>) r;
                    if (((Number) reason.get("count")).intValue() > 0) {
                        dropped.add(reason.get("count") + " " + reason.get("description"));
                    }
                }
            }
            md.append(dropped.isEmpty() ? "; cleaning dropped nothing" : "; cleaning dropped " + String.join(", ", dropped))
                    .append(".\n");
        }
        md.append("- splits: ").append(n(metrics, "test") == null ? "" : n(metrics, "test") + " test, ")
                .append(n(metrics, "validation") == null ? "" : n(metrics, "validation") + " validation examples")
                .append(recipe.data().test() == null ? " (split from data.train, stratified, seed " + recipe.seed() + ")"
                        : "").append(".\n\n");

        md.append("## Training procedure\n\nThe resolved recipe (every default filled in; `ft4j train` on it with the"
                + " same data reproduces the run):\n\n```yaml\n").append(yaml(recipe.resolved())).append("```\n\n");

        md.append("## Evaluation\n\n");
        if (evaluated != null) {
            md.append(test != null ? "On the held-out test split" : "On the validation split (there was no test split)")
                    .append(String.format(Locale.ROOT, " (%s examples): accuracy %.4f, macro F1 %.4f, weighted F1 %.4f.%n%n",
                            evaluated.get("n"), evaluated.get("accuracy"), evaluated.get("macro_f1"),
                            evaluated.get("weighted_f1")));
            md.append("| label | precision | recall | F1 | support |\n| --- | --- | --- | --- | --- |\n");
            for (var e : perClass.entrySet()) {
                Map<String, Object> c = (Map<String, Object>) e.getValue();
                md.append(String.format(Locale.ROOT, "| %s | %.4f | %.4f | %.4f | %s |%n", e.getKey(), c.get("precision"),
                        c.get("recall"), c.get("f1"), c.get("support")));
            }
            md.append('\n');
        }
        Map<String, Object> slices = (Map<String, Object>) metrics.get("slices");
        if (slices != null) {
            for (var e : slices.entrySet()) {
                Map<String, Object> slice = (Map<String, Object>) e.getValue();
                md.append("By `").append(e.getKey()).append("`:\n\n| value | n | accuracy | macro F1 |\n| --- | --- | --- | --- |\n");
                for (Object g : (List<Object>) slice.get("groups")) {
                    Map<String, Object> group = (Map<String, Object>) g;
                    md.append(String.format(Locale.ROOT, "| %s | %s | %.4f | %.4f |%n", group.get("value"), group.get("n"),
                            group.get("accuracy"), group.get("macro_f1")));
                }
                md.append(slice.get("macro_f1_gap") == null ? "\nToo few groups of at least " + slice.get("min_group_for_gap")
                        + " examples to measure a gap.\n\n"
                        : String.format(Locale.ROOT, "%nGap between the best (`%s`) and the worst (`%s`) group: macro F1"
                                + " %.4f, accuracy %.4f.%n%n", slice.get("best"), slice.get("worst"),
                                slice.get("macro_f1_gap"), slice.get("accuracy_gap")));
            }
        }
        Map<String, Object> calibration = (Map<String, Object>) metrics.get("calibration");
        if (calibration != null) {
            md.append("## Calibration\n\n");
            md.append(String.format(Locale.ROOT, "Probabilities are divided by a temperature of %.3f fitted on validation"
                    + " (temperature scaling), which every `ft4j predict`, `eval` and `serve` of this directory applies.",
                    calibration.get("temperature")));
            Map<String, Object> t = (Map<String, Object>) calibration.get("test");
            if (t != null) {
                md.append(String.format(Locale.ROOT, " Expected calibration error on test: %.4f before, %.4f after.",
                        t.get("ece_before"), t.get("ece_after")));
            }
            if (calibration.get("threshold") != null) {
                md.append(String.format(Locale.ROOT, " Decision threshold: `%s` when its probability is at least %.3f"
                        + " (tuned on validation for %s).", calibration.get("positive_label"), calibration.get("threshold"),
                        calibration.get("threshold_metric")));
            }
            md.append("\n\n");
        }

        md.append("## Limitations\n\n");
        List<String> limits = new ArrayList<>();
        Map<String, Object> diagnostics = (Map<String, Object>) metrics.get("diagnostics");
        if (diagnostics != null) {
            for (Object f : (List<Object>) diagnostics.get("findings")) limits.add(String.valueOf(((Map<String, Object>) f).get("message")));
        }
        limits.add("The metrics above are from " + (evaluated == null ? "no" : evaluated.get("n")) + " held-out examples"
                + " drawn from the same data as the training set; they say nothing about other data.");
        Map<String, Object> truncated = data == null ? null : (Map<String, Object>) data.get("truncated_to_max_length");
        if (truncated != null && truncated.get("train") instanceof Number count && count.intValue() > 0) {
            limits.add(count + " training inputs were longer than the model reads and were truncated; so will inputs"
                    + " at prediction time be.");
        }
        for (String l : limits) md.append("- ").append(l).append('\n');
        md.append('\n');

        md.append("## Provenance\n\n```yaml\n").append(yaml(provenance)).append("```\n");
        return md.toString();
    }

    @SuppressWarnings("unchecked")
    private static Object n(Map<String, Object> metrics, String split) {
        Map<String, Object> m = (Map<String, Object>) metrics.get(split);
        return m == null ? null : m.get("n");
    }

    private static Map<String, Object> metric(String type, String name, Object value, String average) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("type", type);
        m.put("name", name);
        m.put("value", value);
        if (average != null) m.put("args", Map.of("average", average));
        return m;
    }

    private static String yaml(Object o) {
        try {
            return YAML.writeValueAsString(o);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
