package dev.finetune4j.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.finetune4j.model.ParameterStore;

/** What the trainer trains: logits from a batch, over a set of named parameters. */
public interface TrainableModel<B> {
    /** Logits [batch, classes], computed in {@code step}. */
    NDArray logits(NDManager step, B batch, boolean training);

    ParameterStore parameters();

    /** Whether a parameter belongs to the new task head (it may get its own learning rate). */
    boolean isHead(String parameterName);

    /**
     * How far below the head a parameter sits (head 0, then 1, 2, ... downwards), for
     * discriminative learning rates. Models without layers answer 0 for everything.
     */
    default int depthFromTop(String parameterName) {
        return 0;
    }
}
