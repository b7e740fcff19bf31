package dev.finetune4j.recipe;

import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * The recipe's {@code strategy}: which weights train. A setting that does not apply to {@code type}
 * must keep its default (the loader reports one set to anything else).
 *
 * @param freezeEmbeddings {@link Strategy#PARTIAL} only: the embeddings stay frozen (default true)
 * @param freezeLayers {@link Strategy#PARTIAL} only: the first K encoder layers stay frozen, >= 0 (default 0)
 * @param freezePattern {@link Strategy#PARTIAL} only: a Java regex; a parameter whose name it finds
 *     ({@link java.util.regex.Matcher#find()}) stays frozen; {@code null}: none (the default)
 * @param unfreezeEverySteps {@link Strategy#GRADUAL_UNFREEZE} only: {@code null} unfreezes one more
 *     layer group each epoch (the default); else one every N optimizer steps, >= 1
 */
public record StrategyConfig(
        Strategy type,
        boolean freezeEmbeddings,
        int freezeLayers,
        String freezePattern,
        Integer unfreezeEverySteps) {

    public static final boolean DEFAULT_FREEZE_EMBEDDINGS = true;
    public static final int DEFAULT_FREEZE_LAYERS = 0;

    public StrategyConfig {
        Checks.notNull(type, "strategy.type");
        Checks.atLeast(freezeLayers, 0, "strategy.freeze_layers");
        Checks.atLeast(unfreezeEverySteps, 1, "strategy.unfreeze_every_steps");
        if (freezePattern != null) {
            try {
                Pattern.compile(freezePattern);
            } catch (PatternSyntaxException e) {
                throw new IllegalArgumentException("strategy.freeze_pattern is not a valid regular expression: "
                        + e.getDescription(), e);
            }
        }
        if (type != Strategy.PARTIAL) {
            onlyFor(freezeEmbeddings == DEFAULT_FREEZE_EMBEDDINGS, "freeze_embeddings", Strategy.PARTIAL);
            onlyFor(freezeLayers == DEFAULT_FREEZE_LAYERS, "freeze_layers", Strategy.PARTIAL);
            onlyFor(freezePattern == null, "freeze_pattern", Strategy.PARTIAL);
        }
        if (type != Strategy.GRADUAL_UNFREEZE) {
            onlyFor(unfreezeEverySteps == null, "unfreeze_every_steps", Strategy.GRADUAL_UNFREEZE);
        }
    }

    private static void onlyFor(boolean isDefault, String key, Strategy type) {
        Checks.check(isDefault, "strategy." + key + " applies only to type " + type.recipeName());
    }

    /** {@code type} with every other setting at its default; {@code strategy: full} is {@code of(FULL)}. */
    public static StrategyConfig of(Strategy type) {
        return new StrategyConfig(type, DEFAULT_FREEZE_EMBEDDINGS, DEFAULT_FREEZE_LAYERS, null, null);
    }

    /** {@code freezePattern} compiled, or {@code null} when there is none. */
    public Pattern compiledFreezePattern() {
        return freezePattern == null ? null : Pattern.compile(freezePattern);
    }
}
