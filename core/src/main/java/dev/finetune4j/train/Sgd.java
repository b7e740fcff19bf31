package dev.finetune4j.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.finetune4j.model.ParameterStore;
import java.util.List;

/**
 * Stochastic gradient descent as {@code torch.optim.SGD}: weight decay as an L2 term on the
 * gradient, heavy-ball momentum with dampening, or Nesterov momentum.
 *
 * <pre>
 * d = g + wd p
 * b = d at the first step, else momentum b + (1 - dampening) d
 * d = d + momentum b (Nesterov) or b (momentum > 0)
 * p -= lr d
 * </pre>
 */
public final class Sgd extends Optimizer {
    /**
     * @param momentum 0 for plain SGD
     * @param nesterov needs momentum > 0 and dampening 0, as PyTorch requires
     */
    public record Settings(double momentum, double dampening, boolean nesterov) implements Optimizer.Settings {
        public Settings {
            if (!(momentum >= 0)) throw new IllegalArgumentException("momentum must be >= 0");
            if (!(dampening >= 0 && dampening <= 1)) throw new IllegalArgumentException("dampening must be in [0, 1]");
            if (nesterov && (momentum <= 0 || dampening != 0)) {
                throw new IllegalArgumentException("Nesterov momentum requires a momentum > 0 and zero dampening");
            }
        }

        @Override
        public Optimizer create(ParameterStore params, List<Group> groups) {
            return new Sgd(params, groups, this);
        }
    }

    static final String MOMENTUM_BUFFER = "momentum_buffer";

    private final Settings settings;

    public Sgd(ParameterStore params, List<Group> groups, Settings settings) {
        super(params, groups, List.of(MOMENTUM_BUFFER));
        this.settings = settings;
    }

    @Override
    protected void update(String name, NDArray p, NDArray grad, double lr, double weightDecay, long t, NDManager local) {
        NDArray d = withL2(p, grad, weightDecay, local);
        double momentum = settings.momentum();
        if (momentum > 0) {
            NDArray buffer = stateOrNull(MOMENTUM_BUFFER, name);
            if (buffer == null) {
                buffer = putState(MOMENTUM_BUFFER, name, d);
            } else {
                buffer.muli((float) momentum).addi(d.mul((float) (1 - settings.dampening())));
            }
            d = settings.nesterov() ? d.add(local(buffer.mul((float) momentum), local)) : buffer;
        }
        p.subi(local(d.mul((float) lr), local));
    }
}
