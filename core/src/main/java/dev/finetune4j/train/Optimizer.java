package dev.finetune4j.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import dev.finetune4j.model.HostTensor;
import dev.finetune4j.model.ParameterStore;
import dev.finetune4j.model.TrainableModel;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * An optimizer updating parameters in place, as {@code torch.nn.utils.clip_grad_norm_} followed by
 * the {@code torch.optim} optimizer of the same name: per-group learning-rate multipliers and weight
 * decay, clipping by the global gradient norm, a non-finite gradient dropped instead of applied,
 * and state (moments, momentum buffers) by parameter name for exact resume. Subclasses give the
 * update rule of one parameter.
 *
 * <p>Gradients are zeroed here after each update: DJL's PyTorch gradient collector does not do it.
 */
public abstract sealed class Optimizer implements AutoCloseable permits Adam, Sgd, RmsProp {
    /** A set of parameters sharing weight decay and a learning-rate multiplier. */
    public record Group(String name, List<String> parameters, double lrMultiplier, double weightDecay) {
        public Group {
            parameters = List.copyOf(parameters);
        }
    }

    /** What a recipe chooses: an optimizer kind and its settings. */
    public sealed interface Settings permits Adam.Settings, Sgd.Settings, RmsProp.Settings {
        Optimizer create(ParameterStore params, List<Group> groups);
    }

    private final ParameterStore params;
    private List<Group> groups;
    private final NDManager stateManager;
    /** By state kind ({@code exp_avg}, {@code momentum_buffer}, ...), then parameter name. */
    private final Map<String, Map<String, NDArray>> state = new LinkedHashMap<>();
    private final Map<String, Long> parameterSteps = new LinkedHashMap<>();
    private long step;
    private List<String> lastNonFinite = List.of();

    protected Optimizer(ParameterStore params, List<Group> groups, List<String> stateKinds) {
        this.params = params;
        this.groups = List.copyOf(groups);
        this.stateManager = params.manager().newSubManager();
        for (String kind : stateKinds) state.put(kind, new LinkedHashMap<>());
    }

    /**
     * Updates one parameter in place from its (clipped) gradient. Temporaries go into {@code local}
     * ({@link #local}); state arrays come from {@link #state} and {@link #stateOrNull}.
     *
     * @param t this parameter's update count, from 1 (its bias-correction step)
     */
    protected abstract void update(String name, NDArray p, NDArray grad, double lr, double weightDecay, long t,
            NDManager local);

    /**
     * The trainable parameters that {@code include} selects, split into a group that decays and one
     * that does not ({@link TrainableModel#takesNoDecay}: norm layers and biases, BERT's and Hugging
     * Face Trainer's rule).
     */
    public static List<Group> decayGroups(TrainableModel<?> model, double weightDecay, double lrMultiplier,
            java.util.function.Predicate<String> include, String prefix) {
        ParameterStore params = model.parameters();
        List<String> decay = new ArrayList<>(), noDecay = new ArrayList<>();
        for (String name : params.parameterNames()) {
            if (!params.isTrainable(name) || !include.test(name)) continue;
            (model.takesNoDecay(name) ? noDecay : decay).add(name);
        }
        List<Group> out = new ArrayList<>();
        if (!decay.isEmpty()) out.add(new Group(prefix + "decay", decay, lrMultiplier, weightDecay));
        if (!noDecay.isEmpty()) out.add(new Group(prefix + "no_decay", noDecay, lrMultiplier, 0.0));
        return out;
    }

    public List<Group> groups() {
        return groups;
    }

    /**
     * Changes which parameters are updated and how (e.g. when layers are unfrozen). Parameters
     * seen before keep their state; a parameter new to the optimizer starts with empty state and
     * its own step count, so its bias correction starts afresh too.
     */
    public void setGroups(List<Group> groups) {
        this.groups = List.copyOf(groups);
    }

    public long stepCount() {
        return step;
    }

    /**
     * Clips by global norm, updates every parameter of every group, zeroes the gradients.
     *
     * @param maxGradNorm 0 or less disables clipping
     * @return the global gradient norm before clipping; when it is not finite, nothing is updated
     *     (the gradients are dropped) and the caller decides what to do
     */
    public double step(NDManager scope, double lr, double maxGradNorm) {
        double norm = globalGradNorm(scope);
        lastNonFinite = List.of();
        if (!Double.isFinite(norm)) {
            lastNonFinite = nonFiniteGradients(scope);
            // A non-finite gradient would poison the weights and the state: drop it instead.
            zeroGradients();
            return norm;
        }
        double clip = maxGradNorm > 0 && norm > maxGradNorm ? maxGradNorm / (norm + 1e-6) : 1.0;
        step++;
        for (Group g : groups) {
            double groupLr = lr * g.lrMultiplier();
            for (String name : g.parameters()) {
                NDArray p = params.get(name);
                long t = parameterSteps.merge(name, 1L, Long::sum);
                try (NDManager local = scope.newSubManager()) {
                    NDArray grad = p.getGradient();
                    grad.attach(local);
                    if (clip != 1.0) grad = grad.mul((float) clip);
                    update(name, p, grad, groupLr, g.weightDecay(), t, local);
                }
                JniUtils.zeroGrad((PtNDArray) p);
            }
        }
        return norm;
    }

