package dev.finetune4j.model.efficientnet;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.pooling.Pool;
import dev.finetune4j.model.ConvolutionalBody;
import dev.finetune4j.model.Convolutions;
import dev.finetune4j.model.Module;
import dev.finetune4j.model.ParameterStore;
import java.util.ArrayList;
import java.util.List;

/**
 * EfficientNet (Tan and Le 2019) as torchvision builds it, under its state-dict keys:
 * {@code features.0} the stem (3x3, stride 2), {@code features.1..7} stages of MBConv blocks
 * ({@code features.S.B.block}: 1x1 expansion unless the ratio is 1, kxk depthwise, squeeze and
 * excitation {@code fc1}/{@code fc2} on a quarter of the block's input channels, 1x1 projection),
 * {@code features.8} the last 1x1 convolution to four times the last stage's channels, then global
 * average pooling. SiLU throughout; in training a residual branch is dropped per example with the
 * block's stochastic-depth probability (0.2 times its index over the blocks). Each MBConv block is a
 * block for freezing and layer-wise learning rates.
 */
public final class EfficientNet extends ConvolutionalBody {
    /** B0's stages: (expand ratio, kernel, stride, input channels, output channels, layers). */
    static final int[][] B0 = {{1, 3, 1, 32, 16, 1}, {6, 3, 2, 16, 24, 2}, {6, 5, 2, 24, 40, 2}, {6, 3, 2, 40, 80, 3},
            {6, 5, 1, 80, 112, 3}, {6, 5, 2, 112, 192, 4}, {6, 3, 1, 192, 320, 1}};
    static final double EPS = 1e-5;
    static final double STOCHASTIC_DEPTH = 0.2;

    /** @param widthMult and {@code depthMult} scale B0's channels and layers (B0: 1.0 and 1.0) */
    public record Config(String name, double widthMult, double depthMult) {
        public static Config b0() {
            return new Config("efficientnet_b0", 1.0, 1.0);
        }
    }

    /** One MBConv block. */
    private record Block(String key, int in, int expanded, int out, int kernel, int stride, int squeeze, double dropProbability) {
        boolean residual() {
            return stride == 1 && in == out;
        }

        boolean expands() {
            return expanded != in;
        }
    }

    private final List<Block> blocks = new ArrayList<>();
    private final List<Module> modules = new ArrayList<>();
    private final int features;
    private final String last;

    public EfficientNet(Config config, ParameterStore params) {
        super(params);
        int stem = Convolutions.makeDivisible(B0[0][3] * config.widthMult());
        modules.add(Convolutions.convolution("features.0.0", Module.BELOW, 3, stem, 3, 1, false));
        modules.add(Convolutions.batchNorm("features.0.1", Module.BELOW, stem));
        int total = 0;
        for (int[] s : B0) total += (int) Math.ceil(s[5] * config.depthMult());
        int id = 0;
        int in = stem;
        for (int stage = 0; stage < B0.length; stage++) {
            int[] s = B0[stage];
            int out = Convolutions.makeDivisible(s[4] * config.widthMult());
            int layers = (int) Math.ceil(s[5] * config.depthMult());
            int stageIn = Convolutions.makeDivisible(s[3] * config.widthMult());
            for (int b = 0; b < layers; b++) {
                int blockIn = b == 0 ? stageIn : out;
                int expanded = Convolutions.makeDivisible(blockIn * (double) s[0]);
                Block block = new Block("features." + (stage + 1) + "." + b + ".block", blockIn, expanded, out, s[1],
                        b == 0 ? s[2] : 1, Math.max(1, blockIn / 4), STOCHASTIC_DEPTH * id / total);
                declare(block, id);
                blocks.add(block);
                id++;
            }
            in = out;
        }
        features = 4 * in;
        last = "features." + (B0.length + 1);
        modules.add(Convolutions.convolution(last + ".0", blocks.size(), in, features, 1, 1, false));
        modules.add(Convolutions.batchNorm(last + ".1", blocks.size(), features));
    }

    private void declare(Block b, int block) {
        int i = 0;
        if (b.expands()) {
            modules.add(Convolutions.convolution(b.key() + ".0.0", block, b.in(), b.expanded(), 1, 1, false));
            modules.add(Convolutions.batchNorm(b.key() + ".0.1", block, b.expanded()));
            i++;
        }
        modules.add(Convolutions.convolution(b.key() + "." + i + ".0", block, b.expanded(), b.expanded(), b.kernel(),
                b.expanded(), false));
        modules.add(Convolutions.batchNorm(b.key() + "." + i + ".1", block, b.expanded()));
        modules.add(Convolutions.convolution(b.key() + "." + (i + 1) + ".fc1", block, b.expanded(), b.squeeze(), 1, 1, true));
        modules.add(Convolutions.convolution(b.key() + "." + (i + 1) + ".fc2", block, b.squeeze(), b.expanded(), 1, 1, true));
        modules.add(Convolutions.convolution(b.key() + "." + (i + 2) + ".0", block, b.expanded(), b.out(), 1, 1, false));
        modules.add(Convolutions.batchNorm(b.key() + "." + (i + 2) + ".1", block, b.out()));
    }

    @Override
    public List<Module> modules() {
        return modules;
    }

    /** The MBConv blocks and the last convolution. */
    @Override
    public int blocks() {
        return blocks.size() + 1;
    }

    @Override
    public NDArray features(NDManager step, NDArray images, boolean training) {
        NDArray x = silu(convBn("features.0", images, 2, 1, 1, training));
        for (Block b : blocks) x = block(b, x, step, training);
        x = silu(convBn(last, x, 1, 0, 1, training));
        return Pool.globalAvgPool2d(x);
    }

    private NDArray block(Block b, NDArray x, NDManager step, boolean training) {
        int i = 0;
        NDArray y = x;
        if (b.expands()) y = silu(convBn(b.key() + ".0", y, 1, 0, 1, training)); else i = -1;
        y = silu(convBn(b.key() + "." + (i + 1), y, b.stride(), (b.kernel() - 1) / 2, b.expanded(), training));
        String se = b.key() + "." + (i + 2);
        NDArray scale = Pool.globalAvgPool2d(y).reshape(y.getShape().get(0), b.expanded(), 1, 1);
        scale = silu(conv(se + ".fc1", scale, 1, 0, 1));
        scale = conv(se + ".fc2", scale, 1, 0, 1).getNDArrayInternal().sigmoid();
        y = convBn(b.key() + "." + (i + 3), y.mul(scale), 1, 0, 1, training);
        if (!b.residual()) return y;
        if (training && b.dropProbability() > 0) {
            // torchvision's StochasticDepth "row": each example keeps the branch with 1 - p, scaled by 1 / (1 - p)
            double keep = 1 - b.dropProbability();
            NDArray mask = step.randomUniform(0f, 1f, new Shape(y.getShape().get(0), 1, 1, 1)).lt(keep)
                    .toType(y.getDataType(), false).div(keep);
            y = y.mul(mask);
        }
        return y.add(x);
    }

    private NDArray convBn(String key, NDArray x, int stride, int padding, int groups, boolean training) {
        return convBatchNorm(key + ".0", key + ".1", x, stride, padding, groups, EPS, training);
    }

    private static NDArray silu(NDArray x) {
        return x.mul(x.getNDArrayInternal().sigmoid());
    }

    @Override
    public long featureSize() {
        return features;
    }

}
