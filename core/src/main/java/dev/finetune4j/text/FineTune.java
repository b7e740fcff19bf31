package dev.finetune4j.text;

import ai.djl.ndarray.NDManager;
import dev.finetune4j.TensorRuntime;
import dev.finetune4j.UserError;
import dev.finetune4j.adapt.FeatureExtraction;
import dev.finetune4j.adapt.Freezing;
import dev.finetune4j.adapt.Lora;
import dev.finetune4j.data.CleanResult;
import dev.finetune4j.data.Cleaner;
import dev.finetune4j.data.EncodedText;
import dev.finetune4j.data.Example;
import dev.finetune4j.data.LabelSet;
import dev.finetune4j.data.Split;
import dev.finetune4j.data.StratifiedSplit;
import dev.finetune4j.data.TabularReader;
import dev.finetune4j.data.TextEncoder;
import dev.finetune4j.eval.ClassificationMetrics;
import dev.finetune4j.eval.ClassificationReport;
import dev.finetune4j.eval.Metric;
import dev.finetune4j.export.HfExport;
import dev.finetune4j.model.bert.BertForSequenceClassification;
import dev.finetune4j.model.io.BertCheckpoint;
import dev.finetune4j.model.io.ModelSource;
import dev.finetune4j.model.io.ResolvedModelFiles;
import dev.finetune4j.recipe.DataConfig;
import dev.finetune4j.recipe.Recipe;
import dev.finetune4j.recipe.Strategy;
import dev.finetune4j.recipe.StrategyConfig;
import dev.finetune4j.recipe.TrainConfig;
import dev.finetune4j.track.Provenance;
import dev.finetune4j.track.RunRecorder;
import dev.finetune4j.track.RunReport;
import dev.finetune4j.track.RunStore;
import dev.finetune4j.track.RunStore.NewRun;
import dev.finetune4j.train.StopTraining;
import dev.finetune4j.train.Evaluator;
import dev.finetune4j.train.Checkpoints;
import dev.finetune4j.train.Trainer;
import dev.finetune4j.train.TrainingListener;
import dev.finetune4j.train.TrainingResult;
import dev.finetune4j.util.AtomicFiles;
import dev.finetune4j.util.ProcessMemory;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code ft4j train} for text classification: read and clean the data, split it, build the
 * pre-trained body with a new head, adapt it, evaluate on held-out data, export.
 *
 * <p>Writes into the output directory: {@code metrics.json}, {@code run.json} (resolved recipe and
 * provenance), {@code model/} (Hugging Face layout) and {@code report/} (plots and an HTML page);
 * with {@link #trackIn} also a record in the run store.
 */
public final class FineTune {
    /** What a run produced. */
    public record Outcome(Path outputDir, ClassificationReport test, ClassificationReport validation,
            TrainingResult training, Map<String, Object> metrics) {}

    private final Recipe recipe;
    private final PrintStream log;

    private boolean isTrial;
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
            Outcome o = train(outputDir, TrainingListener.both(recorder, listener), resume, recorder);
            recorder.flush();
            if (runStore != null) runStore.finish(runId, RunStore.Status.FINISHED, summary(o), artifacts(outputDir), null);
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

    /** The run's headline numbers for the run store (what `ft4j runs` lists and sorts by). */
    private static Map<String, Object> summary(Outcome o) {
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

    private Map<String, Object> artifacts(Path outputDir) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (String name : List.of("metrics.json", "run.json", "model", "report/report.html", "test_predictions.jsonl",
                "adapter.safetensors")) {
            Path p = outputDir.resolve(name);
            if (java.nio.file.Files.exists(p)) m.put(name, p.toAbsolutePath().normalize().toString());
        }
        return m;
    }

    private Outcome train(Path outputDir, TrainingListener listener, boolean resume, RunRecorder recorder) {
        long started = System.currentTimeMillis();
        DataConfig dc = recipe.data();
        TrainConfig tc = recipe.train();
        TensorRuntime.start(tc.threads() == null ? 0 : tc.threads());

        // Data: read, clean (with a report), split.
        Map<String, Object> dataReport = new LinkedHashMap<>();
        List<Example> trainFile = read(dc.train(), "data.train", dataReport);
        List<Example> validationFile = dc.validation() == null ? null : read(dc.validation(), "data.validation", dataReport);
        List<Example> testFile = dc.test() == null ? null : read(dc.test(), "data.test", dataReport);
        LabelSet labels = LabelSet.fromExamples(trainFile);
        labels.requireAtLeastTwo("data.train " + dc.train());
        Split split = StratifiedSplit.split(trainFile, validationFile == null ? dc.validationFraction() : 0,
                testFile == null ? dc.testFraction() : 0, recipe.seed());
        List<Example> train = split.train();
        List<Example> validation = validationFile != null ? validationFile : split.validation();
        List<Example> test = testFile != null ? testFile : split.test();
        if (validationFile != null) labels.requireKnown(validationFile, "data.validation " + dc.validation());
        if (testFile != null) labels.requireKnown(testFile, "data.test " + dc.test());
        log.printf("data: %d train, %d validation, %d test examples; labels %s%n", train.size(), validation.size(),
                test.size(), labels.counts());

        // Model: pre-trained body + new head.
        ResolvedModelFiles files = ModelSource.resolve(recipe.model(), recipe.baseDir());
        // Hashes the weights and data files once; the resume fingerprint and the feature cache key reuse it.
        Map<String, Object> provenance = Provenance.of(recipe, files, started);
        if (runStore != null) runStore.provenance(recorder.run(), provenance);
        Checkpoints checkpoints = new Checkpoints(outputDir.resolve("checkpoints"), tc.checkpointEverySteps(),
                tc.keepCheckpoints(), fingerprint(provenance), log);
        Checkpoints saving = isTrial ? null : checkpoints; // a trial that is interrupted runs again from its start
        Checkpoints.Loaded resumeFrom = null;
        if (resume) {
            resumeFrom = checkpoints.latest().orElse(null);
            if (resumeFrom == null) log.printf("resume: no usable checkpoint in %s; starting from the beginning%n", checkpoints.dir());
            else log.printf("resume: from %s (step %d, epoch %d)%n", resumeFrom.path(), resumeFrom.state().step(),
                    resumeFrom.state().epoch() + 1);
        } else if (!checkpoints.list().isEmpty()) {
            throw new UserError(outputDir + " holds checkpoints of an unfinished run (" + checkpoints.list().get(0)
                    .getFileName() + "): add --resume to continue it, or choose another --output");
        }
        BertCheckpoint checkpoint = BertCheckpoint.load(files);
        log.printf("model: %s (%d layers, hidden %d)%n", files.description(), checkpoint.config().numHiddenLayers(),
                checkpoint.config().hiddenSize());
        int positions = checkpoint.config().maxPositionEmbeddings();
        if (dc.maxLength() > positions) {
            throw new UserError("data.max_length is " + dc.maxLength() + " but the model " + files.description() + " has only "
                    + positions + " positions (max_position_embeddings in its config); set data.max_length to at most "
                    + positions);
        }
        try (NDManager manager = TensorRuntime.newManager();
                TextEncoder encoder = TextEncoder.load(files.tokenizerJson(), dc.maxLength());
                BertForSequenceClassification model = BertForSequenceClassification.fromPretrained(manager, checkpoint.config(),
                        checkpoint.weights(), files.description(), recipe.head().pooling(), recipe.head().dropout(),
                        tc.hiddenDropout(), labels.names(), recipe.seed())) {
            model.notes().forEach(n -> log.println("note: " + n));
            EncodedTexts trainSet = encode(encoder, tokenizerSha256(provenance), train, labels, "train", dataReport);
            EncodedTexts validationSet = encode(encoder, tokenizerSha256(provenance), validation, labels, "validation", dataReport);
            EncodedTexts testSet = encode(encoder, tokenizerSha256(provenance), test, labels, "test", dataReport);

            float[] classWeights = tc.classWeights() == dev.finetune4j.recipe.ClassWeights.AUTO
                    ? Trainer.balancedClassWeights(trainSet.labels(), labels.size()) : null;
            if (classWeights != null) log.printf("class weights: %s%n", java.util.Arrays.toString(classWeights));
            if (tc.gradientAccumulationSteps() > 1) {
                log.printf("batches: %d examples x %d accumulated = %d examples per optimizer step%n", tc.batchSize(),
                        tc.gradientAccumulationSteps(), tc.effectiveBatchSize());
            }
            StrategyConfig strategy = recipe.strategy();
            Trainer trainer = new Trainer(options(tc, recipe.seed(), classWeights,
                    strategy.type() == Strategy.GRADUAL_UNFREEZE
                            ? new Trainer.GradualUnfreezing(strategy.unfreezeEverySteps()) : null));
            // Forgetting: how far the body's sentence embeddings move from the pre-trained ones.
            EncodedTexts reference = !validation.isEmpty() ? validationSet : testSet;
            float[][] embeddingsBefore = strategy.type() == Strategy.FEATURE_EXTRACTION || reference.size() == 0
                    ? null : sentenceEmbeddings(model, reference, tc.evalBatchSize());
            TrainingResult result;
            long total = model.parameters().count(false);
            long trainable; // as training starts (with adapters, before any merge)
            Map<String, Object> featureCache = null;
            if (strategy.type() == Strategy.FEATURE_EXTRACTION) {
                FeatureExtraction.freezeBody(model);
                log.printf("strategy: feature-extraction (%,d of %,d parameters train)%n",
                        model.parameters().count(true), total);
                long t0 = System.nanoTime();
                long heapLimit = FeatureExtraction.defaultHeapLimitBytes();
                String cacheKey = featureCacheDir == null ? null : Provenance.sha256((weightsSha256(provenance)
                        + recipe.head().pooling() + dc.maxLength()).getBytes(java.nio.charset.StandardCharsets.UTF_8));
                Path trainCache = cacheKey == null ? null
                        : featureCacheDir.resolve(cacheKey.substring(0, 16) + "-" + trainSet.digest().substring(0, 16) + ".f32");
                Path validationCache = cacheKey == null ? null
                        : featureCacheDir.resolve(cacheKey.substring(0, 16) + "-" + validationSet.digest().substring(0, 16) + ".f32");
                boolean shared = cacheKey != null && java.nio.file.Files.isRegularFile(trainCache)
                        && java.nio.file.Files.isRegularFile(validationCache);
                try (FeatureExtraction.Features trainFeatures = trainCache != null
                                ? FeatureExtraction.extractOrLoad(model, trainSet, tc.evalBatchSize(), trainCache)
                                : FeatureExtraction.extract(model, trainSet, tc.evalBatchSize(), heapLimit, outputDir);
                        FeatureExtraction.Features validationFeatures = validationCache != null
                                ? FeatureExtraction.extractOrLoad(model, validationSet, tc.evalBatchSize(), validationCache)
                                : FeatureExtraction.extract(model, validationSet, tc.evalBatchSize(), heapLimit, outputDir)) {
                    double extractSeconds = (System.nanoTime() - t0) / 1e9;
                    if (shared) {
                        log.printf("features: loaded from %s in %.2f s (computed by an earlier trial)%n", featureCacheDir,
                                extractSeconds);
                    } else {
                        log.printf("features: body run once over train and validation in %.1f s; %.1f MB cached %s%n",
                                extractSeconds, (trainFeatures.bytes() + validationFeatures.bytes()) / 1e6,
                                trainFeatures.store().equals("disk") ? "on disk in " + outputDir : "in memory");
                    }
                    trainable = model.parameters().count(true);
                    result = trainer.fit(FeatureExtraction.head(model), trainFeatures, validationFeatures,
                            labels.names(), listener, saving, resumeFrom);
                    featureCache = featureCacheSummary(trainFeatures, validationFeatures, extractSeconds, result);
                    featureCache.put("loaded_from_shared_cache", shared);
                    if (featureCache.get("speedup") != null && !shared) {
                        log.printf("features: first epoch (body + head) %.2f s, later epochs (head only) %.3f s each:"
                                + " %.0fx faster%n", featureCache.get("first_epoch_seconds"),
                                featureCache.get("later_epoch_seconds_mean"), featureCache.get("speedup"));
                    }
                }
            } else {
                if (strategy.type() == Strategy.PARTIAL) {
                    List<String> frozen = Freezing.partial(model, strategy.freezeEmbeddings(), strategy.freezeLayers(),
                            strategy.compiledFreezePattern());
                    log.printf("strategy: partial (%d tensors frozen; %,d of %,d parameters train)%n", frozen.size(),
                            model.parameters().count(true), total);
                } else if (strategy.type() == Strategy.LORA) {
                    List<String> adapted = Lora.apply(model, Lora.Config.of(strategy), recipe.seed());
                    log.printf("strategy: lora (rank %d, alpha %s on %d modules; %,d of %,d parameters train)%n",
                            strategy.rank(), strategy.alpha(), adapted.size(), model.parameters().count(true),
                            model.parameters().count(false));
                } else if (strategy.type() == Strategy.GRADUAL_UNFREEZE) {
                    log.printf("strategy: gradual-unfreeze (head first, then one layer group more %s)%n",
                            strategy.unfreezeEverySteps() == null ? "each epoch"
                                    : "every " + strategy.unfreezeEverySteps() + " steps");
                } else {
                    log.printf("strategy: full (%,d parameters train)%n", model.parameters().count(true));
                }
                trainable = model.parameters().count(true);
                total = model.parameters().count(false);
                result = trainer.fit(model, trainSet, validationSet, labels.names(), listener, saving, resumeFrom);
            }

            if (strategy.type() == Strategy.LORA) mergeAdapters(model, validationSet.size() > 0 ? validationSet : testSet,
                    tc.evalBatchSize(), outputDir);
            ClassificationReport validationReport = validation.isEmpty() ? null
                    : Evaluator.evaluate(model, validationSet, labels.names(), tc.evalBatchSize());
            ClassificationReport testReport = null;
            if (!test.isEmpty() && !isTrial) {
                float[][] probs = Evaluator.probabilities(model, testSet, tc.evalBatchSize());
                testReport = ClassificationMetrics.compute(testSet.labels(), Evaluator.argmax(probs), probs,
                        labels.names());
                writePredictions(outputDir.resolve("test_predictions.jsonl"), test, probs, labels);
            }

            Map<String, Object> forgetting = null;
            if (embeddingsBefore != null) {
                float[][] after = sentenceEmbeddings(model, reference, tc.evalBatchSize());
                forgetting = new LinkedHashMap<>();
                forgetting.put("reference", !validation.isEmpty() ? "validation" : "test");
                forgetting.put("n", after.length);
                forgetting.put("mean_cosine_to_pretrained", meanCosine(embeddingsBefore, after));
                log.printf("forgetting: mean cosine of fine-tuned to pre-trained sentence embeddings %.4f%n",
                        forgetting.get("mean_cosine_to_pretrained"));
            }
            Map<String, Object> metrics = new LinkedHashMap<>();
            metrics.put("test", testReport == null ? null : testReport.toMap());
            metrics.put("validation", validationReport == null ? null : validationReport.toMap());
            if (!result.unfreezes().isEmpty()) {
                trainable = result.unfreezes().stream().mapToLong(TrainingListener.Unfreeze::trainableParameters).max()
                        .getAsLong();
            }
            Map<String, Object> trainSummary = trainSummary(result, tc, trainable, total);
            if (featureCache != null) trainSummary.put("feature_cache", featureCache);
            metrics.put("train", trainSummary);
            metrics.put("data", dataReport);
            metrics.put("forgetting", forgetting);
            metrics.put("reproducibility", dev.finetune4j.track.Reproducibility.of(result.intraOpThreads()));
            Map<String, Object> resources = new LinkedHashMap<>();
            resources.put("wall_seconds", (System.currentTimeMillis() - started) / 1000.0);
            resources.put("peak_rss_mb", ProcessMemory.peakRssMb());
            metrics.put("resources", resources);

            if (!isTrial) {
                HfExport.write(model, files.tokenizerJson(), dc.maxLength(), Map.of("base_model", recipe.model(),
                        "provenance", provenance), outputDir.resolve("model"));
            }
            Map<String, Object> run = new LinkedHashMap<>();
            run.put("recipe", recipe.resolved());
            run.put("provenance", provenance);
            AtomicFiles.writeJson(outputDir.resolve("run.json"), run);
            AtomicFiles.writeJson(outputDir.resolve("metrics.json"), metrics);
            if (!isTrial) {
                RunReport.write(outputDir.resolve("report"), recipe.name() + " (" + outputDir + ")", recorder.points(),
                        testReport, validationReport, recipe.resolved(), provenance);
            }
            checkpoints.deleteAll(); // the run is complete: its model and metrics are written
            return new Outcome(outputDir, testReport, validationReport, result, metrics);
        }
    }

    /** Largest change of a class probability that merging adapters may cause before the export is refused. */
    static final double MERGE_TOLERANCE = 1e-4;

    /**
     * Saves the adapters alone ({@code adapter.safetensors}), folds them into the base weights, and
     * checks on {@code reference} that the merged model predicts what the adapted one did.
     */
    private void mergeAdapters(BertForSequenceClassification model, EncodedTexts reference, int batchSize, Path outputDir) {
        dev.finetune4j.model.io.SafeTensors.write(outputDir.resolve("adapter.safetensors"), Lora.adapterWeights(model),
                Map.of("format", "pt"));
        float[][] before = Evaluator.probabilities(model, reference, batchSize);
        Lora.merge(model);
        float[][] after = Evaluator.probabilities(model, reference, batchSize);
        double worst = 0;
        for (int i = 0; i < before.length; i++) {
            for (int j = 0; j < before[i].length; j++) worst = Math.max(worst, Math.abs(before[i][j] - after[i][j]));
        }
        if (worst > MERGE_TOLERANCE) {
            throw new IllegalStateException("merging the LoRA adapters changed a probability by " + worst
                    + " (tolerance " + MERGE_TOLERANCE + "); the export was not written");
        }
        log.printf("lora: adapters saved to adapter.safetensors and merged (largest probability change %.2e on %d"
                + " examples)%n", worst, before.length);
    }

    /** Mean-pooled, L2-normalised last hidden states: the body's sentence embeddings. */
    private static float[][] sentenceEmbeddings(BertForSequenceClassification model, EncodedTexts data, int batchSize) {
        return Evaluator.rows(data, batchSize, (scope, batch) -> {
            ai.djl.ndarray.NDArray pooled = model.bert().pooled(model.bert().hiddenStates(scope, batch, false),
                    batch.attentionMask(), dev.finetune4j.model.Pooling.MEAN);
            return pooled.div(pooled.norm(new int[] {1}, true).maximum(1e-12f));
        });
    }

    private static double meanCosine(float[][] a, float[][] b) {
        double sum = 0;
        for (int i = 0; i < a.length; i++) {
            double dot = 0;
            for (int j = 0; j < a[i].length; j++) dot += a[i][j] * (double) b[i][j];
            sum += dot;
        }
        return a.length == 0 ? Double.NaN : sum / a.length;
    }

    /** One line per held-out example: where it came from, its label, the prediction and the scores. */
    private static void writePredictions(Path file, List<Example> examples, float[][] probs, LabelSet labels) {
        StringBuilder sb = new StringBuilder();
        try {
            for (int i = 0; i < examples.size(); i++) {
                Map<String, Object> o = new LinkedHashMap<>();
                Example e = examples.get(i);
                int best = Evaluator.argmax(new float[][] {probs[i]})[0];
                o.put("line", e.line());
                o.put("label", e.label());
                o.put("predicted", labels.name(best));
                Map<String, Double> scores = new LinkedHashMap<>();
                for (int j = 0; j < probs[i].length; j++) scores.put(labels.name(j), (double) probs[i][j]);
                o.put("scores", scores);
                o.put("text", e.text());
                sb.append(AtomicFiles.JSON_COMPACT.writeValueAsString(o)).append('\n');
            }
        } catch (com.fasterxml.jackson.core.JsonProcessingException ex) {
            throw new IllegalStateException(ex);
        }
        AtomicFiles.writeString(file, sb.toString());
    }

    /**
     * @param trainable parameters that trained (the most at any stage of gradual unfreezing)
     * @param total parameters of the model while it trained (with LoRA adapters)
     */
    private Map<String, Object> trainSummary(TrainingResult r, TrainConfig tc, long trainable, long total) {
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
        m.put("optimizer", tc.optimizer().kind().recipeName());
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

    @SuppressWarnings("unchecked")
    private static String tokenizerSha256(Map<String, Object> provenance) {
        return (String) ((Map<String, Object>) provenance.get("model")).get("tokenizer_sha256");
    }

    @SuppressWarnings("unchecked")
    private static String weightsSha256(Map<String, Object> provenance) {
        return (String) ((Map<String, Object>) provenance.get("model")).get("weights_sha256");
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

    /**
     * What caching the body's outputs saved: the first epoch pays for the body (over train and
     * validation) and the head; every later epoch only for the head.
     */
    static Map<String, Object> featureCacheSummary(FeatureExtraction.Features train, FeatureExtraction.Features validation,
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

    static Trainer.Options options(TrainConfig tc, long seed, float[] classWeights,
            Trainer.GradualUnfreezing gradualUnfreezing) {
        Metric metric = tc.earlyStopping() == null ? Metric.MACRO_F1 : Metric.parse(tc.earlyStopping().metric());
        return Trainer.Options.builder().epochs(tc.epochs()).maxSteps(tc.maxSteps()).batchSize(tc.batchSize())
                .evalBatchSize(tc.evalBatchSize()).learningRate(tc.learningRate())
                .headLearningRate(tc.effectiveHeadLearningRate()).weightDecay(tc.weightDecay())
                .warmupRatio(tc.warmupRatio()).schedule(tc.schedule()).maxGradNorm(tc.maxGradNorm())
                .evalEverySteps(tc.evalEverySteps()).metric(metric)
                .patience(tc.earlyStopping() == null ? null : tc.earlyStopping().patience())
                .minDelta(tc.earlyStopping() == null ? 0.0 : tc.earlyStopping().minDelta()).seed(seed)
                .layerwiseLrDecay(tc.layerwiseLrDecay()).classWeights(classWeights).gradualUnfreezing(gradualUnfreezing)
                .regularization(new Trainer.Regularization(tc.l2(), tc.l1(), tc.l2Sp())).sampler(tc.sampler())
                .onNonFinite(tc.onNonFinite()).optimizer(optimizerSettings(tc.optimizer()))
                .gradientAccumulationSteps(tc.gradientAccumulationSteps()).scheduleGamma(tc.gamma())
                .scheduleStepEpochs(tc.stepSizeEpochs()).build();
    }

    static dev.finetune4j.train.Optimizer.Settings optimizerSettings(dev.finetune4j.recipe.OptimizerConfig o) {
        return switch (o.kind()) {
            case ADAMW -> new dev.finetune4j.train.Adam.Settings(o.beta1(), o.beta2(), o.eps(), true);
            case ADAM -> new dev.finetune4j.train.Adam.Settings(o.beta1(), o.beta2(), o.eps(), false);
            case SGD -> new dev.finetune4j.train.Sgd.Settings(o.momentum(), o.dampening(), o.nesterov());
            case RMSPROP -> new dev.finetune4j.train.RmsProp.Settings(o.alpha(), o.eps(), o.momentum(), o.centered());
        };
    }

    private List<Example> read(Path file, String key, Map<String, Object> report) {
        DataConfig dc = recipe.data();
        CleanResult clean = Cleaner.clean(TabularReader.read(file, dc.format(),
                dc.textColumn(), dc.labelColumn(), dc.onBadLine(), key + " in the recipe"),
                dc.dropDuplicates());
        if (clean.report().dropped() > 0) {
            log.printf("cleaning %s (%s):%n%s%n", key, file.getFileName(), clean.report().toText());
        }
        if (clean.examples().isEmpty()) {
            throw new dev.finetune4j.UserError(file + ": no usable rows left after cleaning ("
                    + clean.report().rowsIn() + " read) — check data.text_column and data.label_column");
        }
        report.put(key.substring("data.".length()), clean.report().toMap());
        return clean.examples();
    }

    /**
     * Token ids of texts this JVM already encoded, by tokenizer, max_length and the texts' hash:
     * tuning trials tokenize the same data every trial (about half a cached trial's start-up).
     */
    private static final Map<String, List<EncodedText>> ENCODED = java.util.Collections.synchronizedMap(
            new LinkedHashMap<>(8, 0.75f, true) {
                @Override
                protected boolean removeEldestEntry(Map.Entry<String, List<EncodedText>> eldest) {
                    return size() > 6; // a study's train, validation and test sets, twice over
                }
            });

    private EncodedTexts encode(TextEncoder encoder, String tokenizerSha256, List<Example> examples, LabelSet labels,
            String name, Map<String, Object> report) {
        List<String> texts = new ArrayList<>(examples.size());
        int[] y = new int[examples.size()];
        for (int i = 0; i < y.length; i++) {
            texts.add(examples.get(i).text());
            y[i] = labels.index(examples.get(i).label());
        }
        String key = tokenizerSha256 + ":" + encoder.maxLength() + ":"
                + Provenance.sha256(String.join("\u0000", texts).getBytes(java.nio.charset.StandardCharsets.UTF_8));
        List<EncodedText> encoded = ENCODED.get(key);
        if (encoded == null) {
            encoded = encoder.encodeAll(texts);
            ENCODED.put(key, encoded);
        }
        int truncated = TextEncoder.countTruncated(encoded);
        if (truncated > 0) {
            log.printf("note: %d of %d %s texts are longer than max_length %d tokens and were truncated%n", truncated,
                    encoded.size(), name, encoder.maxLength());
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> truncation = (Map<String, Object>) report.computeIfAbsent("truncated_to_max_length",
                k -> new LinkedHashMap<String, Object>());
        truncation.put(name, truncated);
        return new EncodedTexts(encoded, y, encoder.padId());
    }

}
