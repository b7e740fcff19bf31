package dev.finetune4j.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.core.Linear;
import java.util.List;

/**
 * What the CNN bodies share: their tensors in a {@link ParameterStore}, and LoRA on the 1x1
 * convolutions and linear layers of their blocks, as PEFT adapts a Conv2d: {@code M.lora_A.weight}
 * [r, in, 1, 1] (with M's stride) then {@code M.lora_B.weight} [out, r, 1, 1], scaled by alpha / r and
 * added to M's output. Convolution adapters take no dropout (PEFT's acts on their input; the feature
 * maps of a CNN are not the token vectors it was designed for); linear ones do.
 */
public abstract class ConvolutionalBody implements Body<NDArray> {
    protected final ParameterStore params;
    private LoraHook lora;

    protected ConvolutionalBody(ParameterStore params) {
        this.params = params;
    }

    @Override
    public LoraHook lora() {
        return lora;
    }

    @Override
    public void setLora(LoraHook hook) {
        this.lora = hook;
    }

    /** The 1x1 convolutions without groups and the linear layers inside the blocks. */
    @Override
    public List<Module> loraSites() {
        return modules().stream().filter(m -> m.block() >= 0 && m.block() < blocks())
                .filter(m -> m.kind() == Module.Kind.LINEAR || m.kind() == Module.Kind.CONVOLUTION && pointwise(m))
                .toList();
    }

    private static boolean pointwise(Module m) {
        long[] w = m.parameters().get("weight");
        return w.length == 4 && w[2] == 1 && w[3] == 1 && (w[1] > 1 || w[0] == 1);
    }

    protected NDArray conv(String key, NDArray x, int stride, int padding, int groups) {
        return conv(key, x, stride, padding, padding, groups);
    }

    /** Convolution {@code key} (its adapters added when it has them). */
    protected NDArray conv(String key, NDArray x, int stride, int padRows, int padColumns, int groups) {
        NDArray y = Convolutions.conv(params, key, x, stride, padRows, padColumns, groups);
        if (lora == null || !params.contains(key + LoraHook.A)) return y;
        Shape none = new Shape(0, 0), one = new Shape(1, 1);
        NDArray down = Conv2d.conv2d(x, params.get(key + LoraHook.A), null, new Shape(stride, stride), none, one, 1)
                .singletonOrThrow();
        NDArray up = Conv2d.conv2d(down, params.get(key + LoraHook.B), null, one, none, one, 1).singletonOrThrow();
        return y.add(up.mul(lora.scaling()));
    }

    /**
     * Convolution {@code conv} then BatchNorm {@code norm}. In inference the norm is folded into the
     * convolution's weights and bias ({@code w * g / sqrt(v + eps)}, {@code (b - m) * g / sqrt(v + eps) + beta}):
     * one pass over the activations instead of two. Not when the convolution has adapters (the norm
     * scales their output too) or its norm is training.
     */
    protected NDArray convBatchNorm(String conv, String norm, NDArray x, int stride, int padRows, int padColumns,
            int groups, double eps, boolean training) {
        if (training || lora != null && params.contains(conv + LoraHook.A)) {
            return Convolutions.batchNorm(params, norm,
                    conv(conv, x, stride, padRows, padColumns, groups), eps, training);
        }
        return Convolutions.convFoldedBatchNorm(params, conv, norm, x, stride, padRows, padColumns, groups, eps);
    }

    protected NDArray convBatchNorm(String conv, String norm, NDArray x, int stride, int padding, int groups, double eps,
            boolean training) {
        return convBatchNorm(conv, norm, x, stride, padding, padding, groups, eps, training);
    }

    /** Linear layer {@code key} (its adapters added when it has them, with dropout on their input in training). */
    protected NDArray linear(String key, NDArray x, boolean training) {
        NDArray y = Linear.linear(x, params.get(key + ".weight"), params.get(key + ".bias")).singletonOrThrow();
        if (lora == null || !params.contains(key + LoraHook.A)) return y;
        NDArray in = training && lora.dropout() > 0
                ? ai.djl.nn.norm.Dropout.dropout(x, lora.dropout(), true).singletonOrThrow() : x;
        NDArray down = Linear.linear(in, params.get(key + LoraHook.A), null).singletonOrThrow();
        NDArray up = Linear.linear(down, params.get(key + LoraHook.B), null).singletonOrThrow();
        return y.add(up.mul(lora.scaling()));
    }
}