    /** This parameter's state of {@code kind}, zeros on first use. */
    protected final NDArray state(String kind, String name, NDArray like) {
        return state.get(kind).computeIfAbsent(name, k -> stateManager.zeros(like.getShape()));
    }

    /** This parameter's state of {@code kind}, or null before {@link #putState}. */
    protected final NDArray stateOrNull(String kind, String name) {
        return state.get(kind).get(name);
    }

    /** Keeps a copy of {@code value} as this parameter's state of {@code kind}. */
    protected final NDArray putState(String kind, String name, NDArray value) {
        NDArray copy = value.duplicate();
        copy.attach(stateManager);
        state.get(kind).put(name, copy);
        return copy;
    }

    /** PyTorch's coupled weight decay (Adam, SGD, RMSprop): the gradient plus the L2 term, {@code g + wd * p}. */
    protected static NDArray withL2(NDArray p, NDArray grad, double weightDecay, NDManager local) {
        return weightDecay > 0 ? grad.add(local(p.mul((float) weightDecay), local)) : grad;
    }

    /** Moves an op's result into {@code scope}: results attach to their first operand's manager. */
    protected static NDArray local(NDArray temporary, NDManager scope) {
        temporary.attach(scope);
        return temporary;
    }

    /**
     * After a {@link #step} that returned a non-finite norm: each parameter whose gradient held NaN or
     * infinite values, with its largest finite magnitude ("name: 3 inf, 0 NaN of 1536, max |finite| 1.2e+04").
     */
    public List<String> lastNonFiniteGradients() {
        return lastNonFinite;
    }

    private List<String> nonFiniteGradients(NDManager scope) {
        List<String> out = new ArrayList<>();
        for (Group g : groups) {
            for (String name : g.parameters()) {
                try (NDManager local = scope.newSubManager()) {
                    NDArray grad = params.get(name).getGradient();
                    grad.attach(local);
                    float[] v = grad.toFloatArray();
                    int inf = 0, nan = 0;
                    double max = 0;
                    for (float x : v) {
                        if (Float.isNaN(x)) nan++;
                        else if (Float.isInfinite(x)) inf++;
                        else max = Math.max(max, Math.abs(x));
                    }
                    if (inf + nan > 0 || max > 1e18) {
                        out.add(String.format("%s: %d inf, %d NaN of %d, max |finite| %.3g", name, inf, nan, v.length, max));
                    }
                }
            }
        }
        return out;
    }

    /** Zeroes the gradients of every parameter this optimizer updates. */
    public void zeroGradients() {
        for (Group g : groups) {
            for (String name : g.parameters()) JniUtils.zeroGrad((PtNDArray) params.get(name));
        }
    }

    private double globalGradNorm(NDManager scope) {
        try (NDManager local = scope.newSubManager()) {
            NDArray total = null;
            for (Group g : groups) {
                for (String name : g.parameters()) {
                    NDArray grad = params.get(name).getGradient();
                    grad.attach(local);
                    NDArray sq = grad.square().sum();
                    total = total == null ? sq : total.addi(sq);
                }
            }
            return total == null ? 0.0 : Math.sqrt(total.getFloat());
        }
    }

    /** How many updates each parameter has had (its bias-correction step), by name. */
    public Map<String, Long> parameterSteps() {
        return Map.copyOf(parameterSteps);
    }

    /** The state as host tensors named {@code <kind>/<param>} (e.g. {@code exp_avg/bert.pooler.dense.weight}), for a checkpoint. */
    public Map<String, HostTensor> stateToHost() {
        Map<String, HostTensor> out = new LinkedHashMap<>();
        state.forEach((kind, arrays) -> arrays.forEach((name, a) ->
                out.put(kind + "/" + name, new HostTensor(a.getShape().getShape(), a.toFloatArray()))));
        return out;
    }

    /** Puts back what {@link #stateToHost}, {@link #parameterSteps} and {@link #stepCount} returned. */
    public void restore(Map<String, HostTensor> saved, Map<String, Long> steps, long stepCount) {
        for (Map<String, NDArray> arrays : state.values()) {
            arrays.values().forEach(NDArray::close);
            arrays.clear();
        }
        for (Map.Entry<String, HostTensor> e : saved.entrySet()) {
            String key = e.getKey();
            int slash = key.indexOf('/');
            Map<String, NDArray> arrays = slash < 0 ? null : state.get(key.substring(0, slash));
            if (arrays == null) {
                throw new IllegalArgumentException("not state of " + getClass().getSimpleName() + ": " + key
                        + " (its kinds are " + state.keySet() + ")");
            }
            HostTensor t = e.getValue();
            arrays.put(key.substring(slash + 1), stateManager.create(t.data(), new ai.djl.ndarray.types.Shape(t.shape())));
        }
        parameterSteps.clear();
        parameterSteps.putAll(steps);
        step = stepCount;
    }

    @Override
    public void close() {
        stateManager.close();
    }
}
