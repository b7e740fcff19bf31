package dev.finetune4j.recipe;

/** How the classification head pools token states; {@code pooler} is BertForSequenceClassification's CLS, dense, tanh. */
public enum Pooling {
    POOLER, CLS, MEAN;

    /** The spelling used in recipes, e.g. {@code pooler}. */
    public String recipeName() {
        return RecipeNames.of(this);
    }

    /** Parses the recipe spelling; throws IllegalArgumentException naming the allowed values. */
    public static Pooling parse(String text) {
        return RecipeNames.parse(Pooling.class, text);
    }
}
