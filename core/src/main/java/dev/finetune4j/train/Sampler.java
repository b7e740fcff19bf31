package dev.finetune4j.train;

import dev.finetune4j.util.RecipeNames;

/** Which training examples an epoch visits. */
public enum Sampler {
    /** Every example once per epoch, in a fresh random order. */
    SHUFFLE,
    /**
     * As many examples per epoch as the training split has, drawn equally from every class: a
     * minority class repeats, a majority class is visited in turn over the epochs.
     */
    BALANCED;

    public String recipeName() {
        return RecipeNames.of(this);
    }

    public static Sampler parse(String text) {
        return RecipeNames.parse(Sampler.class, text);
    }
}
