package dev.finetune4j.model.bert;

/**
 * The architecture of a BERT-family encoder, with the field names of Hugging Face's
 * {@code config.json} ({@code BertConfig}). Defaults are BERT-base's.
 *
 * @param hiddenAct "gelu" (exact, erf) is what BERT, MiniLM, BGE and E5 use
 */
public record BertConfig(
        int vocabSize,
        int hiddenSize,
        int numHiddenLayers,
        int numAttentionHeads,
        int intermediateSize,
        String hiddenAct,
        double hiddenDropoutProb,
        double attentionProbsDropoutProb,
        int maxPositionEmbeddings,
        int typeVocabSize,
        double layerNormEps,
        int padTokenId) {

    public BertConfig {
        if (hiddenSize <= 0 || numHiddenLayers <= 0 || numAttentionHeads <= 0 || intermediateSize <= 0) {
            throw new IllegalArgumentException("sizes must be positive");
        }
        if (hiddenSize % numAttentionHeads != 0) {
            throw new IllegalArgumentException(
                    "hidden_size " + hiddenSize + " is not a multiple of num_attention_heads " + numAttentionHeads);
        }
        if (!hiddenAct.equals("gelu")) {
            throw new IllegalArgumentException("hidden_act '" + hiddenAct + "' is not supported (only 'gelu')");
        }
    }

    public int headDim() {
        return hiddenSize / numAttentionHeads;
    }

    /** A tiny configuration for unit tests with random weights. */
    public static BertConfig tiny(int vocabSize) {
        return new BertConfig(vocabSize, 32, 2, 4, 64, "gelu", 0.1, 0.1, 64, 2, 1e-12, 0);
    }
}
