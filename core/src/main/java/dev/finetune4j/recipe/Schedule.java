package dev.finetune4j.recipe;

/** Learning-rate schedule ({@link dev.finetune4j.train.LearningRateSchedule} defines each). */
public enum Schedule {
    LINEAR, COSINE, CONSTANT, STEP, EXPONENTIAL, ONE_CYCLE;

    /** The spelling used in recipes, e.g. {@code linear}. */
    public String recipeName() {
        return RecipeNames.of(this);
    }

    /** Parses the recipe spelling; throws IllegalArgumentException naming the allowed values. */
    public static Schedule parse(String text) {
        return RecipeNames.parse(Schedule.class, text);
    }
}
