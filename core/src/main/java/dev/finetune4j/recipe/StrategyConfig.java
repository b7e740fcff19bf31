package dev.finetune4j.recipe;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import java.util.List;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * The recipe's {@code strategy}: which weights train, one record per {@link Strategy} with the
 * settings of that type only. The recipe's key names are the components' names in snake case
 * ({@code freeze_layers}); the schema holds their defaults and ranges.
 *
 * <p>Java 17 has no pattern switch, so code that treats each type differently switches over
 * {@link #type()} (exhaustive over the enum) and casts to the record it names.
 */
@JsonPropertyOrder({"type"})
public sealed interface StrategyConfig {
    /** The type, written first as the recipe's {@code strategy.type}. */
    @JsonProperty(value = "type", access = JsonProperty.Access.READ_ONLY)
    Strategy type();

    /** The record that holds a type's settings. */
    static Class<? extends StrategyConfig> recordOf(Strategy type) {
        return switch (type) {
            case FULL -> Full.class;
            case FEATURE_EXTRACTION -> FeatureExtraction.class;
            case PARTIAL -> Partial.class;
            case GRADUAL_UNFREEZE -> GradualUnfreeze.class;
            case LORA -> Lora.class;
        };
    }

    /** {@code type} with its settings at the schema's defaults; {@code strategy: full} is {@code of(FULL)}. */
    static StrategyConfig of(Strategy type) {
        return RecipeBinding.strategy(type);
    }

    /** Every weight trains. */
    record Full() implements StrategyConfig {
        @Override
        public Strategy type() {
            return Strategy.FULL;
        }
    }

    /** The body is frozen and run once; only the head trains, on the cached features. */
    record FeatureExtraction() implements StrategyConfig {
        @Override
        public Strategy type() {
            return Strategy.FEATURE_EXTRACTION;
        }
    }

    /**
     * All but a frozen part train.
     *
     * @param freezeEmbeddings the embeddings stay frozen
     * @param freezeLayers the first K blocks stay frozen, >= 0
     * @param freezePattern a Java regex; a parameter whose name it finds ({@link java.util.regex.Matcher#find()})
     *     stays frozen; {@code null}: none
     */
    record Partial(boolean freezeEmbeddings, int freezeLayers, String freezePattern) implements StrategyConfig {
        public Partial {
            Checks.atLeast(freezeLayers, 0, "strategy.freeze_layers");
            if (freezePattern != null) {
                try {
                    Pattern.compile(freezePattern);
                } catch (PatternSyntaxException e) {
                    throw new IllegalArgumentException("strategy.freeze_pattern is not a valid regular expression: "
                            + e.getDescription(), e);
                }
            }
        }

        @Override
        public Strategy type() {
            return Strategy.PARTIAL;
        }

        /** {@code freezePattern} compiled, or {@code null} when there is none. */
        public Pattern compiledFreezePattern() {
            return freezePattern == null ? null : Pattern.compile(freezePattern);
        }
    }

    /**
     * The head trains first, then one more block group from the top at a time.
     *
     * @param unfreezeEverySteps {@code null}: one more group each epoch; else one every N optimizer steps, >= 1
     */
    record GradualUnfreeze(Integer unfreezeEverySteps) implements StrategyConfig {
        public GradualUnfreeze {
            Checks.atLeast(unfreezeEverySteps, 1, "strategy.unfreeze_every_steps");
        }

        @Override
        public Strategy type() {
            return Strategy.GRADUAL_UNFREEZE;
        }
    }

    /**
     * Low-rank adapters on a frozen body (PEFT's {@code LoraConfig}).
     *
     * @param rank the adapters' rank r, >= 1
     * @param alpha the scaling numerator: updates are scaled by alpha / r, > 0
     * @param dropout dropout on the adapters' input in training, in [0, 1)
     * @param targets module-name suffixes of the body's linear modules that get adapters, non-empty
     * @param trainBiases every bias trains too
     * @param trainLayerNorm every norm layer trains too
     */
    record Lora(int rank, double alpha, double dropout, List<String> targets, boolean trainBiases,
            boolean trainLayerNorm) implements StrategyConfig {
        public Lora {
            Checks.atLeast(rank, 1, "strategy.rank");
            Checks.check(alpha > 0 && !Double.isInfinite(alpha), "strategy.alpha must be > 0, got " + alpha);
            Checks.fraction(dropout, "strategy.dropout");
            Checks.notNull(targets, "strategy.targets");
            targets = List.copyOf(targets);
            Checks.check(!targets.isEmpty(), "strategy.targets must not be empty");
            for (String t : targets) Checks.check(!t.isBlank(), "strategy.targets must not contain an empty name");
        }

        /** The schema's defaults, PEFT's {@code LoraConfig()} for BERT: r 8, alpha 16, dropout 0.1, query and value. */
        public static Lora defaults() {
            return (Lora) of(Strategy.LORA);
        }

        @Override
        public Strategy type() {
            return Strategy.LORA;
        }

        public float scaling() {
            return (float) (alpha / rank);
        }
    }
}
