package dev.finetune4j.text;

/**
 * Encoded texts padded to the longest in the batch: {@code [batch][maxLen]} arrays; the attention
 * mask is 1 on real tokens and 0 on padding.
 */
public record PaddedBatch(long[][] inputIds, long[][] attentionMask, long[][] tokenTypeIds, int maxLen) {
    public int size() {
        return inputIds.length;
    }
}
