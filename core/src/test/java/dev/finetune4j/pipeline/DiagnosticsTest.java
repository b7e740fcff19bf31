package dev.finetune4j.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import dev.finetune4j.eval.Bootstrap;
import dev.finetune4j.eval.ClassificationMetrics;
import dev.finetune4j.eval.ClassificationReport;
import dev.finetune4j.eval.Metric;
import dev.finetune4j.recipe.Recipe;
import dev.finetune4j.recipe.RecipeLoader;
import dev.finetune4j.train.TrainingListener.Evaluation;
import dev.finetune4j.train.TrainingResult;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Each diagnostic on a run built to trigger it, and silent on one that should not. */
class DiagnosticsTest {
    static final List<String> LABELS = List.of("a", "b", "c");

    @TempDir
    Path dir;

    private Recipe recipe(String... lines) throws IOException {
        Files.writeString(dir.resolve("train.jsonl"), "{\"text\": \"hi\", \"label\": \"a\"}\n");
        Files.writeString(dir.resolve("r.yaml"), "name: r\nmodel: m\ndata:\n  train: train.jsonl\n" + String.join("\n", lines)
                + "\n");
        return RecipeLoader.load(dir.resolve("r.yaml"));
    }

    /** gold: 10 of each class; predicted: as given per class (the rest predicted 'a'). */
    private static ClassificationReport report(int correctB, int correctC, Double loss) {
        List<Integer> gold = new ArrayList<>(), predicted = new ArrayList<>();
        for (int c = 0; c < 3; c++) {
            for (int i = 0; i < 10; i++) {
                gold.add(c);
                predicted.add(c == 0 || (c == 1 && i < correctB) || (c == 2 && i < correctC) ? c : 0);
            }
        }
        ClassificationReport r = ClassificationMetrics.compute(gold.stream().mapToInt(Integer::intValue).toArray(),
                predicted.stream().mapToInt(Integer::intValue).toArray(), LABELS);
        return new ClassificationReport(r.labels(), r.accuracy(), r.perClass(), r.macro(), r.weighted(),
                r.confusionMatrix(), null, loss, r.n());
    }

    private static TrainingResult result(boolean stoppedEarly, List<Double> trainLoss, Evaluation... evaluations) {
        return new TrainingResult(100, evaluations.length, 100, 0.9, stoppedEarly, 10, 100, List.of(evaluations),
                trainLoss, List.of(1.0, 1.0, 1.0, 1.0), List.of(), 0, 1);
    }

    private static Evaluation eval(int epoch, double metric, boolean improved, double loss) {
        return new Evaluation(25L * (epoch + 1), epoch, report(10, 10, loss), "macro_f1", metric, improved, false);
    }

    @Test
    void stillImprovingAtTheEndSaysHowManyEpochsToSet() throws IOException {
        Recipe r = recipe("train:", "  epochs: 4");
        TrainingResult rising = result(false, List.of(0.9, 0.6, 0.4, 0.3), eval(0, 0.5, true, 0.9), eval(1, 0.6, true, 0.8),
                eval(2, 0.7, true, 0.7), eval(3, 0.8, true, 0.6));

        assertThat(Diagnostics.stillImproving(r.train(), rising)).get().extracting(Diagnostics.Finding::message)
                .asString().contains("validation macro_f1 was still improving").contains("0.7000 -> 0.8000")
                .contains("set train.epochs to 6");
        TrainingResult flat = result(false, List.of(0.9, 0.6), eval(0, 0.5, true, 0.9), eval(1, 0.5, false, 0.8));
        assertThat(Diagnostics.stillImproving(r.train(), flat)).isEmpty();
    }

    @Test
    void validationLossRisingWhileTrainingLossFallsIsOverfitting() {
        TrainingResult over = result(false, List.of(0.9, 0.5, 0.2, 0.05), eval(0, 0.8, true, 0.40),
                eval(1, 0.8, false, 0.30), eval(2, 0.8, false, 0.38), eval(3, 0.8, false, 0.50));
        assertThat(Diagnostics.overfitting(over)).get().extracting(Diagnostics.Finding::message).asString()
                .startsWith("overfitting from epoch 2: validation loss rose from 0.3000 to 0.5000");

        TrainingResult fine = result(false, List.of(0.9, 0.5, 0.2, 0.05), eval(0, 0.8, true, 0.40),
                eval(1, 0.8, false, 0.30), eval(2, 0.8, false, 0.31), eval(3, 0.8, false, 0.32));
        assertThat(Diagnostics.overfitting(fine)).isEmpty();
    }

    @Test
    void aClassNeverOrRarelyPredictedIsNamedWithTheKeyToSet() throws IOException {
        Recipe r = recipe();
        List<Diagnostics.Finding> found = Diagnostics.rarelyPredicted("validation", report(0, 2, null), r.train());

        assertThat(found).extracting(Diagnostics.Finding::kind).containsExactly("class_never_predicted",
                "class_rarely_predicted");
        assertThat(found.get(0).message()).isEqualTo("validation: class 'b' was never predicted (10 examples, predicted"
                + " 0 times): set train.class_weights: auto (or train.sampler: balanced)");
        assertThat(Diagnostics.rarelyPredicted("validation", report(9, 8, null), r.train())).isEmpty();
    }

    @Test
    void aSmallValidationSetHasAWideInterval() {
        Bootstrap.Interval small = Bootstrap.interval(report(7, 6, null), Metric.MACRO_F1, 1);
        assertThat(small.low()).isLessThan(small.value());
        assertThat(small.high()).isGreaterThan(small.value());
        assertThat(Diagnostics.tooSmall(small)).get().extracting(Diagnostics.Finding::message).asString()
                .startsWith("validation has 30 examples: macro_f1");
    }
}
