package dev.finetune4j.model.inception;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
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
 * Inception V3 (Szegedy et al. 2016) as torchvision builds it (without the auxiliary classifier),
 * under its state-dict keys: the stem {@code Conv2d_1a_3x3 .. Conv2d_4a_3x3} with two max pools,
 * then {@code Mixed_5b..5d} (InceptionA), {@code Mixed_6a} (B), {@code Mixed_6b..6e} (C, factorised
 * 7x7), {@code Mixed_7a} (D) and {@code Mixed_7b, 7c} (E), then global average pooling to 2048
 * features. Every convolution is a BasicConv2d: {@code .conv} without bias, {@code .bn} (eps 1e-3),
 * ReLU. Each Mixed module is a block.
 */
public final class InceptionV3 extends ConvolutionalBody {
    static final double EPS = 1e-3;
    static final String[] MIXED = {"Mixed_5b", "Mixed_5c", "Mixed_5d", "Mixed_6a", "Mixed_6b", "Mixed_6c", "Mixed_6d",
            "Mixed_6e", "Mixed_7a", "Mixed_7b", "Mixed_7c"};

    /**
     * @param transformInput torchvision's transform_input, on for its ImageNet weights (inputs
     *     normalised with ImageNet's mean and std become (x - 0.5) / 0.5)
     * @param countPadding whether the 3x3 average pools count their zero padding (torchvision) or
     *     not (Keras' "same" pooling), for weights converted from Keras
     */
    public record Config(boolean transformInput, boolean countPadding) {
        public static Config torchvision() {
            return new Config(false, true);
        }

        public static Config keras() {
            return new Config(false, false);
        }
    }

    private final boolean transformInput;
    private final boolean countPadding;
    private final List<Module> modules = new ArrayList<>();
    private int block = Module.BELOW;

    public InceptionV3(Config config, ParameterStore params) {
        super(params);
        this.transformInput = config.transformInput();
        this.countPadding = config.countPadding();
        basic("Conv2d_1a_3x3", 3, 32, 3, 3);
        basic("Conv2d_2a_3x3", 32, 32, 3, 3);
        basic("Conv2d_2b_3x3", 32, 64, 3, 3);
        basic("Conv2d_3b_1x1", 64, 80, 1, 1);
        basic("Conv2d_4a_3x3", 80, 192, 3, 3);
        block = 0;
        inceptionA("Mixed_5b", 192, 32);
        inceptionA("Mixed_5c", 256, 64);
        inceptionA("Mixed_5d", 288, 64);
        basic("Mixed_6a.branch3x3", 288, 384, 3, 3);
        basic("Mixed_6a.branch3x3dbl_1", 288, 64, 1, 1);
        basic("Mixed_6a.branch3x3dbl_2", 64, 96, 3, 3);
        basic("Mixed_6a.branch3x3dbl_3", 96, 96, 3, 3);
        block++;
        int[] c7 = {128, 160, 160, 192};
        for (int i = 0; i < 4; i++) inceptionC(MIXED[4 + i], c7[i]);
        basic("Mixed_7a.branch3x3_1", 768, 192, 1, 1);
        basic("Mixed_7a.branch3x3_2", 192, 320, 3, 3);
        basic("Mixed_7a.branch7x7x3_1", 768, 192, 1, 1);
        basic("Mixed_7a.branch7x7x3_2", 192, 192, 1, 7);
        basic("Mixed_7a.branch7x7x3_3", 192, 192, 7, 1);
        basic("Mixed_7a.branch7x7x3_4", 192, 192, 3, 3);
        block++;
        inceptionE("Mixed_7b", 1280);
        inceptionE("Mixed_7c", 2048);
    }

    private void basic(String key, int in, int out, int kh, int kw) {
        modules.add(Convolutions.convolution(key + ".conv", block, in, out, kh, kw));
        modules.add(Convolutions.batchNorm(key + ".bn", block, out));
    }

    private void inceptionA(String m, int in, int poolFeatures) {
        basic(m + ".branch1x1", in, 64, 1, 1);
        basic(m + ".branch5x5_1", in, 48, 1, 1);
        basic(m + ".branch5x5_2", 48, 64, 5, 5);
        basic(m + ".branch3x3dbl_1", in, 64, 1, 1);
        basic(m + ".branch3x3dbl_2", 64, 96, 3, 3);
        basic(m + ".branch3x3dbl_3", 96, 96, 3, 3);
        basic(m + ".branch_pool", in, poolFeatures, 1, 1);
        block++;
    }

