package dev.finetune4j.model.mobilenet;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.pooling.Pool;
import dev.finetune4j.model.ConvolutionalBody;
import dev.finetune4j.model.Convolutions;
import dev.finetune4j.model.Module;
import dev.finetune4j.model.ParameterStore;
import java.util.ArrayList;
import java.util.List;

/**
 * MobileNetV2 (Sandler et al. 2018) as torchvision builds it, under torchvision's state-dict keys:
 * {@code features.0} the stem (3x3 convolution, stride 2), {@code features.1..17} the inverted
 * residual blocks (1x1 expansion, 3x3 depthwise, 1x1 projection; a residual connection where the
 * shape allows), {@code features.18} the last 1x1 convolution, then global average pooling. Every
 * convolution but the projections is followed by BatchNorm and ReLU6. With its torchvision head
 * ({@code classifier.1} after dropout 0.2) it is an {@link dev.finetune4j.model.ImageClassifier}.
 *
 * <p>{@link Config#keras} builds it as keras.applications does, for weights converted from Keras:
 * BatchNorm eps 1e-3, and stride-2 convolutions padded on the right and bottom only (Keras pads
 * "same" asymmetrically, torchvision symmetrically: on those weights the difference is not small).
 */
public final class MobileNetV2 extends ConvolutionalBody {
    /** (expansion t, channels c, repeats n, first stride s) per stage, as in the paper and torchvision. */
    static final int[][] SETTING = {{1, 16, 1, 1}, {6, 24, 2, 2}, {6, 32, 3, 2}, {6, 64, 4, 2}, {6, 96, 3, 1},
            {6, 160, 3, 2}, {6, 320, 1, 1}};

    /**
     * @param widthMult channel multiplier (torchvision's width_mult)
     * @param eps BatchNorm epsilon (torchvision 1e-5, Keras 1e-3)
     * @param kerasPadding pad stride-2 convolutions right and bottom only, as Keras does
     */
    public record Config(double widthMult, double eps, boolean kerasPadding) {
        public static Config torchvision(double widthMult) {
            return new Config(widthMult, 1e-5, false);
        }

        public static Config keras() {
            return new Config(1.0, 1e-3, true);
        }
    }

    /** One convolution of the network and the BatchNorm after it (null for none). */
    private record Conv(String key, int in, int out, int kernel, int stride, int groups, String norm, boolean relu6) {}

    /** One inverted residual block: its convolutions in order, and whether its input is added back. */
    private record Block(List<Conv> convs, boolean residual) {}

    private final Config config;
    private final Conv stem;
    private final List<Block> blocks = new ArrayList<>();
    private final Conv last;
    private final int lastChannels;
    private final List<Module> modules = new ArrayList<>();

    public MobileNetV2(Config config, ParameterStore params) {
        super(params);
        this.config = config;
        int in = divisible(32 * config.widthMult());
        lastChannels = divisible(1280 * Math.max(1.0, config.widthMult()));
        stem = new Conv("features.0.0", 3, in, 3, 2, 1, "features.0.1", true);
        declare(stem, Module.BELOW);
        int index = 1;
        for (int[] s : SETTING) {
            int out = divisible(s[1] * config.widthMult());
            for (int r = 0; r < s[2]; r++) {
                int stride = r == 0 ? s[3] : 1;
                int hidden = (int) Math.round(in * (double) s[0]);
                String f = "features." + index + ".conv.";
                List<Conv> convs = new ArrayList<>();
                if (s[0] != 1) {
                    convs.add(new Conv(f + "0.0", in, hidden, 1, 1, 1, f + "0.1", true));
                    convs.add(new Conv(f + "1.0", hidden, hidden, 3, stride, hidden, f + "1.1", true));
                    convs.add(new Conv(f + "2", hidden, out, 1, 1, 1, f + "3", false));
                } else {
                    convs.add(new Conv(f + "0.0", hidden, hidden, 3, stride, hidden, f + "0.1", true));
                    convs.add(new Conv(f + "1", hidden, out, 1, 1, 1, f + "2", false));
                }
                Block b = new Block(convs, stride == 1 && in == out);
                blocks.add(b);
                for (Conv c : convs) declare(c, index - 1);
                in = out;
                index++;
            }
        }
        last = new Conv("features." + index + ".0", in, lastChannels, 1, 1, 1, "features." + index + ".1", true);
        declare(last, blocks.size());
    }

    static int divisible(double v) {
        return Convolutions.makeDivisible(v);
    }

    private void declare(Conv c, int block) {
        modules.add(Convolutions.convolution(c.key(), block, c.in(), c.out(), c.kernel(), c.groups(), false));
        if (c.norm() != null) modules.add(Convolutions.batchNorm(c.norm(), block, c.out()));
    }

    @Override
    public List<Module> modules() {
        return modules;
    }

    /** The 17 inverted residual blocks and the last convolution. */
    @Override
    public int blocks() {
        return blocks.size() + 1;
    }

    /** Images [batch, 3, h, w], normalised as the weights expect, to [batch, last channels]. */
    @Override
    public NDArray features(NDManager step, NDArray images, boolean training) {
        NDArray x = apply(stem, images, training);
        for (Block b : blocks) {
            NDArray y = x;
            for (Conv c : b.convs()) y = apply(c, y, training);
            x = b.residual() ? x.add(y) : y;
        }
        x = apply(last, x, training);
        return Pool.globalAvgPool2d(x);
    }

    private NDArray apply(Conv c, NDArray x, boolean training) {
        int padding = (c.kernel() - 1) / 2;
        if (config.kerasPadding() && c.stride() == 2) {
            x = x.pad(new Shape(0, 1, 0, 1), 0); // last dimension first: right, then bottom
            padding = 0;
        }
        NDArray y = c.norm() == null ? conv(c.key(), x, c.stride(), padding, c.groups())
                : convBatchNorm(c.key(), c.norm(), x, c.stride(), padding, c.groups(), config.eps(), training);
        return c.relu6() ? relu6(y, training) : y;
    }

    /**
     * min(max(x, 0), 6). In training as relu(x) - relu(x - 6), whose backward is two thresholds: the
     * backward of a clamp is four passes and a select over the activations (a third of a training step
     * at 96 px before). Equal to the clamp for x <= 12; above, within half a unit in the last place of x.
     */
    static NDArray relu6(NDArray x, boolean training) {
        return training ? Activation.relu(x).sub(Activation.relu(x.sub(6f))) : x.clip(0, 6);
    }

    @Override
    public long featureSize() {
        return lastChannels;
    }

}
