package dev.finetune4j.text;

import ai.djl.ndarray.NDManager;
import dev.finetune4j.model.TextBatch;
import dev.finetune4j.train.BatchContext;
import dev.finetune4j.train.LabelledInputs;
import java.util.ArrayList;
import java.util.List;

/** A tokenized, labelled split; batches are padded to their longest sequence (dynamic padding). */
public final class EncodedTexts implements LabelledInputs<TextBatch> {
    private final List<EncodedText> texts;
    private final int[] labels;
    private final long padId;

    public EncodedTexts(List<EncodedText> texts, int[] labels, long padId) {
        if (texts.size() != labels.length) throw new IllegalArgumentException("texts and labels differ in size");
        this.texts = List.copyOf(texts);
        this.labels = labels.clone();
        this.padId = padId;
    }

    @Override
    public int size() {
        return texts.size();
    }

    @Override
    public int label(int i) {
        return labels[i];
    }

    @Override
    public int length(int i) {
        return texts.get(i).inputIds().length;
    }

    /** A digest of every token id and type id in order: the same digest means the same model inputs. */
    public String digest() {
        try {
            java.security.MessageDigest md = java.security.MessageDigest.getInstance("SHA-256");
            java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(8);
            for (EncodedText t : texts) {
                for (long id : t.inputIds()) md.update(b.clear().putLong(id).array());
                md.update(b.clear().putLong(-1).array());
                for (long id : t.typeIds()) md.update(b.clear().putLong(id).array());
                md.update(b.clear().putLong(-2).array());
            }
            return java.util.HexFormat.of().formatHex(md.digest());
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public TextBatch collate(NDManager step, int[] indices, BatchContext context) {
        List<EncodedText> chosen = new ArrayList<>(indices.length);
        for (int i : indices) chosen.add(texts.get(i));
        PaddedBatch b = TextEncoder.collate(chosen, padId);
        return new TextBatch(step.create(b.inputIds()), step.create(b.attentionMask()), step.create(b.tokenTypeIds()));
    }
}