    private void inceptionC(String m, int c7) {
        basic(m + ".branch1x1", 768, 192, 1, 1);
        basic(m + ".branch7x7_1", 768, c7, 1, 1);
        basic(m + ".branch7x7_2", c7, c7, 1, 7);
        basic(m + ".branch7x7_3", c7, 192, 7, 1);
        basic(m + ".branch7x7dbl_1", 768, c7, 1, 1);
        basic(m + ".branch7x7dbl_2", c7, c7, 7, 1);
        basic(m + ".branch7x7dbl_3", c7, c7, 1, 7);
        basic(m + ".branch7x7dbl_4", c7, c7, 7, 1);
        basic(m + ".branch7x7dbl_5", c7, 192, 1, 7);
        basic(m + ".branch_pool", 768, 192, 1, 1);
        block++;
    }

    private void inceptionE(String m, int in) {
        basic(m + ".branch1x1", in, 320, 1, 1);
        basic(m + ".branch3x3_1", in, 384, 1, 1);
        basic(m + ".branch3x3_2a", 384, 384, 1, 3);
        basic(m + ".branch3x3_2b", 384, 384, 3, 1);
        basic(m + ".branch3x3dbl_1", in, 448, 1, 1);
        basic(m + ".branch3x3dbl_2", 448, 384, 3, 3);
        basic(m + ".branch3x3dbl_3a", 384, 384, 1, 3);
        basic(m + ".branch3x3dbl_3b", 384, 384, 3, 1);
        basic(m + ".branch_pool", in, 192, 1, 1);
        block++;
    }

    @Override
    public List<Module> modules() {
        return modules;
    }

    @Override
    public int blocks() {
        return MIXED.length;
    }

    @Override
    public NDArray features(NDManager step, NDArray images, boolean training) {
        NDArray x = transformInput ? transform(images) : images;
        x = conv("Conv2d_1a_3x3", x, 2, 0, 0, training);
        x = conv("Conv2d_2a_3x3", x, 1, 0, 0, training);
        x = conv("Conv2d_2b_3x3", x, 1, 1, 1, training);
        x = maxPool(x);
        x = conv("Conv2d_3b_1x1", x, 1, 0, 0, training);
        x = conv("Conv2d_4a_3x3", x, 1, 0, 0, training);
        x = maxPool(x);
        for (int i = 0; i < 3; i++) x = inceptionA(MIXED[i], x, training);
        x = cat(conv("Mixed_6a.branch3x3", x, 2, 0, 0, training),
                conv("Mixed_6a.branch3x3dbl_3", conv("Mixed_6a.branch3x3dbl_2", conv("Mixed_6a.branch3x3dbl_1", x, 1, 0, 0,
                        training), 1, 1, 1, training), 2, 0, 0, training), maxPool(x));
        for (int i = 4; i < 8; i++) x = inceptionC(MIXED[i], x, training);
        x = cat(conv("Mixed_7a.branch3x3_2", conv("Mixed_7a.branch3x3_1", x, 1, 0, 0, training), 2, 0, 0, training),
                conv("Mixed_7a.branch7x7x3_4", conv("Mixed_7a.branch7x7x3_3", conv("Mixed_7a.branch7x7x3_2",
                        conv("Mixed_7a.branch7x7x3_1", x, 1, 0, 0, training), 1, 0, 3, training), 1, 3, 0, training), 2,
                        0, 0, training), maxPool(x));
        x = inceptionE("Mixed_7b", x, training);
        x = inceptionE("Mixed_7c", x, training);
        return Pool.globalAvgPool2d(x);
    }

    private NDArray inceptionA(String m, NDArray x, boolean t) {
        NDArray b1 = conv(m + ".branch1x1", x, 1, 0, 0, t);
        NDArray b5 = conv(m + ".branch5x5_2", conv(m + ".branch5x5_1", x, 1, 0, 0, t), 1, 2, 2, t);
        NDArray b3 = conv(m + ".branch3x3dbl_3", conv(m + ".branch3x3dbl_2", conv(m + ".branch3x3dbl_1", x, 1, 0, 0, t), 1,
                1, 1, t), 1, 1, 1, t);
        return cat(b1, b5, b3, conv(m + ".branch_pool", avgPool(x), 1, 0, 0, t));
    }

