package dev.finetune4j.pipeline;

import dev.finetune4j.eval.Bootstrap;
import dev.finetune4j.eval.ClassificationReport;
import dev.finetune4j.eval.Metric;
import dev.finetune4j.recipe.ClassWeights;
import dev.finetune4j.recipe.Recipe;
import dev.finetune4j.recipe.TrainConfig;
import dev.finetune4j.train.Sampler;
import dev.finetune4j.train.TrainingListener.Evaluation;
import dev.finetune4j.train.TrainingResult;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * What a finished run should tell its user, in words with the key to change: the validation metric
 * still rising at the end, a class never or rarely predicted, validation loss rising while training
 * loss falls, and a validation set too small to tell settings apart.
 */
public final class Diagnostics {
    /** One thing worth knowing; {@code kind} is stable, for tools. */
    public record Finding(String kind, String message) {}

    /** A class predicted for fewer than this share of its examples is "rarely" predicted. */
    static final double RARELY = 0.25;
    /** Validation loss this much above its lowest, two or more evaluations later, while training loss fell. */
    static final double LOSS_RISE = 1.10;
    /** A 95 % interval wider than this either side of the validation metric makes the set "too small". */
    static final double WIDE = 0.02;

    private Diagnostics() {}

    /** Every finding of a run, in the order a user should read them. */
    public static List<Finding> of(Recipe recipe, TrainingResult result, ClassificationReport validation,
            ClassificationReport test, Bootstrap.Interval validationInterval) {
        List<Finding> out = new ArrayList<>();
        stillImproving(recipe.train(), result).ifPresent(out::add);
        overfitting(result).ifPresent(out::add);
        if (validation != null) out.addAll(rarelyPredicted("validation", validation, recipe.train()));
        if (test != null) out.addAll(rarelyPredicted("test", test, recipe.train()));
        if (validationInterval != null) tooSmall(validationInterval).ifPresent(out::add);
        return out;
    }

    /** The last evaluation was the best so far: training stopped while the model still improved. */
    static Optional<Finding> stillImproving(TrainConfig tc, TrainingResult result) {
        List<Evaluation> evaluations = result.evaluations();
        if (evaluations.size() < 2 || result.stoppedEarly()) return Optional.empty();
        Evaluation last = evaluations.get(evaluations.size() - 1);
        Evaluation before = evaluations.get(evaluations.size() - 2);
        if (!last.improved()) return Optional.empty();
        String advice;
        if (tc.maxSteps() != null && result.steps() >= tc.maxSteps()) {
            advice = "set train.max_steps to " + Math.round(tc.maxSteps() * 1.5);
        } else {
            int epochs = result.epochsStarted();
            advice = "set train.epochs to " + (epochs + Math.max(2, epochs / 2));
        }
        String how = last.metric() == before.metric()
                ? String.format(Locale.ROOT, "%.4f held and the validation loss fell at the last evaluation", last.metric())
                : String.format(Locale.ROOT, "%.4f -> %.4f at the last evaluation", before.metric(), last.metric());
        return Optional.of(new Finding("still_improving", String.format(Locale.ROOT,
                "validation %s was still improving when training ended (%s, step %d): train longer: %s",
                last.metricName(), how, last.step(), advice)));
    }

    /**
     * Validation loss rose well above its lowest, two or more evaluations after it, while the
     * training loss kept falling.
     */
    static Optional<Finding> overfitting(TrainingResult result) {
        List<Evaluation> evaluations = result.evaluations();
        int lowest = -1;
        for (int i = 0; i < evaluations.size(); i++) {
            Double loss = evaluations.get(i).report().loss();
            if (loss == null) return Optional.empty();
            if (lowest < 0 || loss < evaluations.get(lowest).report().loss()) lowest = i;
        }
        if (lowest < 0 || evaluations.size() - 1 - lowest < 2) return Optional.empty();
        Evaluation best = evaluations.get(lowest);
        Evaluation last = evaluations.get(evaluations.size() - 1);
        List<Double> trainLoss = result.epochLosses();
        if (last.report().loss() < LOSS_RISE * best.report().loss() || trainLoss.size() <= best.epoch()
                || trainLoss.get(trainLoss.size() - 1) >= trainLoss.get(best.epoch())) {
            return Optional.empty();
        }
        return Optional.of(new Finding("overfitting", String.format(Locale.ROOT,
                "overfitting from epoch %d: validation loss rose from %.4f to %.4f while training loss fell from %.4f"
                        + " to %.4f; fewer epochs, a lower train.learning_rate, more train.weight_decay or head.dropout,"
                        + " or more data would help", best.epoch() + 1, best.report().loss(), last.report().loss(),
                trainLoss.get(best.epoch()), trainLoss.get(trainLoss.size() - 1))));
    }

    /** Classes with examples in {@code report} that the model predicted never, or for under a quarter of them. */
    static List<Finding> rarelyPredicted(String split, ClassificationReport report, TrainConfig tc) {
        List<Finding> out = new ArrayList<>();
        int[][] cm = report.confusionMatrix();
        for (int c = 0; c < cm.length; c++) {
            int support = 0, predicted = 0;
            for (int j = 0; j < cm.length; j++) {
                support += cm[c][j];
                predicted += cm[j][c];
            }
            if (support == 0 || predicted >= RARELY * support) continue;
            boolean weighted = tc.classWeights() == ClassWeights.AUTO || tc.sampler() == Sampler.BALANCED;
            out.add(new Finding(predicted == 0 ? "class_never_predicted" : "class_rarely_predicted", String.format(
                    Locale.ROOT, "%s: class '%s' was %s (%d examples, predicted %d times): %s", split,
                    report.labels().get(c), predicted == 0 ? "never predicted" : "rarely predicted", support, predicted,
                    weighted ? "it needs more training examples, or more epochs"
                            : "set train.class_weights: auto (or train.sampler: balanced)")));
        }
        return out;
    }

    /** The validation metric's interval is so wide that settings scoring within it cannot be told apart. */
    static Optional<Finding> tooSmall(Bootstrap.Interval interval) {
        if (interval.halfWidth() <= WIDE) return Optional.empty();
        return Optional.of(new Finding("validation_too_small", String.format(Locale.ROOT,
                "validation has %d examples: %s %.4f, 95%% interval %.4f to %.4f; settings or strategies whose"
                        + " validation %s differs by less than about %.2f cannot be told apart on it (a larger"
                        + " data.validation_fraction or data.validation file narrows it)", interval.n(), interval.metric(),
                interval.value(), interval.low(), interval.high(), interval.metric(), interval.high() - interval.low())));
    }

    /** The interval of the metric early stopping watches (macro F1 when that is the loss). */
    static Bootstrap.Interval validationInterval(Recipe recipe, ClassificationReport validation) {
        if (validation == null) return null;
        Metric metric = recipe.train().earlyStopping() == null ? Metric.MACRO_F1
                : Metric.parse(recipe.train().earlyStopping().metric());
        if (metric == Metric.LOSS || metric == Metric.ROC_AUC) metric = Metric.MACRO_F1;
        return Bootstrap.interval(validation, metric, recipe.seed());
    }

    static Map<String, Object> intervalMap(Bootstrap.Interval interval) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("metric", interval.metric());
        m.put("value", interval.value());
        m.put("low", interval.low());
        m.put("high", interval.high());
        m.put("level", interval.level());
        m.put("n", interval.n());
        m.put("resamples", interval.resamples());
        m.put("method", "percentile bootstrap over the validation examples");
        return m;
    }
}
