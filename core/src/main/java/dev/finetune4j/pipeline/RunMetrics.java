package dev.finetune4j.pipeline;

import dev.finetune4j.adapt.FeatureExtraction;
import dev.finetune4j.eval.ClassificationReport;
import dev.finetune4j.recipe.Recipe;
import dev.finetune4j.recipe.TrainConfig;
import dev.finetune4j.train.TrainingListener;
import dev.finetune4j.train.TrainingResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The sections of {@code metrics.json} that describe training, and a run's record in the run store. */
final class RunMetrics {
    private RunMetrics() {}

    /**
     * @param trainable parameters that trained (the most at any stage of gradual unfreezing)
     * @param total parameters of the model while it trained (with LoRA adapters)
     */
    static Map<String, Object> train(Recipe recipe, TrainingResult r, long trainable, long total) {
        TrainConfig tc = recipe.train();
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("strategy", recipe.resolved().get("strategy"));
        Map<String, Object> reg = new LinkedHashMap<>();
        reg.put("weight_decay", tc.weightDecay());
        reg.put("l2", tc.l2());
        reg.put("l1", tc.l1());
        reg.put("l2_sp", tc.l2Sp());
        reg.put("layerwise_lr_decay", tc.layerwiseLrDecay());
        reg.put("class_weights", tc.classWeights().recipeName());
        reg.put("sampler", tc.sampler().recipeName());
        m.put("regularization", reg);
        m.put("optimizer", tc.optimizer().recipeName());
        m.put("effective_batch_size", tc.effectiveBatchSize());
        m.put("epochs", r.epochsStarted());
        m.put("steps", r.steps());
        m.put("examples_per_second", r.examplesPerSecond());
        m.put("seconds", r.trainSeconds());
        m.put("stopped_early", r.stoppedEarly());
        m.put("skipped_non_finite_steps", r.skippedSteps());
        m.put("best_step", r.bestStep());
        m.put("best_validation_metric", Double.isNaN(r.bestMetric()) ? null : r.bestMetric());
        m.put("early_stopping_metric", tc.earlyStopping() == null ? null : tc.earlyStopping().metric());
        m.put("epoch_train_loss", r.epochLosses());
        List<Map<String, Object>> history = new ArrayList<>();
        for (TrainingListener.Evaluation e : r.evaluations()) {
            Map<String, Object> h = new LinkedHashMap<>();
            h.put("step", e.step());
            h.put("epoch", e.epoch() + 1);
            h.put("metric", e.metric());
            h.put("loss", e.report().loss());
            h.put("accuracy", e.report().accuracy());
            h.put("macro_f1", e.report().macro().f1());
            history.add(h);
        }
        m.put("validation_history", history);
        if (!r.unfreezes().isEmpty()) {
            List<Map<String, Object>> stages = new ArrayList<>();
            for (TrainingListener.Unfreeze u : r.unfreezes()) {
                stages.add(Map.of("stage", u.stage(), "from_step", u.step() + 1, "epoch", u.epoch() + 1,
                        "trainable_parameters", u.trainableParameters()));
            }
            m.put("unfreezing", stages);
        }
        m.put("trainable_parameters", trainable);
        m.put("total_parameters", total);
        return m;
    }

    /**
     * What caching the body's outputs saved: the first epoch pays for the body (over train and
     * validation) and the head; every later epoch only for the head.
     */
    static Map<String, Object> featureCache(FeatureExtraction.Features train, FeatureExtraction.Features validation,
            double extractSeconds, TrainingResult result) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("store", train.store());
        m.put("megabytes", (train.bytes() + validation.bytes()) / 1e6);
        m.put("extract_seconds", extractSeconds);
        List<Double> epochs = result.epochSeconds();
        double first = extractSeconds + (epochs.isEmpty() ? 0 : epochs.get(0));
        m.put("first_epoch_seconds", first);
        if (epochs.size() > 1) {
            double later = epochs.subList(1, epochs.size()).stream().mapToDouble(Double::doubleValue).average().orElseThrow();
            m.put("later_epoch_seconds_mean", later);
            m.put("speedup", first / later);
        } else {
            m.put("later_epoch_seconds_mean", null);
            m.put("speedup", null);
        }
        return m;
    }

    /** The run's headline numbers for the run store (what `ft4j runs` lists and sorts by). */
    static Map<String, Object> storeSummary(FineTune.Outcome o) {
        Map<String, Object> m = new LinkedHashMap<>();
        putSplit(m, "test", o.test());
        putSplit(m, "validation", o.validation());
        m.put("train.steps", o.training().steps());
        m.put("train.seconds", o.training().trainSeconds());
        m.put("train.examples_per_second", o.training().examplesPerSecond());
        @SuppressWarnings("unchecked")
        Map<String, Object> resources = (Map<String, Object>) o.metrics().get("resources");
        if (resources != null) m.put("peak_rss_mb", resources.get("peak_rss_mb"));
        return m;
    }

    private static void putSplit(Map<String, Object> summary, String split, ClassificationReport r) {
        if (r == null) return;
        summary.put(split + ".accuracy", r.accuracy());
        summary.put(split + ".macro_f1", r.macro().f1());
        summary.put(split + ".weighted_f1", r.weighted().f1());
        summary.put(split + ".loss", r.loss());
    }

    static Map<String, Object> artifacts(Path outputDir) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (String name : List.of("metrics.json", "run.json", "model", "report/report.html", "test_predictions.jsonl",
                "adapter.safetensors")) {
            Path p = outputDir.resolve(name);
            if (Files.exists(p)) m.put(name, p.toAbsolutePath().normalize().toString());
        }
        return m;
    }
}
