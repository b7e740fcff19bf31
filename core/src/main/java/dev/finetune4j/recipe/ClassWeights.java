package dev.finetune4j.recipe;

import dev.finetune4j.util.RecipeNames;

/** How much each class's examples count in the loss. */
public enum ClassWeights {
    /** Every example counts the same. */
    NONE,
    /** Inverse frequency, {@code n / (classes * count)} (scikit-learn's "balanced"). */
    AUTO;

    public String recipeName() {
        return RecipeNames.of(this);
    }

    public static ClassWeights parse(String text) {
        return RecipeNames.parse(ClassWeights.class, text);
    }
}
