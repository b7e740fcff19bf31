package dev.finetune4j.recipe;

/** What a training step whose loss or gradient is NaN or infinite does. */
public enum OnNonFinite {
    /** Stop the run with a message; checkpoints written so far stay. */
    STOP,
    /** Skip the step (weights and optimizer state unchanged) and halve the learning rate from then on. */
    SKIP;

    public String recipeName() {
        return RecipeNames.of(this);
    }

    public static OnNonFinite parse(String text) {
        return RecipeNames.parse(OnNonFinite.class, text);
    }
}
