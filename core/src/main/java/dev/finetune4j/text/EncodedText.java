package dev.finetune4j.text;

/**
 * One tokenized text: ids with the special tokens ([CLS] ... [SEP] for BERT), at most max_length long.
 *
 * @param truncated whether the text had more tokens than max_length and was cut
 */
public record EncodedText(long[] inputIds, long[] typeIds, boolean truncated) {
    public EncodedText {
        if (inputIds.length != typeIds.length) {
            throw new IllegalArgumentException(inputIds.length + " input ids but " + typeIds.length + " type ids");
        }
    }

    public int length() {
        return inputIds.length;
    }
}
