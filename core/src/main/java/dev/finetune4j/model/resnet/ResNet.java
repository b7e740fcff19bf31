package dev.finetune4j.model.resnet;

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
 * ResNet (He et al. 2016) as torchvision builds it (v1.5: a bottleneck's stride on its 3x3
 * convolution), under torchvision's state-dict keys: {@code conv1}/{@code bn1} and a 3x3 max pool,
 * {@code layer1..4} of basic blocks (ResNet-18/34) or bottlenecks (ResNet-50), each
 * {@code conv1, bn1, conv2, bn2[, conv3, bn3][, downsample.0, downsample.1]}, then global average
 * pooling. Each residual block is one block for freezing and layer-wise learning rates.
 */
public final class ResNet extends ConvolutionalBody {
    static final double EPS = 1e-5;

    /**
     * @param bottleneck bottleneck blocks (expansion 4) rather than basic ones
     * @param layers blocks per stage
     * @param widths the stages' planes (torchvision: 64, 128, 256, 512) and {@code stem} the stem's
     *     channels (64); other widths only for small test models
     */
    public record Config(String name, boolean bottleneck, int[] layers, int[] widths, int stem) {
        public static Config resnet18() {
            return new Config("resnet18", false, new int[] {2, 2, 2, 2}, new int[] {64, 128, 256, 512}, 64);
        }

        public static Config resnet34() {
            return new Config("resnet34", false, new int[] {3, 4, 6, 3}, new int[] {64, 128, 256, 512}, 64);
        }

        public static Config resnet50() {
            return new Config("resnet50", true, new int[] {3, 4, 6, 3}, new int[] {64, 128, 256, 512}, 64);
        }

        int expansion() {
            return bottleneck ? 4 : 1;
        }
    }

    /** One residual block: its key prefix, stride, and whether it has a downsampling shortcut. */
    private record Block(String key, int stride, boolean downsample) {}

    private final Config config;
    private final List<Block> blocks = new ArrayList<>();
    private final List<Module> modules = new ArrayList<>();
    private final int features;

    public ResNet(Config config, ParameterStore params) {
        super(params);
        this.config = config;
        modules.add(Convolutions.convolution("conv1", Module.BELOW, 3, config.stem(), 7, 1, false));
        modules.add(Convolutions.batchNorm("bn1", Module.BELOW, config.stem()));
        int in = config.stem();
        int index = 0;
        for (int stage = 0; stage < 4; stage++) {
            int planes = config.widths()[stage];
            int out = planes * config.expansion();
            for (int b = 0; b < config.layers()[stage]; b++) {
                int stride = b == 0 && stage > 0 ? 2 : 1;
                String key = "layer" + (stage + 1) + "." + b;
                boolean down = b == 0 && (stride != 1 || in != out);
                blocks.add(new Block(key, stride, down));
                if (config.bottleneck()) {
                    modules.add(Convolutions.convolution(key + ".conv1", index, in, planes, 1, 1, false));
                    modules.add(Convolutions.batchNorm(key + ".bn1", index, planes));
                    modules.add(Convolutions.convolution(key + ".conv2", index, planes, planes, 3, 1, false));
                    modules.add(Convolutions.batchNorm(key + ".bn2", index, planes));
                    modules.add(Convolutions.convolution(key + ".conv3", index, planes, out, 1, 1, false));
                    modules.add(Convolutions.batchNorm(key + ".bn3", index, out));
                } else {
                    modules.add(Convolutions.convolution(key + ".conv1", index, in, planes, 3, 1, false));
                    modules.add(Convolutions.batchNorm(key + ".bn1", index, planes));
                    modules.add(Convolutions.convolution(key + ".conv2", index, planes, planes, 3, 1, false));
                    modules.add(Convolutions.batchNorm(key + ".bn2", index, planes));
                }
                if (down) {
                    modules.add(Convolutions.convolution(key + ".downsample.0", index, in, out, 1, 1, false));
                    modules.add(Convolutions.batchNorm(key + ".downsample.1", index, out));
                }
                in = out;
                index++;
            }
        }
        features = in;
    }

    @Override
    public List<Module> modules() {
        return modules;
    }

    @Override
    public int blocks() {
        return blocks.size();
    }

    /** Images [batch, 3, h, w], normalised as the weights expect, to [batch, features]. */
    @Override
    public NDArray features(NDManager step, NDArray images, boolean training) {
        NDArray x = Activation.relu(convBatchNorm("conv1", "bn1", images, 2, 3, 1, EPS, training));
        x = Pool.maxPool2d(x, new Shape(3, 3), new Shape(2, 2), new Shape(1, 1), false);
        for (Block b : blocks) x = block(b, x, training);
        return Pool.globalAvgPool2d(x);
    }

    private NDArray block(Block b, NDArray x, boolean training) {
        NDArray y;
        if (config.bottleneck()) {
            y = Activation.relu(convBn(b.key() + ".conv1", b.key() + ".bn1", x, 1, 0, training));
            y = Activation.relu(convBn(b.key() + ".conv2", b.key() + ".bn2", y, b.stride(), 1, training));
            y = convBn(b.key() + ".conv3", b.key() + ".bn3", y, 1, 0, training);
        } else {
            y = Activation.relu(convBn(b.key() + ".conv1", b.key() + ".bn1", x, b.stride(), 1, training));
            y = convBn(b.key() + ".conv2", b.key() + ".bn2", y, 1, 1, training);
        }
        NDArray identity = b.downsample()
                ? convBn(b.key() + ".downsample.0", b.key() + ".downsample.1", x, b.stride(), 0, training) : x;
        return Activation.relu(y.add(identity));
    }

    private NDArray convBn(String conv, String norm, NDArray x, int stride, int padding, boolean training) {
        return convBatchNorm(conv, norm, x, stride, padding, 1, EPS, training);
    }

    @Override
    public long featureSize() {
        return features;
    }

}
