package dev.finetune4j.recipe;

import dev.finetune4j.train.Schedule;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A validated training recipe, as read by {@link RecipeLoader}.
 *
 * @param model a catalogue id or a path; a relative path is relative to {@code baseDir}
 * @param baseDir the directory of the recipe file, absolute; relative paths in the recipe are relative to it
 */
public record Recipe(
        String name,
        String task,
        String model,
        long seed,
        DataConfig data,
        HeadConfig head,
        StrategyConfig strategy,
        TrainConfig train,
        Path baseDir) {

    /** The tasks a recipe can ask for. */
    public static final List<String> TASKS = List.of("text-classification");

    public Recipe {
        Checks.notBlank(name, "name");
        Checks.check(TASKS.contains(task), "task '" + task + "' is not one of " + TASKS);
        Checks.notBlank(model, "model");
        Checks.notNull(data, "data");
        Checks.notNull(head, "head");
        Checks.notNull(strategy, "strategy");
        Checks.notNull(train, "train");
        Checks.check(notNullBase(baseDir).isAbsolute(), "baseDir must be absolute, got " + baseDir);
    }

    private static Path notNullBase(Path baseDir) {
        return Checks.notNull(baseDir, "baseDir");
    }

    /**
     * Every setting, defaults filled in, under the recipe's key names and in its order, for
     * provenance (write it with {@link RecipeLoader#toYaml}). Paths inside {@code baseDir} are
     * written relative to it, others absolute, so the map read back from the same directory gives
     * an equal recipe.
     */
    public Map<String, Object> resolved() {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("name", name);
        out.put("task", task);
        out.put("model", model);
        out.put("seed", seed);
        Map<String, Object> d = new LinkedHashMap<>();
        d.put("train", relative(data.train()));
        d.put("validation", relative(data.validation()));
        d.put("test", relative(data.test()));
        d.put("format", data.format().recipeName());
        d.put("text_column", data.textColumn());
        d.put("label_column", data.labelColumn());
        d.put("max_length", data.maxLength());
        d.put("validation_fraction", data.validationFraction());
        d.put("test_fraction", data.testFraction());
        d.put("drop_duplicates", data.dropDuplicates());
        d.put("on_bad_line", data.onBadLine().recipeName());
        out.put("data", d);
        Map<String, Object> h = new LinkedHashMap<>();
        h.put("pooling", head.pooling().recipeName());
        h.put("dropout", head.dropout());
        out.put("head", h);
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("type", strategy.type().recipeName());
        s.put("freeze_embeddings", strategy.freezeEmbeddings());
        s.put("freeze_layers", strategy.freezeLayers());
        s.put("freeze_pattern", strategy.freezePattern());
        s.put("unfreeze_every_steps", strategy.unfreezeEverySteps());
        s.put("rank", strategy.rank());
        s.put("alpha", strategy.alpha());
        s.put("dropout", strategy.dropout());
        s.put("targets", strategy.targets());
        s.put("train_biases", strategy.trainBiases());
        s.put("train_layer_norm", strategy.trainLayerNorm());
        out.put("strategy", s);
        Map<String, Object> t = new LinkedHashMap<>();
        t.put("epochs", train.epochs());
        t.put("max_steps", train.maxSteps());
        t.put("batch_size", train.batchSize());
        t.put("eval_batch_size", train.evalBatchSize());
        t.put("learning_rate", train.learningRate());
        t.put("head_learning_rate", train.headLearningRate());
        t.put("layerwise_lr_decay", train.layerwiseLrDecay());
        t.put("optimizer", train.optimizer().kind().recipeName());
        t.put("betas", List.of(train.optimizer().beta1(), train.optimizer().beta2()));
        t.put("eps", train.optimizer().eps());
        // Settings for another optimizer or schedule are written as their defaults: a resolved recipe reads back.
        OptimizerKind kind = train.optimizer().kind();
        t.put("momentum", kind == OptimizerKind.SGD || kind == OptimizerKind.RMSPROP ? train.optimizer().momentum() : null);
        t.put("nesterov", train.optimizer().nesterov());
        t.put("dampening", train.optimizer().dampening());
        t.put("alpha", train.optimizer().alpha());
        t.put("centered", train.optimizer().centered());
        t.put("weight_decay", train.weightDecay());
        t.put("gradient_accumulation_steps", train.gradientAccumulationSteps());
        t.put("class_weights", train.classWeights().recipeName());
        t.put("sampler", train.sampler().recipeName());
        t.put("checkpoint_every_steps", train.checkpointEverySteps());
        t.put("keep_checkpoints", train.keepCheckpoints());
        t.put("on_non_finite", train.onNonFinite().recipeName());
        t.put("l2", train.l2());
        t.put("l1", train.l1());
        t.put("l2_sp", train.l2Sp());
        t.put("warmup_ratio", train.warmupRatio());
        t.put("schedule", train.schedule().recipeName());
        t.put("gamma", train.schedule() == Schedule.STEP || train.schedule() == Schedule.EXPONENTIAL ? train.gamma() : null);
        t.put("step_size_epochs", train.stepSizeEpochs());
        t.put("max_grad_norm", train.maxGradNorm());
        t.put("hidden_dropout", train.hiddenDropout());
        t.put("eval_every_steps", train.evalEverySteps());
        EarlyStopping es = train.earlyStopping();
        if (es == null) {
            t.put("early_stopping", false);
        } else {
            Map<String, Object> e = new LinkedHashMap<>();
            e.put("metric", es.metric());
            e.put("patience", es.patience());
            e.put("min_delta", es.minDelta());
            t.put("early_stopping", e);
        }
        t.put("threads", train.threads());
        out.put("train", t);
        return out;
    }

    private String relative(Path path) {
        if (path == null) {
            return null;
        }
        Path normal = path.toAbsolutePath().normalize();
        return normal.startsWith(baseDir) ? baseDir.relativize(normal).toString() : normal.toString();
    }
}
