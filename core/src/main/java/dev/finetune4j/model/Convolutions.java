package dev.finetune4j.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.norm.BatchNorm;
import java.util.LinkedHashMap;
import java.util.Map;

/** The convolution and BatchNorm of CNN bodies, over tensors in a {@link ParameterStore} by their checkpoint keys. */
public final class Convolutions {
    /** DJL's momentum is the weight of the old running value: torch's momentum 0.1. */
    public static final float MOMENTUM = 0.9f;

    private Convolutions() {}

    /** torchvision's {@code _make_divisible}: to a multiple of 8 (at least 8), never more than 10 % below. */
    public static int makeDivisible(double v) {
        int d = Math.max(8, (int) (v + 4) / 8 * 8);
        return d < 0.9 * v ? d + 8 : d;
    }

    /** A convolution's module: {@code weight [out, in / groups, k, k]}, and a bias when it has one. */
    public static Module convolution(String key, int block, int in, int out, int kernel, int groups, boolean bias) {
        Map<String, long[]> p = new LinkedHashMap<>();
        p.put("weight", new long[] {out, in / groups, kernel, kernel});
        if (bias) p.put("bias", new long[] {out});
        return Module.of(key, Module.Kind.CONVOLUTION, block, p);
    }

    /** A BatchNorm's module: weight and bias train, running mean and variance are buffers. */
    public static Module batchNorm(String key, int block, int channels) {
        Map<String, long[]> p = new LinkedHashMap<>();
        p.put("weight", new long[] {channels});
        p.put("bias", new long[] {channels});
        Map<String, long[]> b = new LinkedHashMap<>();
        b.put("running_mean", new long[] {channels});
        b.put("running_var", new long[] {channels});
        return new Module(key, Module.Kind.NORM, block, p, b);
    }

    public static NDArray conv(ParameterStore params, String key, NDArray x, int stride, int padding, int groups) {
        return conv(params, key, x, stride, padding, padding, groups);
    }

    /** With different padding over rows and columns, for 1xk and kx1 kernels. */
    public static NDArray conv(ParameterStore params, String key, NDArray x, int stride, int padRows, int padColumns,
            int groups) {
        NDArray bias = params.contains(key + ".bias") ? params.get(key + ".bias") : null;
        return Conv2d.conv2d(x, params.get(key + ".weight"), bias, new Shape(stride, stride),
                new Shape(padRows, padColumns), new Shape(1, 1), groups).singletonOrThrow();
    }

    /**
     * Convolution {@code conv} followed by BatchNorm {@code norm} in inference, as one convolution
     * with the norm folded into its weights and bias. A sealed store (an inference-only model) folds
     * each once and keeps the weights in channels-last order; otherwise they are folded for each call
     * in the activations' scope.
     */
    public static NDArray convFoldedBatchNorm(ParameterStore params, String conv, String norm, NDArray x, int stride,
            int padRows, int padColumns, int groups, double eps) {
        NDList folded = params.derived(conv + "+" + norm, x.getManager(), m -> {
            NDArray scale = scale(params, norm, eps, m);
            NDArray w = scale.reshape(-1, 1, 1, 1).mul(params.get(conv + ".weight"));
            NDArray shift = scale.mul(params.get(norm + ".running_mean")).neg().add(params.get(norm + ".bias"));
            NDArray b = params.contains(conv + ".bias") ? shift.add(scale.mul(params.get(conv + ".bias"))) : shift;
            return new NDList(params.sealed() ? channelsLast(w) : w, b);
        });
        NDArray w = folded.get(0), b = folded.get(1);
        return Conv2d.conv2d(x, w, b, new Shape(stride, stride), new Shape(padRows, padColumns), new Shape(1, 1),
                groups).singletonOrThrow();
    }

    /**
     * {@code gamma / sqrt(var + eps)}, made in {@code scope}: every op starts from an array of the
     * scope, since an op's result belongs to its first operand's manager and the parameters' one
     * lives as long as the model.
     */
    private static NDArray scale(ParameterStore params, String norm, double eps, NDManager scope) {
        NDArray std = scope.zeros(new Shape(1)).add(params.get(norm + ".running_var")).add((float) eps).sqrt();
        return scope.ones(new Shape(1)).div(std).mul(params.get(norm + ".weight"));
    }

    /**
     * The same 4-d tensor with NHWC strides, PyTorch's channels_last layout, in which oneDNN
     * convolves without reordering. DJL has no memory-format call: a permute to NHWC, a reshape that
     * cannot be a view (so it copies into NHWC order), and the permute back.
     */
    public static NDArray channelsLast(NDArray x) {
        Shape s = x.getShape();
        if (s.dimension() != 4 || s.get(1) == 1) return x;
        return x.transpose(0, 2, 3, 1).reshape(s.get(0), s.get(2), s.get(3) * s.get(1))
                .reshape(s.get(0), s.get(2), s.get(3), s.get(1)).transpose(0, 3, 1, 2);
    }

    /** A convolution's module with a {@code kh x kw} kernel and no bias. */
    public static Module convolution(String key, int block, int in, int out, int kh, int kw) {
        Map<String, long[]> p = new LinkedHashMap<>();
        p.put("weight", new long[] {out, in, kh, kw});
        return Module.of(key, Module.Kind.CONVOLUTION, block, p);
    }

    /**
     * BatchNorm over channels (axis 1); in training, while its own parameters train (see
     * {@link ParameterStore#updatesStatistics}), it normalises by the batch and moves the running statistics.
     */
    public static NDArray batchNorm(ParameterStore params, String key, NDArray x, double eps, boolean training) {
        return BatchNorm.batchNorm(x, params.get(key + ".running_mean"), params.get(key + ".running_var"),
                params.get(key + ".weight"), params.get(key + ".bias"), 1, MOMENTUM, (float) eps,
                training && params.updatesStatistics(key))
                .singletonOrThrow();
    }
}
