package dev.finetune4j.model.mobilenet;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.finetune4j.UserError;
import dev.finetune4j.model.Classifier;
import dev.finetune4j.model.HostTensor;
import dev.finetune4j.model.Module;
import dev.finetune4j.model.ParameterStore;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * torchvision's {@code mobilenet_v2}: the {@link MobileNetV2} body, then dropout 0.2 and a linear
 * layer under {@code classifier.1}, as its state dict names it.
 */
public final class MobileNetV2ForImageClassification extends Classifier<NDArray> {
    public static final String HEAD = "classifier.1";
    public static final float DROPOUT = 0.2f;

    private MobileNetV2ForImageClassification(MobileNetV2 body, ParameterStore params, List<String> labels,
            Set<String> fresh) {
        super(body, params, HEAD, DROPOUT, labels, fresh, List.of());
    }

    /**
     * From a torchvision state dict (head included, sized to {@code labels}); {@code source} names
     * the weights in errors.
     */
    public static MobileNetV2ForImageClassification fromTorchvision(NDManager manager, MobileNetV2.Config config,
            Map<String, HostTensor> weights, List<String> labels, String source) {
        ParameterStore params = new ParameterStore(manager);
        try {
            MobileNetV2 body = new MobileNetV2(config, params);
            for (Module m : body.modules()) {
                m.parameters().forEach((local, shape) -> params.put(m.key(local), checked(weights, m.key(local), shape,
                        source)));
                m.buffers().forEach((local, shape) -> params.putBuffer(m.key(local), checked(weights, m.key(local), shape,
                        source)));
            }
            for (String local : List.of("weight", "bias")) {
                String key = HEAD + "." + local;
                long[] shape = local.equals("weight") ? new long[] {labels.size(), body.featureSize()}
                        : new long[] {labels.size()};
                params.put(key, checked(weights, key, shape, source));
            }
            return new MobileNetV2ForImageClassification(body, params, labels, Set.of());
        } catch (RuntimeException e) {
            params.close();
            throw e;
        }
    }

    private static HostTensor checked(Map<String, HostTensor> weights, String key, long[] shape, String source) {
        HostTensor t = weights.get(key);
        if (t == null) throw new UserError(source + ": no tensor '" + key + "' — not a torchvision mobilenet_v2 state dict");
        if (!java.util.Arrays.equals(t.shape(), shape)) {
            throw new UserError(source + ": '" + key + "' has shape " + t.shapeString() + ", expected "
                    + java.util.Arrays.toString(shape) + " (a different width_mult?)");
        }
        return t;
    }
}
