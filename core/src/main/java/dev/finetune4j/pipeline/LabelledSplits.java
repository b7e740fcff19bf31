package dev.finetune4j.pipeline;

import dev.finetune4j.UserError;
import dev.finetune4j.data.CleanResult;
import dev.finetune4j.data.Example;
import dev.finetune4j.data.LabelSet;
import dev.finetune4j.data.Split;
import dev.finetune4j.data.StratifiedSplit;
import dev.finetune4j.recipe.DataConfig;
import dev.finetune4j.recipe.Recipe;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * A run's examples: the recipe's files read and cleaned by the modality, and split stratified by
 * label where the recipe gives no validation or test file. Labels are those of the training file.
 */
public record LabelledSplits(List<Example> train, List<Example> validation, List<Example> test, LabelSet labels) {
    /** Reads, cleans and splits; each file's cleaning report goes into {@code report} under its key. */
    public static LabelledSplits read(Recipe recipe, Modality<?> modality, Map<String, Object> report, PrintStream log) {
        return read(recipe, modality, report, log, List.of());
    }

    /** As {@link #read(Recipe, Modality, Map, PrintStream)}, the labels after {@code priorLabels} (a model's, kept in its order). */
    public static LabelledSplits read(Recipe recipe, Modality<?> modality, Map<String, Object> report, PrintStream log,
            List<String> priorLabels) {
        DataConfig dc = recipe.data();
        List<Example> trainFile = clean(recipe, modality, dc.train(), "data.train", report, log);
        List<Example> validationFile = dc.validation() == null ? null
                : clean(recipe, modality, dc.validation(), "data.validation", report, log);
        List<Example> testFile = dc.test() == null ? null : clean(recipe, modality, dc.test(), "data.test", report, log);
        LabelSet labels = LabelSet.extending(priorLabels, trainFile);
        labels.requireAtLeastTwo("data.train " + dc.train());
        Split split = StratifiedSplit.split(trainFile, validationFile == null ? dc.validationFraction() : 0,
                testFile == null ? dc.testFraction() : 0, recipe.seed());
        if (validationFile != null) labels.requireKnown(validationFile, "data.validation " + dc.validation());
        if (testFile != null) labels.requireKnown(testFile, "data.test " + dc.test());
        LabelledSplits s = new LabelledSplits(split.train(), validationFile != null ? validationFile : split.validation(),
                testFile != null ? testFile : split.test(), labels);
        log.printf("data: %d train, %d validation, %d test examples; labels %s%n", s.train().size(),
                s.validation().size(), s.test().size(), labels.counts());
        return s;
    }

    /** Class indices of {@code examples} in {@link #labels}. */
    public int[] indices(List<Example> examples) {
        int[] y = new int[examples.size()];
        for (int i = 0; i < y.length; i++) y[i] = labels.index(examples.get(i).label());
        return y;
    }

    private static List<Example> clean(Recipe recipe, Modality<?> modality, Path file, String key,
            Map<String, Object> report, PrintStream log) {
        CleanResult clean = modality.read(recipe, file, key);
        if (clean.report().dropped() > 0) {
            log.printf("cleaning %s (%s):%n%s%n", key, file.getFileName(), clean.report().toText());
        }
        if (clean.examples().isEmpty()) {
            throw new UserError(file + ": no usable rows left after cleaning (" + clean.report().rowsIn() + " read) — "
                    + modality.whenNothingIsLeft());
        }
        report.put(key.substring("data.".length()), clean.report().toMap());
        return clean.examples();
    }
}
