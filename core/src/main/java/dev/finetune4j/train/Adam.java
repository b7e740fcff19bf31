package dev.finetune4j.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.finetune4j.model.ParameterStore;
import java.util.List;

/**
 * Adam (Kingma and Ba) as {@code torch.optim.Adam}: weight decay is an L2 term added to the
 * gradient, {@code g + wd * p}, before the moments. {@link AdamW} decouples it instead.
 *
 * <pre>
 * m = b1 m + (1 - b1) g;  v = b2 v + (1 - b2) g^2
 * p -= lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)
 * </pre>
 */
public sealed class Adam extends Optimizer permits AdamW {
    /** {@code decoupled}: AdamW's weight decay ({@code p *= 1 - lr * wd}) instead of Adam's L2 term. */
    public record Settings(double beta1, double beta2, double eps, boolean decoupled) implements Optimizer.Settings {
        /** PyTorch's defaults: betas (0.9, 0.999), eps 1e-8. */
        public static Settings adam() {
            return new Settings(0.9, 0.999, 1e-8, false);
        }

        public static Settings adamW() {
            return new Settings(0.9, 0.999, 1e-8, true);
        }

        public Settings {
            if (!(beta1 >= 0 && beta1 < 1) || !(beta2 >= 0 && beta2 < 1)) throw new IllegalArgumentException("betas must be in [0, 1)");
            if (!(eps > 0)) throw new IllegalArgumentException("eps must be > 0");
        }

        @Override
        public Optimizer create(ParameterStore params, List<Group> groups) {
            return decoupled ? new AdamW(params, groups, beta1, beta2, eps) : new Adam(params, groups, beta1, beta2, eps);
        }
    }

    static final String EXP_AVG = "exp_avg", EXP_AVG_SQ = "exp_avg_sq";

    private final double beta1;
    private final double beta2;
    private final double eps;
    private final boolean decoupled;

    public Adam(ParameterStore params, List<Group> groups, double beta1, double beta2, double eps) {
        this(params, groups, beta1, beta2, eps, false);
    }

    Adam(ParameterStore params, List<Group> groups, double beta1, double beta2, double eps, boolean decoupled) {
        super(params, groups, List.of(EXP_AVG, EXP_AVG_SQ));
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.eps = eps;
        this.decoupled = decoupled;
    }

    @Override
    protected final void update(String name, NDArray p, NDArray grad, double lr, double weightDecay, long t,
            NDManager local) {
        float stepSize = (float) (1.0 / (1 - Math.pow(beta1, t)));
        float sqrtBc2 = (float) Math.sqrt(1 - Math.pow(beta2, t));
        NDArray g = decoupled ? grad : withL2(p, grad, weightDecay, local);
        NDArray mt = state(EXP_AVG, name, p);
        NDArray vt = state(EXP_AVG_SQ, name, p);
        mt.muli((float) beta1).addi(g.mul((float) (1 - beta1)));
        vt.muli((float) beta2).addi(g.square().muli((float) (1 - beta2)));
        if (decoupled && weightDecay > 0) p.muli((float) (1 - lr * weightDecay));
        NDArray denom = local(vt.sqrt(), local).divi(sqrtBc2).addi((float) eps);
        p.subi(local(mt.div(denom), local).muli((float) (lr * stepSize)));
    }
}
