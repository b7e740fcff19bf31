package dev.finetune4j.model;

import ai.djl.ndarray.NDArray;

/**
 * One padded batch of token sequences, all int64 [batch, length], in a step-scoped manager.
 * {@code attentionMask} is 1 for real tokens and 0 for padding.
 */
public record TextBatch(NDArray inputIds, NDArray attentionMask, NDArray tokenTypeIds) {
    public long batchSize() {
        return inputIds.getShape().get(0);
    }

    public long length() {
        return inputIds.getShape().get(1);
    }
}
