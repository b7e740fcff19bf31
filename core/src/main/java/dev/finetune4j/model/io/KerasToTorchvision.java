package dev.finetune4j.model.io;

import dev.finetune4j.UserError;
import dev.finetune4j.model.HostTensor;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeSet;

/**
 * Keras weights (names and layouts of {@code keras.applications}) under torchvision's state-dict
 * keys and layouts: convolution kernels {@code [h, w, in, out] -> [out, in, h, w]}, depthwise
 * kernels {@code [h, w, C, 1] -> [C, 1, h, w]}, dense kernels transposed, and BatchNormalization's
 * {@code gamma, beta, moving_mean, moving_variance -> weight, bias, running_mean, running_var}.
 * Weights the mapping does not name (a package's own head) are returned apart, untouched.
 */
public final class KerasToTorchvision {
    /** The mapped body and the Keras weights that are not part of it. */
    public record Mapped(Map<String, HostTensor> body, Map<String, HostTensor> rest) {}

    private KerasToTorchvision() {}

    /**
     * keras.applications.MobileNetV2 onto torchvision's {@code mobilenet_v2} (its {@code features};
     * not its classifier): Conv1 / bn_Conv1 -> features.0; expanded_conv -> features.1;
     * block_i -> features.(i+1); Conv_1 / Conv_1_bn -> features.18.
     */
    public static Mapped mobileNetV2(Map<String, HostTensor> keras, String source) {
        Map<String, HostTensor> body = new LinkedHashMap<>();
        Map<String, HostTensor> left = new LinkedHashMap<>(keras);
        conv(left, body, "Conv1", "features.0.0", source);
        batchNorm(left, body, "bn_Conv1", "features.0.1", source);
        depthwise(left, body, "expanded_conv_depthwise", "features.1.conv.0.0", source);
        batchNorm(left, body, "expanded_conv_depthwise_BN", "features.1.conv.0.1", source);
        conv(left, body, "expanded_conv_project", "features.1.conv.1", source);
        batchNorm(left, body, "expanded_conv_project_BN", "features.1.conv.2", source);
        for (int i = 1; i <= 16; i++) {
            String f = "features." + (i + 1) + ".conv.";
            conv(left, body, "block_" + i + "_expand", f + "0.0", source);
            batchNorm(left, body, "block_" + i + "_expand_BN", f + "0.1", source);
            depthwise(left, body, "block_" + i + "_depthwise", f + "1.0", source);
            batchNorm(left, body, "block_" + i + "_depthwise_BN", f + "1.1", source);
            conv(left, body, "block_" + i + "_project", f + "2", source);
            batchNorm(left, body, "block_" + i + "_project_BN", f + "3", source);
        }
        conv(left, body, "Conv_1", "features.18.0", source);
        batchNorm(left, body, "Conv_1_bn", "features.18.1", source);
        return new Mapped(body, left);
    }

    /**
     * keras.applications.InceptionV3 onto torchvision's {@code inception_v3}: Keras names its
     * convolutions {@code conv2d_N} and their BatchNorms {@code batch_normalization_N} in the order it
     * builds them, which is the order of torchvision's BasicConv2d modules ({@code convKeys}, e.g.
     * {@code Conv2d_1a_3x3}, {@code Mixed_5b.branch1x1}). Keras' BatchNorms there have no scale: their
     * weight is 1.
     */
    public static Mapped inceptionV3(Map<String, HostTensor> keras, java.util.List<String> convKeys, String source) {
        Map<String, HostTensor> body = new LinkedHashMap<>();
        Map<String, HostTensor> left = new LinkedHashMap<>(keras);
        for (int i = 0; i < convKeys.size(); i++) {
            String key = convKeys.get(i);
            int n = i + 1;
            body.put(key + ".conv.weight", hwioToOihw(take(left, "conv2d_" + n + "/kernel", source)));
            HostTensor beta = take(left, "batch_normalization_" + n + "/beta", source);
            HostTensor gamma = left.remove("batch_normalization_" + n + "/gamma");
            if (gamma == null) {
                float[] ones = new float[beta.data().length];
                java.util.Arrays.fill(ones, 1f);
                gamma = new HostTensor(beta.shape().clone(), ones);
            }
            body.put(key + ".bn.weight", gamma);
            body.put(key + ".bn.bias", beta);
            body.put(key + ".bn.running_mean", take(left, "batch_normalization_" + n + "/moving_mean", source));
            body.put(key + ".bn.running_var", take(left, "batch_normalization_" + n + "/moving_variance", source));
        }
        return new Mapped(body, left);
    }