    private NDArray inceptionC(String m, NDArray x, boolean t) {
        NDArray b1 = conv(m + ".branch1x1", x, 1, 0, 0, t);
        NDArray b7 = conv(m + ".branch7x7_3", conv(m + ".branch7x7_2", conv(m + ".branch7x7_1", x, 1, 0, 0, t), 1, 0, 3, t),
                1, 3, 0, t);
        NDArray d = conv(m + ".branch7x7dbl_1", x, 1, 0, 0, t);
        d = conv(m + ".branch7x7dbl_2", d, 1, 3, 0, t);
        d = conv(m + ".branch7x7dbl_3", d, 1, 0, 3, t);
        d = conv(m + ".branch7x7dbl_4", d, 1, 3, 0, t);
        d = conv(m + ".branch7x7dbl_5", d, 1, 0, 3, t);
        return cat(b1, b7, d, conv(m + ".branch_pool", avgPool(x), 1, 0, 0, t));
    }

    private NDArray inceptionE(String m, NDArray x, boolean t) {
        NDArray b1 = conv(m + ".branch1x1", x, 1, 0, 0, t);
        NDArray b3 = conv(m + ".branch3x3_1", x, 1, 0, 0, t);
        b3 = cat(conv(m + ".branch3x3_2a", b3, 1, 0, 1, t), conv(m + ".branch3x3_2b", b3, 1, 1, 0, t));
        NDArray d = conv(m + ".branch3x3dbl_2", conv(m + ".branch3x3dbl_1", x, 1, 0, 0, t), 1, 1, 1, t);
        d = cat(conv(m + ".branch3x3dbl_3a", d, 1, 0, 1, t), conv(m + ".branch3x3dbl_3b", d, 1, 1, 0, t));
        return cat(b1, b3, d, conv(m + ".branch_pool", avgPool(x), 1, 0, 0, t));
    }

    private NDArray conv(String key, NDArray x, int stride, int padRows, int padColumns, boolean training) {
        return Activation.relu(convBatchNorm(key + ".conv", key + ".bn", x, stride, padRows, padColumns, 1, EPS,
                training));
    }

    private static NDArray maxPool(NDArray x) {
        return Pool.maxPool2d(x, new Shape(3, 3), new Shape(2, 2), new Shape(0, 0), false);
    }

    /** 3x3, stride 1, padding 1; the padding counted in the mean as PyTorch does by default, or not as Keras does. */
    private NDArray avgPool(NDArray x) {
        NDArray withPadding = Pool.avgPool2d(x, new Shape(3, 3), new Shape(1, 1), new Shape(1, 1), false, true);
        if (countPadding) return withPadding;
        // DJL 0.35.1's PyTorch avgPool2d ignores countIncludePad (false gives the same numbers as true):
        // divide by the share of each window that is inside the image instead
        NDArray inside = Pool.avgPool2d(x.getManager().ones(new Shape(1, 1, x.getShape().get(2), x.getShape().get(3)),
                x.getDataType()), new Shape(3, 3), new Shape(1, 1), new Shape(1, 1), false, true);
        return withPadding.div(inside);
    }

    private static NDArray cat(NDArray... parts) {
        return NDArrays.concat(new NDList(parts), 1);
    }

    /** torchvision's _transform_input: ImageNet-normalised channels to (x - 0.5) / 0.5. */
    private static NDArray transform(NDArray x) {
        float[] mean = {0.485f, 0.456f, 0.406f};
        float[] std = {0.229f, 0.224f, 0.225f};
        NDList channels = new NDList();
        for (int c = 0; c < 3; c++) {
            channels.add(x.get(new NDIndex(":, {}:{}", c, c + 1)).mul(std[c] / 0.5f).add((mean[c] - 0.5f) / 0.5f));
        }
        return NDArrays.concat(channels, 1);
    }

    @Override
    public long featureSize() {
        return 2048;
    }

}
