package dev.finetune4j.pipeline;

import dev.finetune4j.recipe.ClassWeights;
import dev.finetune4j.recipe.Recipe;
import dev.finetune4j.recipe.Strategy;
import dev.finetune4j.recipe.TrainConfig;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The settings a recipe leaves out ({@code null} in the schema) that a run chooses from its
 * strategy, its data and its model: the learning rate (a head or adapters need far higher rates than
 * a whole body), the epochs (from a target number of optimizer steps), class weights (when classes
 * are imbalanced) and early stopping's patience; the modality chooses what depends on its bodies
 * ({@link Modality#choose}). Each choice is printed with its reason and written into the resolved
 * recipe, so that rerunning {@code run.json}'s recipe is the same run.
 */
public final class Defaults {
    /** One chosen setting: its dotted recipe key, the value, and why, in a user's words. */
    public record Choice(String key, Object value, String why) {}

    /** Optimizer steps a body is trained for when the recipe gives no epochs (early stopping may end it sooner). */
    static final int BODY_TARGET_STEPS = 300;
    static final int BODY_MIN_EPOCHS = 2;
    static final int BODY_MAX_EPOCHS = 20;
    /** A head on cached features: its epochs cost milliseconds, so it trains to convergence. */
    static final int HEAD_TARGET_STEPS = 5000;
    static final int HEAD_MIN_EPOCHS = 50;
    static final int HEAD_MAX_EPOCHS = 500;
    /** Largest over smallest class count from which classes are weighted by inverse frequency. */
    static final double IMBALANCED = 2.0;

    private Defaults() {}

    /**
     * What to choose for the keys {@code recipe} leaves out; {@code fromModality} (its own
     * choices) comes first and wins.
     *
     * @param classCounts training examples per class
     */
    public static List<Choice> choose(Recipe recipe, List<Choice> fromModality, int[] classCounts) {
        List<Choice> out = new ArrayList<>(fromModality);
        List<String> taken = fromModality.stream().map(Choice::key).toList();
        TrainConfig tc = recipe.train();
        Strategy strategy = recipe.strategy().type();
        boolean headOnly = strategy == Strategy.FEATURE_EXTRACTION;
        if (tc.learningRate() == null && !taken.contains("train.learning_rate")) {
            out.add(switch (strategy) {
                case FEATURE_EXTRACTION -> new Choice("train.learning_rate", 1e-2, "a linear head alone on fixed features");
                case LORA -> new Choice("train.learning_rate", 1e-3, "LoRA's adapters start at zero and train alone");
                default -> new Choice("train.learning_rate", 5e-5, "fine-tuning a whole pre-trained body");
            });
        }
        int trainSize = Arrays.stream(classCounts).sum();
        long stepsPerEpoch = Math.max(1, (long) Math.ceil(trainSize / (double) tc.effectiveBatchSize()));
        if (tc.epochs() == null) {
            if (tc.maxSteps() != null) {
                out.add(new Choice("train.epochs", (int) Math.max(1, Math.ceil(tc.maxSteps() / (double) stepsPerEpoch)),
                        "enough for train.max_steps " + tc.maxSteps()));
            } else {
                int target = headOnly ? HEAD_TARGET_STEPS : BODY_TARGET_STEPS;
                int epochs = (int) Math.max(headOnly ? HEAD_MIN_EPOCHS : BODY_MIN_EPOCHS,
                        Math.min(headOnly ? HEAD_MAX_EPOCHS : BODY_MAX_EPOCHS, Math.round(target / (double) stepsPerEpoch)));
                out.add(new Choice("train.epochs", epochs, String.format(Locale.ROOT,
                        "%,d training examples make %d optimizer steps an epoch; about %,d steps %s", trainSize,
                        stepsPerEpoch, target, headOnly ? "train a head on cached features to convergence"
                                : "fine-tune a body (early stopping may end sooner)")));
            }
        }
        if (tc.classWeights() == null) {
            int largest = Arrays.stream(classCounts).max().orElse(0);
            int smallest = Arrays.stream(classCounts).min().orElse(0);
            boolean imbalanced = smallest == 0 || largest >= IMBALANCED * smallest;
            out.add(new Choice("train.class_weights", imbalanced ? ClassWeights.AUTO : ClassWeights.NONE,
                    String.format(Locale.ROOT, "the largest class has %,d training examples, the smallest %,d: %s",
                            largest, smallest, imbalanced ? "imbalanced, so each class counts as much in the loss"
                                    : "balanced within " + IMBALANCED + "x")));
        }
        if (tc.earlyStopping() != null && tc.earlyStopping().patience() == null) {
            out.add(headOnly
                    ? new Choice("train.early_stopping.patience", 10, "epochs of a head on cached features are cheap")
                    : new Choice("train.early_stopping.patience", 2, "an epoch of a body costs a pass over the data"));
        }
        return out;
    }

    /** {@code recipe} with the choices filled in; prints each with its reason. */
    public static Recipe apply(Recipe recipe, List<Choice> choices, PrintStream log) {
        if (choices.isEmpty()) return recipe;
        Map<String, Object> settings = new LinkedHashMap<>();
        log.println("chosen (set the key in the recipe to override):");
        for (Choice c : choices) {
            settings.put(c.key(), c.value());
            log.printf("  %s: %s — %s%n", c.key(), shown(c.value()), c.why());
        }
        return recipe.with(settings);
    }

    /** The choices as {@code metrics.json} lists them: key -> {value, why}. */
    public static Map<String, Object> toMap(List<Choice> choices) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (Choice c : choices) {
            Map<String, Object> entry = new LinkedHashMap<>();
            entry.put("value", c.value() instanceof Enum<?> e ? dev.finetune4j.util.RecipeNames.of(e) : c.value());
            entry.put("why", c.why());
            m.put(c.key(), entry);
        }
        return m;
    }

    private static String shown(Object value) {
        if (value instanceof Enum<?> e) return dev.finetune4j.util.RecipeNames.of(e);
        if (value instanceof Double d) return String.format(Locale.ROOT, "%.1e", d);
        return String.valueOf(value);
    }
}
