package dev.finetune4j.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.finetune4j.UserError;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * A CNN body with torchvision's linear head: {@code fc} for ResNet and Inception V3,
 * {@code classifier.1} (after dropout 0.2) for MobileNetV2 and EfficientNet, {@code classifier.6}
 * for VGG, sized to the labels.
 */
public final class ImageClassifier extends Classifier<NDArray> {
    private ImageClassifier(Body<NDArray> body, ParameterStore params, String head, float dropout, List<String> labels,
            Set<String> fresh) {
        super(body, params, head, dropout, labels, fresh, List.of());
    }

    /**
     * The body's features of images [batch, 3, h, w], which it is given in channels-last memory
     * order (same shape, NHWC strides): oneDNN convolves that layout without reordering every
     * activation to its blocked one and back, and the layout carries through the network and its
     * gradients (docs/benchmarks.md: most of the lead over plain eager PyTorch in bench/image-throughput.sh).
     */
    @Override
    public NDArray features(NDManager step, NDArray images, boolean training) {
        return super.features(step, Convolutions.channelsLast(images), training);
    }

    /**
     * From a torchvision state dict, head included and sized to {@code labels}; every tensor the body
     * declares must be there with its shape ({@code source} names the weights in the error).
     */
    public static ImageClassifier fromStateDict(NDManager manager, Function<ParameterStore, Body<NDArray>> bodyOf,
            String head, float dropout, Map<String, HostTensor> weights, List<String> labels, String source) {
        ParameterStore params = new ParameterStore(manager);
        try {
            Body<NDArray> body = bodyOf.apply(params);
            for (Module m : body.modules()) {
                m.parameters().forEach((local, shape) -> params.put(m.key(local), checked(weights, m.key(local), shape,
                        source)));
                m.buffers().forEach((local, shape) -> params.putBuffer(m.key(local), checked(weights, m.key(local), shape,
                        source)));
            }
            params.put(head + ".weight", checked(weights, head + ".weight", new long[] {labels.size(), body.featureSize()},
                    source));
            params.put(head + ".bias", checked(weights, head + ".bias", new long[] {labels.size()}, source));
            return new ImageClassifier(body, params, head, dropout, labels, Set.of());
        } catch (RuntimeException e) {
            params.close();
            throw e;
        }
    }

    /**
     * A pre-trained body from {@code weights} (or, when it is null, initialised at random as
     * torchvision initialises it: a baseline) and a new head sized to {@code labels}: Normal(0, 0.01)
     * weights and zero biases, except that the rows of labels a fine-tuned model had before
     * ({@code priorLabels}, its head in {@code weights}) are kept.
     */
    public static ImageClassifier withNewHead(NDManager manager, Function<ParameterStore, Body<NDArray>> bodyOf,
            String head, float dropout, Map<String, HostTensor> weights, List<String> labels, List<String> priorLabels,
            long seed, String source) {
        ParameterStore params = new ParameterStore(manager);
        try {
            Body<NDArray> body = bodyOf.apply(params);
            java.util.Random rng = new java.util.Random(seed);
            for (Module m : body.modules()) {
                m.parameters().forEach((local, shape) -> params.put(m.key(local), weights == null
                        ? initial(m, local, shape, rng) : checked(weights, m.key(local), shape, source)));
                m.buffers().forEach((local, shape) -> params.putBuffer(m.key(local), weights == null
                        ? new HostTensor(shape, filled(shape, local.equals("running_var") ? 1f : 0f))
                        : checked(weights, m.key(local), shape, source)));
            }
            int in = Math.toIntExact(body.featureSize());
            float[] w = new float[labels.size() * in];
            float[] b = new float[labels.size()];
            for (int i = 0; i < w.length; i++) w[i] = (float) (rng.nextGaussian() * 0.01);
            HostTensor priorW = weights == null ? null : weights.get(head + ".weight");
            HostTensor priorB = weights == null ? null : weights.get(head + ".bias");
            Set<String> fresh = new java.util.HashSet<>(Set.of(head + ".weight", head + ".bias"));
            if (!priorLabels.isEmpty()) {
                if (priorW == null || priorB == null || priorW.shape()[0] != priorLabels.size() || priorW.shape()[1] != in) {
                    throw new UserError(source + ": its config.json names " + priorLabels.size() + " labels but "
                            + head + ".weight is " + (priorW == null ? "missing" : priorW.shapeString())
                            + " — re-export the model");
                }
                for (int i = 0; i < labels.size(); i++) {
                    int j = priorLabels.indexOf(labels.get(i));
                    if (j < 0) continue;
                    System.arraycopy(priorW.data(), j * in, w, i * in, in);
                    b[i] = priorB.data()[j];
                }
            }
            params.put(head + ".weight", new HostTensor(new long[] {labels.size(), in}, w));
            params.put(head + ".bias", new HostTensor(new long[] {labels.size()}, b));
            if (weights == null) body.modules().forEach(m -> m.parameters().keySet().forEach(l -> fresh.add(m.key(l))));
            return new ImageClassifier(body, params, head, dropout, labels, fresh);
        } catch (RuntimeException e) {
            params.close();
            throw e;
        }
    }

    /** torchvision's initialisation: Kaiming normal (fan out) for convolutions, Normal(0, 0.01) for linear layers, norms at 1 and 0. */
    private static HostTensor initial(Module m, String local, long[] shape, java.util.Random rng) {
        if (local.equals("bias")) return new HostTensor(shape, filled(shape, 0f));
        if (m.kind() == Module.Kind.NORM) return new HostTensor(shape, filled(shape, 1f));
        double std = 0.01;
        if (m.kind() == Module.Kind.CONVOLUTION) {
            long fanOut = shape[0];
            for (int i = 2; i < shape.length; i++) fanOut *= shape[i];
            std = Math.sqrt(2.0 / fanOut);
        }
        float[] v = new float[(int) java.util.Arrays.stream(shape).reduce(1, (a, b) -> a * b)];
        for (int i = 0; i < v.length; i++) v[i] = (float) (rng.nextGaussian() * std);
        return new HostTensor(shape, v);
    }

    private static float[] filled(long[] shape, float value) {
        float[] v = new float[(int) java.util.Arrays.stream(shape).reduce(1, (a, b) -> a * b)];
        java.util.Arrays.fill(v, value);
        return v;
    }

    private static HostTensor checked(Map<String, HostTensor> weights, String key, long[] shape, String source) {
        HostTensor t = weights.get(key);
        if (t == null) throw new UserError(source + ": no tensor '" + key + "' — not the architecture's state dict");
        if (!Arrays.equals(t.shape(), shape)) {
            throw new UserError(source + ": '" + key + "' has shape " + t.shapeString() + ", expected "
                    + Arrays.toString(shape));
        }
        return t;
    }
}
