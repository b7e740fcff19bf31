package dev.finetune4j.pipeline;

import dev.finetune4j.UserError;
import dev.finetune4j.data.Example;
import dev.finetune4j.eval.ClassificationMetrics;
import dev.finetune4j.eval.ClassificationReport;
import dev.finetune4j.recipe.Recipe;
import dev.finetune4j.recipe.RecipeLoader;
import dev.finetune4j.track.Provenance;
import dev.finetune4j.util.AtomicFiles;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;

/**
 * Fine-tuning an ft4j export again on new data. The export's recipe (stored with it) and the hash of
 * its training file give back its old training and test splits, drawn as they were: a share of the
 * old training examples is mixed into the new training split ({@code train.rehearsal}), and the old
 * test split is scored before (by the export as it was) and after (by the new model), which measures
 * what the new fine-tune forgot.
 *
 * @param oldTrain the old training split, or null when the old data cannot be found as it was
 * @param oldTest the old test split, or null likewise
 * @param note why the old data is not used, or null
 */
record Continual(PreviousExport previous, List<Example> oldTrain, List<Example> oldTest, String note) {

    /** The old splits of {@code previous}, read as its run read them; refuses rehearsal without them. */
    /** @param outputDir where the previous recipe is written ({@code previous-recipe.yaml}) to be read back */
    static Continual of(PreviousExport previous, Modality<?> modality, double rehearsal, Path outputDir) {
        String note = null;
        LabelledSplits old = null;
        if (previous.recipe() == null) {
            note = "the export records no recipe (exported before continual fine-tuning was supported)";
        } else {
            Path file = outputDir.resolve("previous-recipe.yaml");
            AtomicFiles.writeString(file, RecipeLoader.toYaml(AtomicFiles.JSON.convertValue(previous.recipe(), Map.class)));
            Recipe recipe = RecipeLoader.load(file);
            Path train = recipe.data().train();
            if (!Files.isRegularFile(train) && !Files.isDirectory(train)) {
                note = "its training data " + train + " is gone";
            } else if (previous.trainSha256() != null && !previous.trainSha256().equals(sha256(train))) {
                note = "its training data " + train + " changed since (SHA-256 differs)";
            } else {
                old = LabelledSplits.read(recipe, modality, new HashMap<>(), new PrintStream(OutputStream.nullOutputStream()),
                        previous.labels());
            }
        }
        if (old == null && rehearsal > 0) {
            throw new UserError("train.rehearsal " + rehearsal + " mixes in the old training data of " + previous.dir()
                    + ", but " + note + ": restore it, or set train.rehearsal: 0");
        }
        return old == null ? new Continual(previous, null, null, note)
                : new Continual(previous, old.train(), old.test().isEmpty() ? null : old.test(), null);
    }

    /** {@code data} with {@code share} of the old training examples (drawn with {@code seed}) added to its training split. */
    LabelledSplits withRehearsal(LabelledSplits data, double share, long seed, PrintStream log) {
        if (share <= 0 || oldTrain == null) return data;
        List<Example> pool = new ArrayList<>(oldTrain);
        Collections.shuffle(pool, new Random(seed));
        List<Example> mixed = new ArrayList<>(data.train());
        List<Example> drawn = pool.subList(0, (int) Math.round(share * pool.size()));
        mixed.addAll(drawn);
        Collections.shuffle(mixed, new Random(seed + 1));
        log.printf("rehearsal: %d of the %d old training examples (train.rehearsal %s) join the %d new ones%n",
                drawn.size(), oldTrain.size(), share, data.train().size());
        return new LabelledSplits(mixed, data.validation(), data.test(), data.labels());
    }

    int rehearsed(double share) {
        return oldTrain == null || share <= 0 ? 0 : (int) Math.round(share * oldTrain.size());
    }

    /** The old test split scored by the export as it was: predict, eval and serve's view of it. */
    Predictor.Scored before() {
        try (Predictor p = Modalities.load(previous.dir())) {
            return p.score(oldTest, "the old test split of " + previous.dir());
        }
    }

    /**
     * metrics.json's {@code continual} section. Metrics over the old test split count only the old
     * labels (its gold has no others), so before and after compare alike.
     */
    Map<String, Object> report(List<String> labels, double share, Predictor.Scored before, int[] afterPredicted,
            float[][] afterProbabilities, PrintStream log) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("previous_model", previous.dir().toString());
        m.put("labels_kept", previous.labels());
        m.put("labels_added", labels.stream().filter(l -> !previous.labels().contains(l)).toList());
        m.put("rehearsal", Map.of("share", share, "examples", rehearsed(share)));
        if (before == null) {
            m.put("old_test", null);
            m.put("note", note == null ? "the old run had no test split" : note + ": forgetting is not measured");
            log.println("forgetting: not measured: " + m.get("note"));
            return m;
        }
        Map<String, Object> oldTestMap = new LinkedHashMap<>();
        int[] gold = new int[oldTest.size()];
        for (int i = 0; i < gold.length; i++) gold[i] = labels.indexOf(oldTest.get(i).label());
        Map<String, Object> b = oldLabelMetrics(before.report(), previous.labels().size());
        Map<String, Object> a = oldLabelMetrics(ClassificationMetrics.compute(gold, afterPredicted, afterProbabilities,
                labels), previous.labels().size());
        oldTestMap.put("n", gold.length);
        oldTestMap.put("before", b);
        oldTestMap.put("after", a);
        Map<String, Object> forgetting = new LinkedHashMap<>();
        forgetting.put("macro_f1", (double) b.get("macro_f1") - (double) a.get("macro_f1"));
        forgetting.put("accuracy", (double) b.get("accuracy") - (double) a.get("accuracy"));
        oldTestMap.put("forgetting", forgetting);
        m.put("old_test", oldTestMap);
        log.printf(Locale.ROOT, "forgetting: on the old test split (%d examples) macro_f1 %.4f before, %.4f after (%+.4f);"
                + " accuracy %.4f before, %.4f after%n", gold.length, b.get("macro_f1"), a.get("macro_f1"),
                (double) a.get("macro_f1") - (double) b.get("macro_f1"), b.get("accuracy"), a.get("accuracy"));
        return m;
    }

    /** Accuracy, and macro F1 over the first {@code oldLabels} classes. */
    private static Map<String, Object> oldLabelMetrics(ClassificationReport r, int oldLabels) {
        double f1 = 0;
        for (int c = 0; c < oldLabels; c++) f1 += r.perClass().get(c).f1();
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("accuracy", r.accuracy());
        m.put("macro_f1", f1 / oldLabels);
        return m;
    }

    private static String sha256(Path file) {
        try {
            return Provenance.sha256(file);
        } catch (java.io.UncheckedIOException e) {
            throw new UserError("cannot read " + file + ": " + e.getCause().getMessage(), e);
        }
    }
}
