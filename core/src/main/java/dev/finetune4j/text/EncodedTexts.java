package dev.finetune4j.text;

import ai.djl.ndarray.NDManager;
import dev.finetune4j.data.EncodedText;
import dev.finetune4j.data.PaddedBatch;
import dev.finetune4j.data.TextEncoder;
import dev.finetune4j.model.TextBatch;
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

    @Override
    public TextBatch collate(NDManager step, int[] indices) {
        List<EncodedText> chosen = new ArrayList<>(indices.length);
        for (int i : indices) chosen.add(texts.get(i));
        PaddedBatch b = TextEncoder.collate(chosen, padId);
        return new TextBatch(step.create(b.inputIds()), step.create(b.attentionMask()), step.create(b.tokenTypeIds()));
    }
}
