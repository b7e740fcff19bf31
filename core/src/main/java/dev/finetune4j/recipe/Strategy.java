package dev.finetune4j.recipe;

import dev.finetune4j.util.RecipeNames;

/**
 * Which weights are trained: all of them, only the head on a frozen encoder, all but a frozen part
 * (embeddings, the first layers, parameters matching a pattern), or layer groups unfrozen top-down
 * as training goes on, or low-rank adapters (LoRA) on a frozen encoder. The settings of each are in {@link StrategyConfig}.
 */
public enum Strategy {
    FULL, FEATURE_EXTRACTION, PARTIAL, GRADUAL_UNFREEZE, LORA;

    /** The spelling used in recipes, e.g. {@code gradual-unfreeze}. */
    public String recipeName() {
        return RecipeNames.of(this);
    }

    /** Parses the recipe spelling; throws IllegalArgumentException naming the allowed values. */
    public static Strategy parse(String text) {
        return RecipeNames.parse(Strategy.class, text);
    }
}
