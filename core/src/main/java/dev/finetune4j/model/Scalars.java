package dev.finetune4j.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

/**
 * Scalar operands for differentiable ops. DJL's {@code mul(Number)}, {@code muli(Number)},
 * {@code div(Number)} and the like wrap the number in a tensor over a Java direct buffer and close
 * it as soon as the op returns; autograd keeps that tensor for the backward pass (the gradient of
 * {@code x * s} needs {@code s}), so once the garbage collector frees the buffer, the backward pass
 * reads freed memory: gradients scaled by whatever was written there since (1e18 or 1e33 in the
 * attention query and key, NaN below them), differing run to run with the collector's timing.
 * Every number that a differentiable op multiplies or divides by goes through here instead: the
 * tensor lives in the step's manager until after the backward pass.
 */
public final class Scalars {
    private Scalars() {}

    /** A 0-dimensional float32 tensor in {@code scope}, closed with it. */
    public static NDArray of(NDManager scope, float value) {
        return scope.create(value);
    }
}
