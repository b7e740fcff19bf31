package dev.finetune4j.train;

import ai.djl.ndarray.NDManager;

/**
 * A labelled split in the form a model consumes, whatever the modality: the trainer only needs
 * labels, a cost per example for length bucketing, and a way to turn some examples into a batch.
 *
 * @param <B> the batch type the model takes (token ids, images, cached features ...)
 */
public interface LabelledInputs<B> {
    int size();

    /** Class index of example {@code i}. */
    int label(int i);

    /** A cost proxy (tokens for text); batches group similar lengths to reduce padding. */
    int length(int i);

    /**
     * The batch of the given examples, created in {@code scope} (closed after the step).
     * {@code context} says whether it is for training and where in the run it is: what an
     * augmentation needs to draw the same after a resume.
     */
    B collate(NDManager scope, int[] indices, BatchContext context);

    /**
     * A hint that the batch {@code collate} is asked for next is this one, so that inputs which take
     * long to make (decoded, augmented images) can make it meanwhile. Nothing by default.
     */
    default void prefetch(int[] indices, BatchContext context) {}

    /**
     * The class distribution each example of the batch is to be fitted to, [batch, classes], when it is
     * not its label alone (mixup and cutmix mix two examples' labels); null: the labels. Drawn from
     * {@code context} as {@link #collate} draws, so the two agree.
     */
    default ai.djl.ndarray.NDArray targets(NDManager scope, int[] indices, BatchContext context) {
        return null;
    }

    /** A batch outside training: no augmentation. */
    default B collate(NDManager scope, int[] indices) {
        return collate(scope, indices, BatchContext.EVALUATION);
    }

    default int[] labels() {
        int[] y = new int[size()];
        for (int i = 0; i < y.length; i++) y[i] = label(i);
        return y;
    }
}
