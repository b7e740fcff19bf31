package dev.finetune4j.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.List;

/**
 * A pre-trained network without its task head: one feature vector per example. Its tensors live
 * in the task model's {@link ParameterStore}; {@link #modules()} declares them by their full keys,
 * and what each module is decides how strategies treat it (see {@link Module}).
 *
 * @param <B> the batch it takes (token ids, images)
 */
public interface Body<B> {
    /** Its modules with full keys, in checkpoint order. */
    List<Module> modules();

    /** How many blocks (encoder layers, stages) it has; modules name theirs. */
    int blocks();

    /** Features [batch, {@link #featureSize()}], computed in {@code step}. */
    NDArray features(NDManager step, B batch, boolean training);

    long featureSize();

    /** The LoRA settings, or null when it has no adapters. */
    LoraHook lora();

    void setLora(LoraHook hook);

    /** The linear modules inside its blocks: where LoRA adapters can go. */
    default List<Module> loraSites() {
        return modules().stream()
                .filter(m -> m.kind() == Module.Kind.LINEAR && m.block() >= 0 && m.block() < blocks())
                .toList();
    }
}
