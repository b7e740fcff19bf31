package dev.finetune4j.model;

/** How a sequence of hidden states becomes one feature vector for a classification head. */
public enum Pooling {
    /** Hugging Face {@code BertForSequenceClassification}: tanh(dense(hidden state of [CLS])). */
    POOLER,
    /** The hidden state of the first token ([CLS]) as it is. */
    CLS,
    /** The mean over the non-padding tokens (sentence-transformers' default). */
    MEAN;

    public String recipeName() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }

    /** Parses the recipe spelling; throws IllegalArgumentException naming the allowed values. */
    public static Pooling parse(String text) {
        for (Pooling p : values()) {
            if (p.recipeName().equals(text)) return p;
        }
        throw new IllegalArgumentException("'" + text + "' is not one of: pooler, cls, mean");
    }
}