    /** A Dense layer's kernel {@code [in, out]} and bias as a torch Linear's {@code weight [out, in]} and bias. */
    public static Map<String, HostTensor> dense(Map<String, HostTensor> keras, String layer, String key, String source) {
        Map<String, HostTensor> out = new LinkedHashMap<>();
        out.put(key + ".weight", take(keras, layer + "/kernel", source).transpose2d());
        out.put(key + ".bias", take(keras, layer + "/bias", source));
        return out;
    }

    private static void conv(Map<String, HostTensor> keras, Map<String, HostTensor> out, String layer, String key,
            String source) {
        out.put(key + ".weight", hwioToOihw(take(keras, layer + "/kernel", source)));
        HostTensor bias = keras.remove(layer + "/bias");
        if (bias != null) out.put(key + ".bias", bias);
    }

    private static void depthwise(Map<String, HostTensor> keras, Map<String, HostTensor> out, String layer, String key,
            String source) {
        HostTensor k = take(keras, layer + "/depthwise_kernel", source); // [h, w, C, multiplier]
        long[] s = k.shape();
        // [h, w, C, m] -> [C * m, 1, h, w]: torch groups=C puts output channel c*m + j on input channel c
        int h = (int) s[0], w = (int) s[1], c = (int) s[2], m = (int) s[3];
        float[] o = new float[k.data().length];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                for (int ch = 0; ch < c; ch++) {
                    for (int j = 0; j < m; j++) {
                        o[((ch * m + j) * h + y) * w + x] = k.data()[((y * w + x) * c + ch) * m + j];
                    }
                }
            }
        }
        out.put(key + ".weight", new HostTensor(new long[] {(long) c * m, 1, h, w}, o));
    }

    private static void batchNorm(Map<String, HostTensor> keras, Map<String, HostTensor> out, String layer, String key,
            String source) {
        out.put(key + ".weight", take(keras, layer + "/gamma", source));
        out.put(key + ".bias", take(keras, layer + "/beta", source));
        out.put(key + ".running_mean", take(keras, layer + "/moving_mean", source));
        out.put(key + ".running_var", take(keras, layer + "/moving_variance", source));
    }

    /** {@code [h, w, in, out] -> [out, in, h, w]}. */
    static HostTensor hwioToOihw(HostTensor k) {
        long[] s = k.shape();
        if (s.length != 4) throw new IllegalArgumentException("a convolution kernel has 4 dimensions, got " + k.shapeString());
        int h = (int) s[0], w = (int) s[1], in = (int) s[2], outC = (int) s[3];
        float[] o = new float[k.data().length];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                for (int i = 0; i < in; i++) {
                    for (int c = 0; c < outC; c++) {
                        o[((c * in + i) * h + y) * w + x] = k.data()[((y * w + x) * in + i) * outC + c];
                    }
                }
            }
        }
        return new HostTensor(new long[] {outC, in, h, w}, o);
    }

    private static HostTensor take(Map<String, HostTensor> keras, String name, String source) {
        HostTensor t = keras.remove(name);
        if (t == null) {
            TreeSet<String> near = new TreeSet<>();
            String layer = name.substring(0, name.indexOf('/'));
            for (String k : keras.keySet()) if (k.startsWith(layer)) near.add(k);
            throw new UserError(source + ": no weight '" + name + "'" + (near.isEmpty() ? "" : " (the layer has " + near + ")")
                    + " — not the keras.applications architecture it was taken for");
        }
        return t;
    }
}
