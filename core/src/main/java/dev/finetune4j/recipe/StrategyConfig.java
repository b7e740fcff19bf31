package dev.finetune4j.recipe;

import java.util.List;
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
 * @param rank {@link Strategy#LORA} only: the adapters' rank r, >= 1 (default 8)
 * @param alpha {@link Strategy#LORA} only: the scaling numerator, updates are scaled by alpha / r, > 0 (default 16)
 * @param dropout {@link Strategy#LORA} only: dropout on the adapters' input in training, in [0, 1) (default 0.1)
 * @param targets {@link Strategy#LORA} only: module-name suffixes of the encoder's Linear modules that get
 *     adapters, non-empty (default [query, value])
 * @param trainBiases {@link Strategy#LORA} only: every bias trains too (default false)
 * @param trainLayerNorm {@link Strategy#LORA} only: every LayerNorm trains too (default false)
 */
public record StrategyConfig(
        Strategy type,
        boolean freezeEmbeddings,
        int freezeLayers,
        String freezePattern,
        Integer unfreezeEverySteps,
        int rank,
        double alpha,
        double dropout,
        List<String> targets,
        boolean trainBiases,
        boolean trainLayerNorm) {

    public static final boolean DEFAULT_FREEZE_EMBEDDINGS = true;
    public static final int DEFAULT_FREEZE_LAYERS = 0;
    public static final int DEFAULT_LORA_RANK = 8;
    public static final double DEFAULT_LORA_ALPHA = 16;
    public static final double DEFAULT_LORA_DROPOUT = 0.1;
    public static final List<String> DEFAULT_LORA_TARGETS = List.of("query", "value");

    /** The settings of every type but {@link Strategy#LORA}; the LoRA ones at their defaults. */
    public StrategyConfig(Strategy type, boolean freezeEmbeddings, int freezeLayers, String freezePattern,
            Integer unfreezeEverySteps) {
        this(type, freezeEmbeddings, freezeLayers, freezePattern, unfreezeEverySteps, DEFAULT_LORA_RANK,
                DEFAULT_LORA_ALPHA, DEFAULT_LORA_DROPOUT, DEFAULT_LORA_TARGETS, false, false);
    }

    public StrategyConfig {
        Checks.notNull(type, "strategy.type");
        Checks.notNull(targets, "strategy.targets");
        targets = List.copyOf(targets);
        Checks.atLeast(rank, 1, "strategy.rank");
        Checks.check(alpha > 0 && !Double.isInfinite(alpha), "strategy.alpha must be > 0, got " + alpha);
        Checks.fraction(dropout, "strategy.dropout");
        Checks.check(!targets.isEmpty(), "strategy.targets must not be empty");
        for (String t : targets) Checks.check(!t.isBlank(), "strategy.targets must not contain an empty name");
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
        if (type != Strategy.LORA) {
            onlyFor(rank == DEFAULT_LORA_RANK, "rank", Strategy.LORA);
            onlyFor(alpha == DEFAULT_LORA_ALPHA, "alpha", Strategy.LORA);
            onlyFor(dropout == DEFAULT_LORA_DROPOUT, "dropout", Strategy.LORA);
            onlyFor(targets.equals(DEFAULT_LORA_TARGETS), "targets", Strategy.LORA);
            onlyFor(!trainBiases, "train_biases", Strategy.LORA);
            onlyFor(!trainLayerNorm, "train_layer_norm", Strategy.LORA);
        }
    }

    private static void onlyFor(boolean isDefault, String key, Strategy type) {
        Checks.check(isDefault, "strategy." + key + " applies only to type " + type.recipeName());
    }

    /** {@code type} with every other setting at its default; {@code strategy: full} is {@code of(FULL)}. */
    public static StrategyConfig of(Strategy type) {
        return new StrategyConfig(type, DEFAULT_FREEZE_EMBEDDINGS, DEFAULT_FREEZE_LAYERS, null, null,
                DEFAULT_LORA_RANK, DEFAULT_LORA_ALPHA, DEFAULT_LORA_DROPOUT, DEFAULT_LORA_TARGETS, false, false);
    }

    /** {@code freezePattern} compiled, or {@code null} when there is none. */
    public Pattern compiledFreezePattern() {
        return freezePattern == null ? null : Pattern.compile(freezePattern);
    }
}
