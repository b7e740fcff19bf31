package dev.finetune4j.recipe;

import dev.finetune4j.model.Pooling;

/**
 * The classification head put on top of the encoder.
 *
 * @param pooling {@code null}: the modality chooses (the model's own pooling)
 * @param dropout dropout before the classifier; {@code null} means the model's hidden_dropout_prob
 */
public record HeadConfig(Pooling pooling, Double dropout) {
    public HeadConfig {
        Checks.fraction(dropout, "head.dropout");
    }
}
