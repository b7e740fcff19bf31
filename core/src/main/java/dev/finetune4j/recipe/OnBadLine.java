package dev.finetune4j.recipe;

/** What to do with a data line that cannot be read: skip it (and report it) or fail. */
public enum OnBadLine {
    SKIP, FAIL;

    /** The spelling used in recipes, e.g. {@code skip}. */
    public String recipeName() {
        return RecipeNames.of(this);
    }

    /** Parses the recipe spelling; throws IllegalArgumentException naming the allowed values. */
    public static OnBadLine parse(String text) {
        return RecipeNames.parse(OnBadLine.class, text);
    }
}
