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
 * A CNN body with torchvision's linear head: {@code fc} for ResNet, {@code classifier.1} (after
 * dropout 0.2) for MobileNetV2, sized to the labels.
 */
public final class ImageClassifier extends Classifier<NDArray> {
    private ImageClassifier(Body<NDArray> body, ParameterStore params, String head, float dropout, List<String> labels,
            Set<String> fresh) {
        super(body, params, head, dropout, labels, fresh, List.of());
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
