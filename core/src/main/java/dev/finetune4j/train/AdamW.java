package dev.finetune4j.train;

import dev.finetune4j.model.ParameterStore;
import java.util.List;

/**
 * AdamW (Loshchilov and Hutter) as {@code torch.optim.AdamW}: {@link Adam} with the weight decay
 * decoupled from the gradient, {@code p *= 1 - lr * wd} before the update, applied only to the
 * parameters of a decay group (not biases or LayerNorm, as BERT's recipe). The default optimizer.
 */
public final class AdamW extends Adam {
    public AdamW(ParameterStore params, List<Group> groups, double beta1, double beta2, double eps) {
        super(params, groups, beta1, beta2, eps, true);
    }
}
