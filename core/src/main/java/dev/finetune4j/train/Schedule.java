package dev.finetune4j.train;

import dev.finetune4j.util.RecipeNames;

/** Learning-rate schedule ({@link dev.finetune4j.train.LearningRateSchedule} defines each). */
public enum Schedule {
    LINEAR, COSINE, CONSTANT, STEP, EXPONENTIAL, ONE_CYCLE;

    /** The spelling used in recipes, e.g. {@code linear}. */
    public String recipeName() {
        return RecipeNames.of(this);
    }

    /**
     * The decay factor {@code train.gamma} defaults to: PyTorch's {@code StepLR} default 0.1, and 0.9
     * (the {@code ExponentialLR} example in PyTorch's documentation) for {@code exponential}; the
     * other schedules do not use it.
     */
    public double defaultGamma() {
        return this == EXPONENTIAL ? 0.9 : 0.1;
    }

    /** Parses the recipe spelling; throws IllegalArgumentException naming the allowed values. */
    public static Schedule parse(String text) {
        return RecipeNames.parse(Schedule.class, text);
    }
}
