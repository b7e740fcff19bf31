package dev.finetune4j.recipe;

import java.nio.file.Path;
import java.util.Map;

/**
 * A validated training recipe, as read by {@link RecipeLoader}.
 *
 * @param model a catalogue id or a path; a relative path is relative to {@code baseDir}
 * @param settings the keys of the recipe's task ({@link TaskKeys}); {@link #settings(Class)} gives them typed
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
        EvalConfig eval,
        TaskKeys.TaskSettings settings,
        Path baseDir) {

    public Recipe {
        Checks.notBlank(name, "name");
        Checks.notBlank(task, "task");
        Checks.notBlank(model, "model");
        Checks.notNull(data, "data");
        Checks.notNull(head, "head");
        Checks.notNull(strategy, "strategy");
        Checks.notNull(train, "train");
        Checks.notNull(eval, "eval");
        Checks.notNull(settings, "settings");
        Checks.check(notNullBase(baseDir).isAbsolute(), "baseDir must be absolute, got " + baseDir);
    }

    /** The task's own settings, e.g. {@code recipe.settings(TextSettings.class).data().maxLength()}. */
    public <T extends TaskKeys.TaskSettings> T settings(Class<T> type) {
        if (!type.isInstance(settings)) {
            throw new IllegalStateException("the recipe's task " + task + " has " + settings.getClass().getSimpleName()
                    + ", not " + type.getSimpleName());
        }
        return type.cast(settings);
    }

    /**
     * The resolved recipe with its files as absolute paths, so that it runs from wherever it is
     * written (a tuning study's best recipe, the recipe an export records).
     */
    @SuppressWarnings("unchecked")
    public Map<String, Object> portable() {
        Map<String, Object> m = new java.util.LinkedHashMap<>(resolved());
        Map<String, Object> d = new java.util.LinkedHashMap<>((Map<String, Object>) m.get("data"));
        d.put("train", data.train().toString());
        if (data.validation() != null) d.put("validation", data.validation().toString());
        if (data.test() != null) d.put("test", data.test().toString());
        m.put("data", d);
        Path modelPath = baseDir.resolve(model);
        if (java.nio.file.Files.exists(modelPath)) m.put("model", modelPath.toAbsolutePath().normalize().toString());
        return m;
    }

    private static Path notNullBase(Path baseDir) {
        return Checks.notNull(baseDir, "baseDir");
    }

    /**
     * This recipe with some settings replaced, by dotted key ({@code train.learning_rate}); an enum
     * value is written in recipe spelling. For settings a run chooses; the values are not checked
     * against the schema again, only by the records.
     */
    public Recipe with(Map<String, Object> settings) {
        return RecipeBinding.with(this, settings);
    }

    /**
     * Every setting, defaults filled in, under the recipe's key names and in its order, for
     * provenance (write it with {@link RecipeLoader#toYaml}). Paths inside {@code baseDir} are
     * written relative to it, others absolute, so the map read back from the same directory gives
     * an equal recipe.
     */
    public Map<String, Object> resolved() {
        return RecipeBinding.resolved(this);
    }
}
