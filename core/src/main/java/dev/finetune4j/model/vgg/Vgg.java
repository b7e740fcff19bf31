package dev.finetune4j.model.vgg;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.Dropout;
import ai.djl.nn.pooling.Pool;
import dev.finetune4j.model.ConvolutionalBody;
import dev.finetune4j.model.Convolutions;
import dev.finetune4j.model.Module;
import dev.finetune4j.model.ParameterStore;
import java.util.ArrayList;
import java.util.List;

/**
 * VGG (Simonyan and Zisserman 2015) as torchvision builds it, under its state-dict keys:
 * {@code features.N} 3x3 convolutions (each with a bias, then BatchNorm in the {@code _bn}
 * variants, then ReLU) in stages ended by 2x2 max pools, adaptive average pooling to 7x7, then
 * {@code classifier.0} and {@code classifier.3} (linear, ReLU, dropout 0.5). Its features are
 * {@code classifier.3}'s output; the task head is {@code classifier.6}. Each stage of
 * convolutions is a block, and so is each of the two linear layers.
 */
public final class Vgg extends ConvolutionalBody {
    /** A max pool in a configuration. */
    public static final int M = -1;
    static final double EPS = 1e-5;
    static final float DROPOUT = 0.5f;

    /**
     * @param layers torchvision's cfgs: output channels of each convolution, {@link #M} for a max pool
     * @param hidden the two linear layers' width (torchvision: 4096); smaller only for test models
     */
    public record Config(String name, int[] layers, boolean batchNorm, int hidden) {
        public static Config vgg11(boolean batchNorm) {
            return new Config(batchNorm ? "vgg11_bn" : "vgg11",
                    new int[] {64, M, 128, M, 256, 256, M, 512, 512, M, 512, 512, M}, batchNorm, 4096);
        }

        public static Config vgg16(boolean batchNorm) {
            return new Config(batchNorm ? "vgg16_bn" : "vgg16", new int[] {64, 64, M, 128, 128, M, 256, 256, 256, M,
                    512, 512, 512, M, 512, 512, 512, M}, batchNorm, 4096);
        }
    }

    /** One convolution: its index in {@code features}, and its BatchNorm's (-1 for none). */
    private record Conv(int index, int norm) {}

    private final Config config;
    private final List<List<Conv>> stages = new ArrayList<>();
    private final List<Module> modules = new ArrayList<>();

    public Vgg(Config config, ParameterStore params) {
        super(params);
        this.config = config;
        int in = 3;
        int index = 0;
        List<Conv> stage = new ArrayList<>();
        for (int c : config.layers()) {
            if (c == M) {
                stages.add(stage);
                stage = new ArrayList<>();
                index++;
                continue;
            }
            int block = stages.size();
            modules.add(Convolutions.convolution("features." + index, block, in, c, 3, 1, true));
            int norm = -1;
            if (config.batchNorm()) {
                norm = index + 1;
                modules.add(Convolutions.batchNorm("features." + norm, block, c));
            }
            stage.add(new Conv(index, norm));
            index += config.batchNorm() ? 3 : 2;
            in = c;
        }
        if (!stage.isEmpty()) stages.add(stage);
        modules.add(Module.linear("classifier.0", stages.size(), config.hidden(), (long) in * 49));
        modules.add(Module.linear("classifier.3", stages.size() + 1, config.hidden(), config.hidden()));
    }

    @Override
    public List<Module> modules() {
        return modules;
    }

    @Override
    public int blocks() {
        return stages.size() + 2;
    }

    @Override
    public NDArray features(NDManager step, NDArray images, boolean training) {
        NDArray x = images;
        for (List<Conv> stage : stages) {
            for (Conv c : stage) {
                x = c.norm() >= 0
                        ? convBatchNorm("features." + c.index(), "features." + c.norm(), x, 1, 1, 1, EPS, training)
                        : conv("features." + c.index(), x, 1, 1, 1);
                x = Activation.relu(x);
            }
            x = Pool.maxPool2d(x, new Shape(2, 2), new Shape(2, 2), new Shape(0, 0), false);
        }
        x = adaptiveAveragePool(x, 7).reshape(x.getShape().get(0), -1);
        x = dense("classifier.0", x, training);
        return dense("classifier.3", x, training);
    }

    private NDArray dense(String key, NDArray x, boolean training) {
        NDArray y = Activation.relu(linear(key, x, training));
        return training ? Dropout.dropout(y, DROPOUT, true).singletonOrThrow() : y;
    }

    /** PyTorch's adaptive average pooling: output cell i covers rows floor(i h / n) to ceil((i + 1) h / n). */
    static NDArray adaptiveAveragePool(NDArray x, int n) {
        long h = x.getShape().get(2);
        long w = x.getShape().get(3);
        if (h == n && w == n) return x;
        NDList rows = new NDList();
        for (int i = 0; i < n; i++) {
            long h0 = Math.floorDiv(i * h, n), h1 = -Math.floorDiv(-(i + 1) * h, n);
            NDList cells = new NDList();
            for (int j = 0; j < n; j++) {
                long w0 = Math.floorDiv(j * w, n), w1 = -Math.floorDiv(-(j + 1) * w, n);
                // one axis at a time (PyTorch's mean here takes one); a rectangle's mean of row means is its mean
                cells.add(x.get(new NDIndex(":, :, {}:{}, {}:{}", h0, h1, w0, w1)).mean(new int[] {3}).mean(new int[] {2}));
            }
            rows.add(NDArrays.stack(cells, 2));
        }
        return NDArrays.stack(rows, 2);
    }

    @Override
    public long featureSize() {
        return config.hidden();
    }

}
