package dev.finetune4j.recipe;

import dev.finetune4j.util.RecipeNames;

/** {@code train.optimizer}: the {@code torch.optim} optimizer of the same name. */
public enum OptimizerKind {
    ADAMW, ADAM, SGD, RMSPROP;

    public String recipeName() {
        return RecipeNames.of(this);
    }

    public static OptimizerKind parse(String text) {
        return RecipeNames.parse(OptimizerKind.class, text);
    }
}
