package dev.finetune4j.train;

import dev.finetune4j.util.RecipeNames;

/** What a training step whose loss or gradient is NaN or infinite does. */
public enum OnNonFinite {
    /** Stop the run with a message; checkpoints written so far stay. */
    STOP,
    /**
     * Skip the step (weights and optimizer state unchanged); a second such step within 100 steps
     * halves the learning rate from then on; more than 3 in a row stop the run.
     */
    SKIP;

    public String recipeName() {
        return RecipeNames.of(this);
    }

    public static OnNonFinite parse(String text) {
        return RecipeNames.parse(OnNonFinite.class, text);
    }
}
