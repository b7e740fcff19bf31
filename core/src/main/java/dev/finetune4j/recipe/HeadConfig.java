package dev.finetune4j.recipe;

import dev.finetune4j.model.Pooling;

/**
 * The classification head put on top of the encoder.
 *
 * @param dropout dropout before the classifier; {@code null} means the model's hidden_dropout_prob
 */
public record HeadConfig(Pooling pooling, Double dropout) {
    public HeadConfig {
        Checks.notNull(pooling, "head.pooling");
        Checks.fraction(dropout, "head.dropout");
    }
}
