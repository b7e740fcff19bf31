package dev.finetune4j.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import dev.finetune4j.TensorRuntime;
import dev.finetune4j.model.HostTensor;
import dev.finetune4j.model.ParameterStore;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Each optimizer's update against its closed form as {@code torch.optim} defines it, computed here
 * in doubles, over five steps of a quadratic loss (so the gradient changes with the weights), with
 * weight decay on one group and a learning-rate multiplier on the other, with clipping by the global norm
 * (on at least the first step) and without. Then exact resume: two steps, state to host and back into a new optimizer,
 * three more, equal bit for bit to five steps without the break.
 */
class OptimizerTest {
    static final double LR = 0.05, WD = 0.1, NO_DECAY_LR_MULTIPLIER = 0.5, MAX_NORM = 2.0;
    static final double[] A = {1.0, 0.5, 2.0, 1.5, 0.25, 3.0}, C = {0.3, -1.2, 0.8, -0.1, 2.5, -0.7};
    static final double[] W0 = {0.5, -0.25, 1.0, 0.75, -1.5, 0.2}, B0 = {0.1, -0.3};

    static Stream<Arguments> optimizers() {
        return Stream.of(
                Arguments.of("adamw", Adam.Settings.adamW()),
                Arguments.of("adam", Adam.Settings.adam()),
                Arguments.of("adam betas", new Adam.Settings(0.8, 0.99, 1e-6, false)),
                Arguments.of("sgd", new Sgd.Settings(0, 0, false)),
                Arguments.of("sgd momentum", new Sgd.Settings(0.9, 0.1, false)),
                Arguments.of("sgd nesterov", new Sgd.Settings(0.9, 0, true)),
                Arguments.of("rmsprop", new RmsProp.Settings(0.99, 1e-8, 0, false)),
                Arguments.of("rmsprop centered momentum", new RmsProp.Settings(0.9, 1e-8, 0.8, true)));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("optimizers")
    void updatesMatchTheClosedForm(String label, Optimizer.Settings settings) {
        for (double maxNorm : new double[] {MAX_NORM, 0}) { // every step clipped; clipping off
            updatesMatchTheClosedForm(label + (maxNorm > 0 ? " clipped" : ""), settings, maxNorm);
        }
    }

    private void updatesMatchTheClosedForm(String label, Optimizer.Settings settings, double maxNorm) {
        Reference ref = new Reference(settings, maxNorm);
        try (NDManager m = TensorRuntime.newManager(); ParameterStore ps = store(m);
                Optimizer opt = settings.create(ps, groups(ps))) {
            for (int step = 0; step < 5; step++) {
                backward(ps);
                opt.step(m, LR, maxNorm);
                ref.step();
                float[] w = ps.get("w").toFloatArray(), b = ps.get("b").toFloatArray();
                for (int i = 0; i < w.length; i++) assertThat((double) w[i]).as("%s step %d w[%d]", label, step, i).isCloseTo(ref.w[i], within(1e-6));
                for (int i = 0; i < b.length; i++) assertThat((double) b[i]).as("%s step %d b[%d]", label, step, i).isCloseTo(ref.b[i], within(1e-6));
            }
            if (maxNorm > 0) assertThat(ref.clippedSteps).as("steps clipped").isPositive();
            else assertThat(ref.clippedSteps).as("steps clipped").isZero();
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("optimizers")
    void aResumeFromTheSavedStateIsBitForBitTheUninterruptedRun(String label, Optimizer.Settings settings) {
        float[] straight, resumed;
        try (NDManager m = TensorRuntime.newManager(); ParameterStore ps = store(m);
                Optimizer opt = settings.create(ps, groups(ps))) {
            for (int step = 0; step < 5; step++) {
                backward(ps);
                opt.step(m, LR, MAX_NORM);
            }
            straight = concat(ps);
        }
        try (NDManager m = TensorRuntime.newManager(); ParameterStore ps = store(m)) {
            Map<String, HostTensor> state;
            Map<String, Long> steps;
            long count;
            try (Optimizer first = settings.create(ps, groups(ps))) {
                for (int step = 0; step < 2; step++) {
                    backward(ps);
                    first.step(m, LR, MAX_NORM);
                }
                state = first.stateToHost();
                steps = first.parameterSteps();
                count = first.stepCount();
            }
            try (Optimizer second = settings.create(ps, groups(ps))) {
                second.restore(state, steps, count);
                for (int step = 2; step < 5; step++) {
                    backward(ps);
                    second.step(m, LR, MAX_NORM);
                }
            }
            resumed = concat(ps);
        }
        assertThat(resumed).containsExactly(straight);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("optimizers")
    void stateOfAnotherOptimizerIsRefusedByName(String label, Optimizer.Settings settings) {
        try (NDManager m = TensorRuntime.newManager(); ParameterStore ps = store(m);
                Optimizer opt = settings.create(ps, groups(ps))) {
            assertThatThrownBy(() -> opt.restore(Map.of("no_such_state/w", new HostTensor(new long[] {2, 3}, new float[6])),
                    Map.of(), 0)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("no_such_state/w");
        }
    }

    @org.junit.jupiter.api.Test
    void nesterovWithoutMomentumIsRefusedAsPyTorchDoes() {
        assertThatThrownBy(() -> new Sgd.Settings(0, 0, true)).hasMessageContaining("Nesterov");
        assertThatThrownBy(() -> new Sgd.Settings(0.9, 0.1, true)).hasMessageContaining("Nesterov");
    }

    private static ParameterStore store(NDManager m) {
        ParameterStore ps = new ParameterStore(m);
        ps.put("w", new HostTensor(new long[] {2, 3}, floats(W0)));
        ps.put("b", new HostTensor(new long[] {2}, floats(B0)));
        return ps;
    }

    private static List<Optimizer.Group> groups(ParameterStore ps) {
        return List.of(new Optimizer.Group("decay", List.of("w"), 1.0, WD),
                new Optimizer.Group("no_decay", List.of("b"), NO_DECAY_LR_MULTIPLIER, 0.0));
    }

    /** loss = sum(A w^2 / 2 + C w) + sum(b^2): the gradients are A w + C and 2 b. */
    private static void backward(ParameterStore ps) {
        try (NDManager scope = ps.manager().newSubManager()) {
            NDArray a = scope.create(floats(A)).reshape(2, 3), c = scope.create(floats(C)).reshape(2, 3);
            NDArray half = scope.create(0.5f);
            JniUtils.setGradMode(true);
            NDArray loss;
            try {
                loss = a.mul(ps.get("w").square()).mul(half).add(c.mul(ps.get("w"))).sum().add(ps.get("b").square().sum());
            } finally {
                JniUtils.setGradMode(false);
            }
            JniUtils.backward((PtNDArray) loss, (PtNDArray) loss.onesLike(), false, false);
        }
    }

    private static float[] concat(ParameterStore ps) {
        float[] w = ps.get("w").toFloatArray(), b = ps.get("b").toFloatArray();
        float[] out = new float[w.length + b.length];
        System.arraycopy(w, 0, out, 0, w.length);
        System.arraycopy(b, 0, out, w.length, b.length);
        return out;
    }

    private static float[] floats(double[] v) {
        float[] out = new float[v.length];
        for (int i = 0; i < v.length; i++) out[i] = (float) v[i];
        return out;
    }

    /** torch.optim's update rules in doubles, one parameter tensor per group. */
    private static final class Reference {
        final Optimizer.Settings settings;
        final double maxNorm;
        final double[] w = W0.clone(), b = B0.clone();
        final Map<String, double[]> state = new LinkedHashMap<>();
        int t, clippedSteps;

        Reference(Optimizer.Settings settings, double maxNorm) {
            this.settings = settings;
            this.maxNorm = maxNorm;
        }

        void step() {
            t++;
            double[] gw = new double[w.length], gb = new double[b.length];
            double sq = 0;
            for (int i = 0; i < w.length; i++) sq += Math.pow(gw[i] = A[i] * w[i] + C[i], 2);
            for (int i = 0; i < b.length; i++) sq += Math.pow(gb[i] = 2 * b[i], 2);
            double norm = Math.sqrt(sq);
            if (maxNorm > 0 && norm > maxNorm) {
                clippedSteps++;
                double clip = maxNorm / (norm + 1e-6);
                for (int i = 0; i < gw.length; i++) gw[i] *= clip;
                for (int i = 0; i < gb.length; i++) gb[i] *= clip;
            }
            update("w", w, gw, LR, WD);
            update("b", b, gb, LR * NO_DECAY_LR_MULTIPLIER, 0.0);
        }

        double[] s(String kind, String name, int n) {
            return state.computeIfAbsent(kind + "/" + name, k -> new double[n]);
        }

        void update(String name, double[] p, double[] g, double lr, double wd) {
            int n = p.length;
            if (settings instanceof Adam.Settings a) {
                double[] m = s("m", name, n), v = s("v", name, n);
                for (int i = 0; i < n; i++) {
                    double gi = a.decoupled() ? g[i] : g[i] + wd * p[i];
                    if (a.decoupled()) p[i] *= 1 - lr * wd;
                    m[i] = a.beta1() * m[i] + (1 - a.beta1()) * gi;
                    v[i] = a.beta2() * v[i] + (1 - a.beta2()) * gi * gi;
                    double denom = Math.sqrt(v[i]) / Math.sqrt(1 - Math.pow(a.beta2(), t)) + a.eps();
                    p[i] -= lr / (1 - Math.pow(a.beta1(), t)) * m[i] / denom;
                }
            } else if (settings instanceof Sgd.Settings sgd) {
                boolean first = !state.containsKey("buf/" + name);
                double[] buf = s("buf", name, n);
                for (int i = 0; i < n; i++) {
                    double d = g[i] + wd * p[i];
                    if (sgd.momentum() > 0) {
                        buf[i] = first ? d : sgd.momentum() * buf[i] + (1 - sgd.dampening()) * d;
                        d = sgd.nesterov() ? d + sgd.momentum() * buf[i] : buf[i];
                    }
                    p[i] -= lr * d;
                }
            } else if (settings instanceof RmsProp.Settings r) {
                double[] sq = s("square_avg", name, n), ga = s("grad_avg", name, n), buf = s("buf", name, n);
                for (int i = 0; i < n; i++) {
                    double gi = g[i] + wd * p[i];
                    sq[i] = r.alpha() * sq[i] + (1 - r.alpha()) * gi * gi;
                    double avg;
                    if (r.centered()) {
                        ga[i] = r.alpha() * ga[i] + (1 - r.alpha()) * gi;
                        avg = Math.sqrt(sq[i] - ga[i] * ga[i]) + r.eps();
                    } else {
                        avg = Math.sqrt(sq[i]) + r.eps();
                    }
                    if (r.momentum() > 0) {
                        buf[i] = r.momentum() * buf[i] + gi / avg;
                        p[i] -= lr * buf[i];
                    } else {
                        p[i] -= lr * gi / avg;
                    }
                }
            } else {
                throw new IllegalStateException(settings.toString());
            }
        }
    }
}
