package dev.finetune4j.pipeline;

import ai.djl.ndarray.NDManager;
import dev.finetune4j.TensorRuntime;
import dev.finetune4j.UserError;
import dev.finetune4j.adapt.FeatureExtraction;
import dev.finetune4j.adapt.Freezing;
import dev.finetune4j.adapt.Lora;
import dev.finetune4j.data.Example;
import dev.finetune4j.data.LabelSet;
import dev.finetune4j.data.TabularReader;
import dev.finetune4j.eval.Bootstrap;
import dev.finetune4j.eval.Calibration;
import dev.finetune4j.eval.Metric;
import dev.finetune4j.eval.Slices;
import dev.finetune4j.eval.ClassificationMetrics;
import dev.finetune4j.eval.ClassificationReport;
import dev.finetune4j.model.Classifier;
import dev.finetune4j.model.io.ResolvedModelFiles;
import dev.finetune4j.model.io.SafeTensors;
import dev.finetune4j.recipe.ClassWeights;
import dev.finetune4j.recipe.EarlyStopping;
import dev.finetune4j.recipe.Recipe;
import dev.finetune4j.recipe.Strategy;
import dev.finetune4j.recipe.StrategyConfig;
import dev.finetune4j.recipe.TrainConfig;
import dev.finetune4j.track.Provenance;
import dev.finetune4j.track.Reproducibility;
import dev.finetune4j.track.RunRecorder;
import dev.finetune4j.track.RunReport;
import dev.finetune4j.track.RunStore.NewRun;
import dev.finetune4j.track.RunStore;
import dev.finetune4j.train.Checkpoints;
import dev.finetune4j.train.Evaluator;
import dev.finetune4j.train.LabelledInputs;
import dev.finetune4j.train.StopTraining;
import dev.finetune4j.train.Trainer;
import dev.finetune4j.train.TrainingListener;
import dev.finetune4j.train.TrainingResult;
import dev.finetune4j.util.AtomicFiles;
import dev.finetune4j.util.ProcessMemory;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code ft4j train}, for every modality: read and clean the data, split it, build the pre-trained
 * body with a new head, adapt it with the recipe's strategy, evaluate on held-out data, export.
 * The recipe's {@code task} chooses the {@link Modality}; nothing here knows which one it is.
 *
 * <p>Writes into the output directory: {@code metrics.json}, {@code run.json} (resolved recipe and
 * provenance), {@code model/} (the modality's export) and {@code report/} (plots and an HTML page);
 * with {@link #trackIn} also a record in the run store.
 */
public final class FineTune {
    /** What a run produced. */
    public record Outcome(Path outputDir, ClassificationReport test, ClassificationReport validation,
            TrainingResult training, Map<String, Object> metrics) {}

    /** Largest change of a class probability that merging adapters may cause before the export is refused. */
    static final double MERGE_TOLERANCE = 1e-4;

    /** The recipe as given, then, once data and model are read, with the settings the run chose. */
    private Recipe recipe;
    private final PrintStream log;

    private boolean isTrial;
    /** A trial that is still tested and exported: ft4j auto keeps its trials' models instead of retraining the best. */
    private boolean keepModel;
    private Path featureCacheDir;
    private RunStore runStore;
    private String study;
    private Integer trial;

    public FineTune(Recipe recipe, PrintStream log) {
        this.recipe = recipe;
        this.log = log;
    }

    /**
     * For tuning trials: no test evaluation and no model export (only the chosen trial gets them),
     * no checkpoints (an interrupted trial is retried from its start), and feature-extraction
     * features shared through files in {@code featureCacheDir} (null: none).
     */
    public FineTune forTrial(Path featureCacheDir) {
        this.isTrial = true;
        this.featureCacheDir = featureCacheDir;
        return this;
    }

    /** As {@link #forTrial(Path)}, but the trial is tested and its model exported as a run's are. */
    public FineTune forTrialKeepingModel(Path featureCacheDir) {
        forTrial(featureCacheDir);
        this.keepModel = true;
        return this;
    }

    /**
     * Records the run in {@code store} (status, recipe, provenance, metrics as it trains, summary
     * and artifacts); {@code study}/{@code trial}: the study directory and trial number, or null.
     */
    public FineTune trackIn(RunStore store, String study, Integer trial) {
        this.runStore = store;
        this.study = study;
        this.trial = trial;
        return this;
    }

    public Outcome run(Path outputDir, TrainingListener listener) {
        return run(outputDir, listener, false);
    }

    /**
     * Runs the recipe into {@code outputDir}. {@code resume}: continue from the newest good
     * checkpoint in {@code outputDir/checkpoints} (or start afresh when there is none). Without it,
     * checkpoints left there by an interrupted run are a user error rather than silently replaced.
     */
    public Outcome run(Path outputDir, TrainingListener listener, boolean resume) {
        String runId = null;
        if (runStore != null) {
            NewRun run = new NewRun(recipe.name(), trial == null ? "train" : "trial", outputDir, recipe.resolved(), study,
                    trial);
            runId = resume ? runStore.reopen(outputDir).orElseGet(() -> runStore.start(run)) : runStore.start(run);
        }
        RunRecorder recorder = new RunRecorder(runStore, runId);
        try {
            Outcome o = train(Modalities.forTask(recipe.task()), outputDir, TrainingListener.both(recorder, listener),
                    resume, recorder);
            recorder.flush();
            if (runStore != null) {
                runStore.finish(runId, RunStore.Status.FINISHED, RunMetrics.storeSummary(o), RunMetrics.artifacts(outputDir),
                        null);
            }
            return o;
        } catch (RuntimeException | Error e) {
            if (runStore != null) {
                try {
                    recorder.flush();
                    runStore.finish(runId, e instanceof StopTraining ? RunStore.Status.PRUNED : RunStore.Status.FAILED,
                            null, null, e.getMessage() == null ? e.toString() : e.getMessage());
                } catch (RuntimeException recordingFailed) {
                    e.addSuppressed(recordingFailed);
                }
            }
            throw e;
        }
    }

    private <B> Outcome train(Modality<B> modality, Path outputDir, TrainingListener listener, boolean resume,
            RunRecorder recorder) {
        long started = System.currentTimeMillis();
        TensorRuntime.start(recipe.train().threads() == null ? 0 : recipe.train().threads());
        Map<String, Object> dataReport = new LinkedHashMap<>();
        ResolvedModelFiles files = modality.resolveModel(recipe);
        PreviousExport previous = modality.previousExport(files);
        LabelledSplits data = LabelledSplits.read(recipe, modality, dataReport, log,
                previous == null ? List.of() : previous.labels());
        Continual continual = null;
        if (previous != null) {
            log.printf("continual: fine-tuning %s again; its labels %s keep their head rows%n", previous.dir(),
                    previous.labels());
            continual = Continual.of(previous, modality, recipe.train().rehearsal(), created(outputDir));
            data = continual.withRehearsal(data, recipe.train().rehearsal(), recipe.seed(), log);
        } else if (recipe.train().rehearsal() > 0) {
            throw new UserError("train.rehearsal mixes in the old training data of a model fine-tuned before, but model "
                    + recipe.model() + " is not an ft4j export: set model to an export directory (runs/<name>/model)"
                    + " or leave train.rehearsal out");
        }
        List<Defaults.Choice> chosen = Defaults.choose(recipe, modality.choose(recipe, files),
                Trainer.classCounts(data.indices(data.train()), data.labels().size()));
        recipe = Defaults.apply(recipe, chosen, log);
        if (runStore != null && !chosen.isEmpty()) runStore.recipe(recorder.run(), recipe.resolved());
        TrainConfig tc = recipe.train();
        // Hashes the weights and data files once; the resume fingerprint and the feature cache key reuse it.
        Map<String, Object> provenance = Provenance.of(recipe, files, started);
        if (runStore != null) runStore.provenance(recorder.run(), provenance);
        Checkpoints checkpoints = new Checkpoints(outputDir.resolve("checkpoints"), tc.checkpointEverySteps(),
                tc.keepCheckpoints(), fingerprint(provenance), log);
        Checkpoints.Loaded resumeFrom = resumePoint(checkpoints, resume, outputDir);
        try (NDManager manager = TensorRuntime.newManager();
                Modality.Run<B> run = modality.open(recipe, files, model(provenance), data.labels().names(), manager,
                        log)) {
            Classifier<B> model = run.model();
            LabelledInputs<B> train = run.inputs(data.train(), data.indices(data.train()), "train", dataReport);
            LabelledInputs<B> validation = run.inputs(data.validation(), data.indices(data.validation()), "validation",
                    dataReport);
            LabelledInputs<B> test = run.inputs(data.test(), data.indices(data.test()), "test", dataReport);
            Trainer trainer = trainer(train, data.labels());
            LabelledInputs<B> reference = !data.validation().isEmpty() ? validation : test; // for the forgetting measure
            float[][] before = recipe.strategy().type() == Strategy.FEATURE_EXTRACTION || reference.size() == 0 ? null
                    : run.representations(reference, tc.evalBatchSize());
            Predictor.Scored oldTestBefore = continual == null || continual.oldTest() == null || isTrial ? null
                    : continual.before();

            Fitted fitted = fit(run, trainer, train, validation, listener, isTrial ? null : checkpoints, resumeFrom,
                    outputDir, provenance);
            if (recipe.strategy().type() == Strategy.LORA) {
                mergeAdapters(model, validation.size() > 0 ? validation : test, tc.evalBatchSize(), outputDir);
            }
            List<String> names = data.labels().names();
            float[][] validationProbabilities = data.validation().isEmpty() ? null
                    : Evaluator.probabilities(model, validation, tc.evalBatchSize());
            ClassificationReport validationReport = validationProbabilities == null ? null
                    : ClassificationMetrics.compute(validation.labels(), Evaluator.argmax(validationProbabilities),
                            validationProbabilities, names);
            Calibrated calibrated = validationProbabilities == null ? Calibrated.NONE
                    : Calibrated.fit(recipe.eval(), thresholdMetric(), validationProbabilities, validation.labels(), names);
            Tested tested = data.test().isEmpty() || (isTrial && !keepModel) ? null
                    : test(run, test, data.test(), data.labels(), calibrated, outputDir);
            ClassificationReport testReport = tested == null ? null : tested.report();

            Map<String, Object> diagnostics = diagnose(run, train, data, fitted.result(), validationReport, testReport);
            if (tested != null) diagnostics.put("misclassified_test_examples", misclassified(run, tested, data.test(), names));

            Map<String, Object> metrics = new LinkedHashMap<>();
            metrics.put("test", testReport == null ? null : testReport.toMap());
            metrics.put("validation", validationReport == null ? null : validationReport.toMap());
            metrics.put("train", fitted.summary(recipe));
            metrics.put("data", dataReport);
            metrics.put("chosen", Defaults.toMap(chosen));
            metrics.put("diagnostics", diagnostics);
            metrics.put("calibration", validationProbabilities == null ? null
                    : calibration(calibrated, validationProbabilities, validation.labels(), tested, names));
            metrics.put("slices", tested == null || recipe.eval().slices().isEmpty() ? null : slices(tested, data.test()));
            if (continual != null && !isTrial) {
                int[] afterPredicted = null;
                float[][] afterProbabilities = null;
                if (oldTestBefore != null) {
                    LabelledInputs<B> oldTest = run.inputs(continual.oldTest(), data.indices(continual.oldTest()),
                            "old test", dataReport);
                    afterProbabilities = calibrated.probabilities(Evaluator.probabilities(model, oldTest, tc.evalBatchSize()));
                    afterPredicted = calibrated.decide(afterProbabilities);
                }
                metrics.put("continual", continual.report(names, tc.rehearsal(), oldTestBefore, afterPredicted,
                        afterProbabilities, log));
            }
            metrics.put("forgetting", before == null ? null
                    : forgetting(before, run.representations(reference, tc.evalBatchSize()), data));
            metrics.put("reproducibility", Reproducibility.of(fitted.result().intraOpThreads()));
            metrics.put("resources", resources(started));
            if (!isTrial || keepModel) {
                Map<String, Object> exportInfo = new LinkedHashMap<>();
                exportInfo.put("task", recipe.task());
                exportInfo.put("base_model", recipe.model());
                if (!calibrated.isIdentity()) exportInfo.put("calibration", calibrated.toMap(names));
                exportInfo.put("metrics", ModelCard.headline(testReport, validationReport));
                exportInfo.put("recipe", recipe.portable());
                exportInfo.put("provenance", provenance);
                export(run, outputDir.resolve("model"), exportInfo, metrics, provenance);
            }
            writeRecords(outputDir, metrics, provenance, recorder, testReport, validationReport);
            checkpoints.deleteAll(); // the run is complete: its model and metrics are written
            return new Outcome(outputDir, testReport, validationReport, fitted.result(), metrics);
        }
    }

    /**
     * What training produced, and the parameter counts of {@code metrics.json}: those that trained
     * (the most at any stage of gradual unfreezing) of the total while training (with adapters).
     */
    private record Fitted(TrainingResult result, long trainable, long total, Map<String, Object> featureCache) {
        Map<String, Object> summary(Recipe recipe) {
            long most = result.unfreezes().isEmpty() ? trainable
                    : result.unfreezes().stream().mapToLong(TrainingListener.Unfreeze::trainableParameters).max().getAsLong();
            Map<String, Object> m = RunMetrics.train(recipe, result, most, total);
            if (featureCache != null) m.put("feature_cache", featureCache);
            return m;
        }
    }

    /** Sets which parameters train as the strategy says, and trains. */
    private <B> Fitted fit(Modality.Run<B> run, Trainer trainer, LabelledInputs<B> train, LabelledInputs<B> validation,
            TrainingListener listener, Checkpoints saving, Checkpoints.Loaded resumeFrom, Path outputDir,
            Map<String, Object> provenance) {
        Classifier<B> model = run.model();
        StrategyConfig s = recipe.strategy();
        long total = model.parameters().count(false);
        switch (s.type()) {
            case FEATURE_EXTRACTION -> {
                List<String> random = model.newlyInitialised().stream().filter(name -> !model.isHead(name)).sorted().toList();
                if (!random.isEmpty()) {
                    throw new UserError("strategy feature-extraction freezes the body, but " + String.join(", ", random)
                            + " were newly initialised (the checkpoint has no weights for them) and would stay random:"
                            + " set head.pooling to mean or cls, or leave it out for the run to choose");
                }
                FeatureExtraction.freezeBody(model);
                log.printf("strategy: feature-extraction (%,d of %,d parameters train)%n", model.parameters().count(true),
                        total);
                return fitOnFeatures(run, trainer, train, validation, listener, saving, resumeFrom, outputDir,
                        provenance, total);
            }
            case PARTIAL -> {
                StrategyConfig.Partial partial = (StrategyConfig.Partial) s;
                List<String> frozen = Freezing.partial(model, partial.freezeEmbeddings(), partial.freezeLayers(),
                        partial.compiledFreezePattern());
                log.printf("strategy: partial (%d tensors frozen; %,d of %,d parameters train)%n", frozen.size(),
                        model.parameters().count(true), total);
            }
            case LORA -> {
                StrategyConfig.Lora lora = (StrategyConfig.Lora) s;
                List<String> adapted = Lora.apply(model, lora, recipe.seed());
                log.printf("strategy: lora (rank %d, alpha %s on %d modules; %,d of %,d parameters train)%n",
                        lora.rank(), lora.alpha(), adapted.size(), model.parameters().count(true),
                        model.parameters().count(false));
            }
            case GRADUAL_UNFREEZE -> {
                Integer every = ((StrategyConfig.GradualUnfreeze) s).unfreezeEverySteps();
                log.printf("strategy: gradual-unfreeze (head first, then one layer group more %s)%n",
                        every == null ? "each epoch" : "every " + every + " steps");
            }
            case FULL -> log.printf("strategy: full (%,d parameters train)%n", model.parameters().count(true));
        }
        long trainable = model.parameters().count(true);
        total = model.parameters().count(false);
        TrainingResult result = trainer.fit(model, train, validation, model.labels(), listener, saving, resumeFrom);
        return new Fitted(result, trainable, total, null);
    }

    /**
     * Feature extraction: the frozen body runs once over train and validation (or its features come
     * from a tuning study's shared cache), and the head trains on the cached features.
     */
    private <B> Fitted fitOnFeatures(Modality.Run<B> run, Trainer trainer, LabelledInputs<B> train,
            LabelledInputs<B> validation, TrainingListener listener, Checkpoints saving, Checkpoints.Loaded resumeFrom,
            Path outputDir, Map<String, Object> provenance, long total) {
        Classifier<B> model = run.model();
        int batch = recipe.train().evalBatchSize();
        long t0 = System.nanoTime();
        long heapLimit = FeatureExtraction.defaultHeapLimitBytes();
        String key = featureCacheDir == null ? null
                : Provenance.sha256((model(provenance).get("weights_sha256") + run.featureSettings())
                        .getBytes(StandardCharsets.UTF_8));
        Path trainCache = key == null ? null
                : featureCacheDir.resolve(key.substring(0, 16) + "-" + run.digest(train).substring(0, 16) + ".f32");
        Path validationCache = key == null ? null
                : featureCacheDir.resolve(key.substring(0, 16) + "-" + run.digest(validation).substring(0, 16) + ".f32");
        boolean shared = key != null && Files.isRegularFile(trainCache) && Files.isRegularFile(validationCache);
        try (FeatureExtraction.Features trainFeatures = trainCache != null
                        ? FeatureExtraction.extractOrLoad(model, train, batch, trainCache)
                        : FeatureExtraction.extract(model, train, batch, heapLimit, outputDir);
                FeatureExtraction.Features validationFeatures = validationCache != null
                        ? FeatureExtraction.extractOrLoad(model, validation, batch, validationCache)
                        : FeatureExtraction.extract(model, validation, batch, heapLimit, outputDir)) {
            double extractSeconds = (System.nanoTime() - t0) / 1e9;
            if (shared) {
                log.printf("features: loaded from %s in %.2f s (computed by an earlier trial)%n", featureCacheDir,
                        extractSeconds);
            } else {
                log.printf("features: body run once over train and validation in %.1f s; %.1f MB cached %s%n",
                        extractSeconds, (trainFeatures.bytes() + validationFeatures.bytes()) / 1e6,
                        trainFeatures.store().equals("disk") ? "on disk in " + outputDir : "in memory");
            }
            long trainable = model.parameters().count(true);
            TrainingResult result = trainer.fit(FeatureExtraction.head(model), trainFeatures, validationFeatures,
                    model.labels(), listener, saving, resumeFrom);
            Map<String, Object> cache = RunMetrics.featureCache(trainFeatures, validationFeatures, extractSeconds, result);
            cache.put("loaded_from_shared_cache", shared);
            if (cache.get("speedup") != null && !shared) {
                log.printf("features: first epoch (body + head) %.2f s, later epochs (head only) %.3f s each:"
                        + " %.0fx faster%n", cache.get("first_epoch_seconds"), cache.get("later_epoch_seconds_mean"),
                        cache.get("speedup"));
            }
            return new Fitted(result, trainable, total, cache);
        }
    }

    /** The trainer for the recipe, with class weights from the training labels when asked for. */
    private Trainer trainer(LabelledInputs<?> train, LabelSet labels) {
        TrainConfig tc = recipe.train();
        float[] classWeights = tc.classWeights() == ClassWeights.AUTO
                ? Trainer.balancedClassWeights(train.labels(), labels.size()) : null;
        if (classWeights != null) log.printf("class weights: %s%n", Arrays.toString(classWeights));
        if (tc.gradientAccumulationSteps() > 1) {
            log.printf("batches: %d examples x %d accumulated = %d examples per optimizer step%n", tc.batchSize(),
                    tc.gradientAccumulationSteps(), tc.effectiveBatchSize());
        }
        return new Trainer(TrainerOptions.of(tc, recipe.seed(), classWeights,
                recipe.strategy() instanceof StrategyConfig.GradualUnfreeze gradual
                        ? new Trainer.GradualUnfreezing(gradual.unfreezeEverySteps()) : null));
    }

    /** The output directory, made if need be. */
    private static Path created(Path outputDir) {
        try {
            return Files.createDirectories(outputDir);
        } catch (java.io.IOException e) {
            throw AtomicFiles.writeFailed(outputDir, e);
        }
    }

    /** The checkpoint to resume from, or null to start afresh. */
    private Checkpoints.Loaded resumePoint(Checkpoints checkpoints, boolean resume, Path outputDir) {
        if (!resume) {
            if (!checkpoints.list().isEmpty()) {
                throw new UserError(outputDir + " holds checkpoints of an unfinished run (" + checkpoints.list().get(0)
                        .getFileName() + "): add --resume to continue it, or choose another --output");
            }
            return null;
        }
        Checkpoints.Loaded from = checkpoints.latest().orElse(null);
        if (from == null) log.printf("resume: no usable checkpoint in %s; starting from the beginning%n", checkpoints.dir());
        else log.printf("resume: from %s (step %d, epoch %d)%n", from.path(), from.state().step(), from.state().epoch() + 1);
        return from;
    }

    /**
     * Saves the adapters alone ({@code adapter.safetensors}), folds them into the base weights, and
     * checks on {@code reference} that the merged model predicts what the adapted one did.
     */
    private <B> void mergeAdapters(Classifier<B> model, LabelledInputs<B> reference, int batchSize, Path outputDir) {
        SafeTensors.write(outputDir.resolve("adapter.safetensors"), Lora.adapterWeights(model), Map.of("format", "pt"));
        double worst = Lora.mergeChecked(model, reference, batchSize, MERGE_TOLERANCE);
        log.printf("lora: adapters saved to adapter.safetensors and merged (largest probability change %.2e on %d"
                + " examples)%n", worst, reference.size());
    }

    /** The test split's probabilities as the model gave them and as the export gives them, its labels and predictions. */
    private record Tested(ClassificationReport report, float[][] raw, float[][] calibrated, int[] gold, int[] predicted) {}

    /**
     * Evaluates on the test split as the export predicts (calibrated, with its threshold) and writes
     * one line per example to {@code test_predictions.jsonl}.
     */
    private <B> Tested test(Modality.Run<B> run, LabelledInputs<B> test, List<Example> examples, LabelSet labels,
            Calibrated calibrated, Path outputDir) {
        float[][] raw = Evaluator.probabilities(run.model(), test, recipe.train().evalBatchSize());
        float[][] probs = calibrated.probabilities(raw);
        int[] predicted = calibrated.decide(probs);
        ClassificationReport report = ClassificationMetrics.compute(test.labels(), predicted, probs, labels.names());
        StringBuilder sb = new StringBuilder();
        try {
            for (int i = 0; i < examples.size(); i++) {
                Map<String, Object> o = new LinkedHashMap<>();
                Example e = examples.get(i);
                o.put("line", e.line());
                o.put("label", e.label());
                o.put("predicted", labels.name(predicted[i]));
                Map<String, Double> scores = new LinkedHashMap<>();
                for (int j = 0; j < probs[i].length; j++) scores.put(labels.name(j), (double) probs[i][j]);
                o.put("scores", scores);
                o.putAll(run.describe(e));
                sb.append(AtomicFiles.JSON_COMPACT.writeValueAsString(o)).append('\n');
            }
        } catch (com.fasterxml.jackson.core.JsonProcessingException ex) {
            throw new IllegalStateException(ex);
        }
        AtomicFiles.writeString(outputDir.resolve("test_predictions.jsonl"), sb.toString());
        return new Tested(report, raw, probs, test.labels(), predicted);
    }

    /** How many misclassified test examples metrics.json lists (and the report shows). */
    static final int MISCLASSIFIED_SHOWN = 24;

    /** The test examples the model got wrong, the most confident mistakes first, with their input. */
    private <B> List<Map<String, Object>> misclassified(Modality.Run<B> run, Tested tested, List<Example> examples,
            List<String> labels) {
        List<Integer> wrong = new java.util.ArrayList<>();
        for (int i = 0; i < tested.gold().length; i++) if (tested.predicted()[i] != tested.gold()[i]) wrong.add(i);
        wrong.sort((a, b) -> Float.compare(tested.calibrated()[b][tested.predicted()[b]],
                tested.calibrated()[a][tested.predicted()[a]]));
        List<Map<String, Object>> out = new java.util.ArrayList<>();
        for (int i : wrong.subList(0, Math.min(MISCLASSIFIED_SHOWN, wrong.size()))) {
            Map<String, Object> o = new LinkedHashMap<>();
            o.put("line", examples.get(i).line());
            o.put("label", labels.get(tested.gold()[i]));
            o.put("predicted", labels.get(tested.predicted()[i]));
            o.put("confidence", (double) tested.calibrated()[i][tested.predicted()[i]]);
            o.putAll(run.describe(examples.get(i)));
            out.add(o);
        }
        return out;
    }

    /** What a decision threshold is tuned for: the early-stopping metric, or macro F1 when that is the loss. */
    private Metric thresholdMetric() {
        EarlyStopping es = recipe.train().earlyStopping();
        Metric m = es == null ? Metric.MACRO_F1 : Metric.parse(es.metric());
        return m == Metric.LOSS ? Metric.MACRO_F1 : m;
    }

    /**
     * metrics.json's calibration section: the fitted temperature and threshold, the expected
     * calibration error before and after on validation (where it was fitted) and test (where it was
     * not), and the test reliability diagram.
     */
    private Map<String, Object> calibration(Calibrated calibrated, float[][] validation, int[] validationGold,
            Tested test, List<String> labels) {
        Map<String, Object> m = new LinkedHashMap<>(calibrated.toMap(labels));
        float[][] scaled = calibrated.probabilities(validation);
        Map<String, Object> v = eceMap(validation, scaled, validationGold);
        m.put("validation", v);
        String line = String.format(Locale.ROOT, "calibration: temperature %.3f (validation ECE %.4f -> %.4f",
                calibrated.temperature(), v.get("ece_before"), v.get("ece_after"));
        if (test != null) {
            Map<String, Object> t = eceMap(test.raw(), test.calibrated(), test.gold());
            m.put("test", t);
            m.put("test_reliability", Calibration.binsMap(Calibration.reliability(test.calibrated(), test.gold())));
            line += String.format(Locale.ROOT, "; test ECE %.4f -> %.4f", t.get("ece_before"), t.get("ece_after"));
        }
        log.println(line + ")");
        if (labels.size() == 2 && recipe.eval().tuneThreshold()) {
            Metric metric = thresholdMetric();
            double at = calibrated.threshold() == null ? 0.5 : calibrated.threshold();
            double before = metric.value(ClassificationMetrics.compute(validationGold, Evaluator.argmax(scaled), labels));
            double after = metric.value(ClassificationMetrics.compute(validationGold, calibrated.decide(scaled), labels));
            m.put("threshold_metric", metric.key());
            m.put("validation_at_half", before);
            m.put("validation_at_threshold", after);
            log.printf(Locale.ROOT, "decision threshold: %s when P(%s) >= %.3f (validation %s %.4f at 0.5, %.4f at the"
                    + " threshold)%n", labels.get(1), labels.get(1), at, metric.key(), before, after);
        }
        return m;
    }

    private static Map<String, Object> eceMap(float[][] raw, float[][] calibrated, int[] gold) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("n", gold.length);
        m.put("ece_before", Calibration.expectedCalibrationError(raw, gold));
        m.put("ece_after", Calibration.expectedCalibrationError(calibrated, gold));
        m.put("nll_before", Calibration.negativeLogLikelihood(raw, gold));
        m.put("nll_after", Calibration.negativeLogLikelihood(calibrated, gold));
        return m;
    }

    /** Test metrics per value of each {@code eval.slices} column, read from the file the test examples came from. */
    private Map<String, Object> slices(Tested tested, List<Example> examples) {
        List<String> columns = recipe.eval().slices();
        Path file = recipe.data().test() != null ? recipe.data().test() : recipe.data().train();
        Map<Integer, List<String>> byLine = TabularReader.columnsByLine(file, recipe.data().format(), columns,
                "eval.slices");
        Map<String, Object> out = new LinkedHashMap<>();
        for (int c = 0; c < columns.size(); c++) {
            String[] values = new String[examples.size()];
            for (int i = 0; i < values.length; i++) {
                List<String> row = byLine.get(examples.get(i).line());
                values[i] = row == null ? null : row.get(c);
            }
            Slices.Slice slice = Slices.of(columns.get(c), values, tested.gold(), tested.predicted(),
                    tested.report().labels());
            out.put(columns.get(c), slice.toMap());
            log.printf("slices by %s:%n", columns.get(c));
            for (Slices.Group g : slice.groups()) {
                log.printf(Locale.ROOT, "  %-24s n %5d  accuracy %.4f  macro_f1 %.4f%n", g.value(), g.n(), g.accuracy(),
                        g.macroF1());
            }
            if (slice.macroF1Gap() != null) {
                log.printf(Locale.ROOT, "  gap: macro_f1 %.4f (best %s, worst %s), accuracy %.4f%n", slice.macroF1Gap(),
                        slice.best(), slice.worst(), slice.accuracyGap());
            }
        }
        return out;
    }

    /**
     * Writes the export with its model card ({@code README.md}) into a staging directory that
     * replaces {@code dir} whole.
     */
    private <B> void export(Modality.Run<B> run, Path dir, Map<String, Object> info, Map<String, Object> metrics,
            Map<String, Object> provenance) {
        Path staged = AtomicFiles.stagingDirectory(dir);
        try {
            run.export(staged, info);
            AtomicFiles.writeString(staged.resolve("README.md"), ModelCard.markdown(recipe, metrics, provenance));
            AtomicFiles.replaceDirectory(staged, dir);
        } catch (RuntimeException e) {
            AtomicFiles.deleteRecursively(staged);
            throw e;
        }
    }

    /**
     * What the user should know about the run (Diagnostics), printed and for {@code metrics.json}:
     * the findings, the validation metric's interval, and, outside tuning trials, the training
     * examples with the highest loss after training (likely mislabelled), with their line.
     */
    private <B> Map<String, Object> diagnose(Modality.Run<B> run, LabelledInputs<B> train, LabelledSplits data,
            TrainingResult result, ClassificationReport validation, ClassificationReport test) {
        Bootstrap.Interval interval = Diagnostics.validationInterval(recipe, validation);
        List<Diagnostics.Finding> findings = Diagnostics.of(recipe, result, validation, test, interval);
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("findings", findings.stream().map(f -> Map.of("kind", f.kind(), "message", f.message())).toList());
        m.put("validation_interval", interval == null ? null : Diagnostics.intervalMap(interval));
        if (interval != null) {
            log.printf("validation %s %.4f (95%% interval %.4f to %.4f, %d examples)%n", interval.metric(), interval.value(),
                    interval.low(), interval.high(), interval.n());
        }
        int k = isTrial ? 0 : Math.min(recipe.eval().hardestExamples(), train.size());
        if (k > 0) {
            float[][] probs = Evaluator.probabilities(run.model(), train, recipe.train().evalBatchSize());
            int[] gold = train.labels();
            Integer[] order = new Integer[probs.length];
            for (int i = 0; i < order.length; i++) order[i] = i;
            Arrays.sort(order, (a, b) -> Float.compare(probs[a][gold[a]], probs[b][gold[b]]));
            List<Map<String, Object>> hardest = new java.util.ArrayList<>();
            String file = recipe.data().train().getFileName().toString();
            log.printf("hardest training examples (highest loss after training: check their labels):%n");
            for (int i = 0; i < k; i++) {
                int at = order[i];
                Example e = data.train().get(at);
                int predicted = Evaluator.argmax(new float[][] {probs[at]})[0];
                double loss = -Math.log(Math.max(probs[at][gold[at]], ClassificationMetrics.LOG_EPS));
                Map<String, Object> h = new LinkedHashMap<>();
                h.put("file", file);
                h.put("line", e.line());
                h.put("label", e.label());
                h.put("predicted", data.labels().name(predicted));
                h.put("loss", loss);
                h.putAll(run.describe(e));
                hardest.add(h);
                if (i < 5) {
                    log.printf("  %s  label %s, predicted %s, loss %.2f%n", run.where(e, file), e.label(),
                            data.labels().name(predicted), loss);
                }
            }
            if (k > 5) log.printf("  ... %d more in metrics.json (diagnostics.hardest_train_examples)%n", k - 5);
            m.put("hardest_train_examples", hardest);
        }
        if (!findings.isEmpty()) {
            log.println("diagnostics:");
            findings.forEach(f -> log.println("  - " + f.message()));
        }
        return m;
    }

    /** How far the body moved: the mean cosine of its representations after training to those before. */
    private Map<String, Object> forgetting(float[][] before, float[][] after, LabelledSplits data) {
        double sum = 0;
        for (int i = 0; i < before.length; i++) {
            double dot = 0;
            for (int j = 0; j < before[i].length; j++) dot += before[i][j] * (double) after[i][j];
            sum += dot;
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("reference", !data.validation().isEmpty() ? "validation" : "test");
        m.put("n", after.length);
        m.put("mean_cosine_to_pretrained", before.length == 0 ? Double.NaN : sum / before.length);
        log.printf("forgetting: mean cosine of fine-tuned to pre-trained body representations %.4f%n",
                m.get("mean_cosine_to_pretrained"));
        return m;
    }

    private static Map<String, Object> resources(long started) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("wall_seconds", (System.currentTimeMillis() - started) / 1000.0);
        m.put("peak_rss_mb", ProcessMemory.peakRssMb());
        return m;
    }

    /** run.json, metrics.json and, outside tuning trials, the report. */
    private void writeRecords(Path outputDir, Map<String, Object> metrics, Map<String, Object> provenance,
            RunRecorder recorder, ClassificationReport test, ClassificationReport validation) {
        Map<String, Object> run = new LinkedHashMap<>();
        run.put("recipe", recipe.resolved());
        run.put("provenance", provenance);
        AtomicFiles.writeJson(outputDir.resolve("run.json"), run);
        AtomicFiles.writeJson(outputDir.resolve("metrics.json"), metrics);
        if (!isTrial) {
            RunReport.write(outputDir.resolve("report"), recipe.name() + " (" + outputDir + ")", recorder.points(), test,
                    validation, recipe.resolved(), provenance, metrics);
        }
    }

    /** Provenance's model section: the files' kind, description and SHA-256. */
    @SuppressWarnings("unchecked")
    private static Map<String, Object> model(Map<String, Object> provenance) {
        return (Map<String, Object>) provenance.get("model");
    }

    /** What a checkpoint must have been made from to be resumed: the recipe as resolved, the model and data by hash. */
    @SuppressWarnings("unchecked")
    private String fingerprint(Map<String, Object> provenance) {
        Map<String, Object> p = new LinkedHashMap<>(provenance);
        p.keySet().retainAll(List.of("seed", "model", "data"));
        // Files by content, not by where this checkout happens to be.
        Map<String, Object> data = new LinkedHashMap<>((Map<String, Object>) p.get("data"));
        data.replaceAll((k, v) -> ((Map<String, Object>) v).get("sha256"));
        p.put("data", data);
        Map<String, Object> model = new LinkedHashMap<>((Map<String, Object>) p.get("model"));
        model.keySet().retainAll(List.of("weights_sha256", "tokenizer_sha256"));
        p.put("model", model);
        Map<String, Object> resolved = new LinkedHashMap<>(recipe.resolved());
        Map<String, Object> train = new LinkedHashMap<>((Map<String, Object>) resolved.get("train"));
        train.remove("on_non_finite"); // may change on resume: that is how a diverged run continues
        resolved.put("train", train);
        p.put("recipe", resolved);
        try {
            return Provenance.sha256(AtomicFiles.JSON_COMPACT.writeValueAsBytes(p));
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
