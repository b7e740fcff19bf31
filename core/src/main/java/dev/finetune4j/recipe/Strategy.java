package dev.finetune4j.recipe;

/** Which weights are trained: all of them, or only the head on a frozen encoder. */
public enum Strategy {
    FULL, FEATURE_EXTRACTION;

    /** The spelling used in recipes, e.g. {@code full}. */
    public String recipeName() {
        return RecipeNames.of(this);
    }

    /** Parses the recipe spelling; throws IllegalArgumentException naming the allowed values. */
    public static Strategy parse(String text) {
        return RecipeNames.parse(Strategy.class, text);
    }
}
