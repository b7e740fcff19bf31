package dev.finetune4j.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

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

    /**
     * Whether weight decay, L1, L2 and L2-SP leave a parameter alone. Models that declare their
     * modules answer by module kind (norm layers, biases, see {@link Module#takesNoDecay}); the
     * default knows only biases, by their local name.
     */
    default boolean takesNoDecay(String parameterName) {
        return parameterName.endsWith(".bias") || parameterName.equals("bias");
    }
}
