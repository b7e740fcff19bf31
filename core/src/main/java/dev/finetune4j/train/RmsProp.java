package dev.finetune4j.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.finetune4j.model.ParameterStore;
import java.util.List;

/**
 * RMSprop (Hinton) as {@code torch.optim.RMSprop}: weight decay as an L2 term on the gradient;
 * centered (Graves) divides by an estimate of the gradient's variance instead of its second moment.
 *
 * <pre>
 * g = g + wd p
 * s = alpha s + (1 - alpha) g^2
 * a = g_avg = alpha g_avg + (1 - alpha) g  (centered)
 * r = sqrt(s - g_avg^2) + eps  (centered), else sqrt(s) + eps
 * b = momentum b + g / r; p -= lr b  (momentum > 0), else p -= lr g / r
 * </pre>
 */
public final class RmsProp extends Optimizer {
    /** PyTorch's defaults: alpha 0.99, eps 1e-8, momentum 0, not centered. */
    public record Settings(double alpha, double eps, double momentum, boolean centered) implements Optimizer.Settings {
        public Settings {
            if (!(alpha >= 0 && alpha < 1)) throw new IllegalArgumentException("alpha must be in [0, 1)");
            if (!(eps > 0)) throw new IllegalArgumentException("eps must be > 0");
            if (!(momentum >= 0)) throw new IllegalArgumentException("momentum must be >= 0");
        }

        @Override
        public Optimizer create(ParameterStore params, List<Group> groups) {
            return new RmsProp(params, groups, this);
        }
    }

    static final String SQUARE_AVG = "square_avg", GRAD_AVG = "grad_avg", MOMENTUM_BUFFER = "momentum_buffer";

    private final Settings settings;

    public RmsProp(ParameterStore params, List<Group> groups, Settings settings) {
        super(params, groups, List.of(SQUARE_AVG, GRAD_AVG, MOMENTUM_BUFFER));
        this.settings = settings;
    }

    @Override
    protected void update(String name, NDArray p, NDArray grad, double lr, double weightDecay, long t, NDManager local) {
        NDArray g = withL2(p, grad, weightDecay, local);
        float alpha = (float) settings.alpha();
        NDArray squareAvg = state(SQUARE_AVG, name, p);
        squareAvg.muli(alpha).addi(g.square().muli(1 - alpha));
        NDArray avg;
        if (settings.centered()) {
            NDArray gradAvg = state(GRAD_AVG, name, p);
            gradAvg.muli(alpha).addi(g.mul(1 - alpha));
            NDArray variance = local(squareAvg.sub(local(gradAvg.square(), local)), local);
            avg = variance.sqrt().addi((float) settings.eps());
        } else {
            avg = local(squareAvg.sqrt(), local).addi((float) settings.eps());
        }
        if (settings.momentum() > 0) {
            NDArray buffer = state(MOMENTUM_BUFFER, name, p);
            buffer.muli((float) settings.momentum()).addi(g.div(avg));
            p.subi(local(buffer.mul((float) lr), local));
        } else {
            p.subi(g.div(avg).muli((float) lr));
        }
    }
}
