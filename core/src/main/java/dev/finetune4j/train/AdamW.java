package dev.finetune4j.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import dev.finetune4j.model.ParameterStore;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * AdamW (Loshchilov and Hutter) updating parameters in place, with decoupled weight decay applied
 * only to the parameters of a decay group (not biases or LayerNorm, as BERT's recipe), per-group
 * learning-rate multipliers and clipping by the global gradient norm, as
 * {@code torch.nn.utils.clip_grad_norm_} followed by {@code torch.optim.AdamW}.
 *
 * <p>Gradients are zeroed here after each update: DJL's PyTorch gradient collector does not do it.
 */
public final class AdamW implements AutoCloseable {
    /** A set of parameters sharing weight decay and a learning-rate multiplier. */
    public record Group(String name, List<String> parameters, double lrMultiplier, double weightDecay) {
        public Group {
            parameters = List.copyOf(parameters);
        }
    }

    private final ParameterStore params;
    private List<Group> groups;
    private final double beta1;
    private final double beta2;
    private final double eps;
    private final NDManager stateManager;
    private final Map<String, NDArray> m = new LinkedHashMap<>();
    private final Map<String, NDArray> v = new LinkedHashMap<>();
    private final Map<String, Long> parameterSteps = new LinkedHashMap<>();
    private long step;

    public AdamW(ParameterStore params, List<Group> groups, double beta1, double beta2, double eps) {
        this.params = params;
        this.groups = List.copyOf(groups);
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.eps = eps;
        this.stateManager = params.manager().newSubManager();
    }

    /** Decay everything but biases and LayerNorm parameters (BERT's, and Hugging Face Trainer's, rule). */
    public static List<Group> decayGroups(ParameterStore params, double weightDecay, double lrMultiplier,
            java.util.function.Predicate<String> include, String prefix) {
        List<String> decay = new ArrayList<>(), noDecay = new ArrayList<>();
        for (String name : params.all().keySet()) {
            if (!params.isTrainable(name) || !include.test(name)) continue;
            (isNoDecay(name) ? noDecay : decay).add(name);
        }
        List<Group> out = new ArrayList<>();
        if (!decay.isEmpty()) out.add(new Group(prefix + "decay", decay, lrMultiplier, weightDecay));
        if (!noDecay.isEmpty()) out.add(new Group(prefix + "no_decay", noDecay, lrMultiplier, 0.0));
        return out;
    }

    public static boolean isNoDecay(String name) {
        return name.endsWith(".bias") || name.contains("LayerNorm") || name.contains("layer_norm");
    }

    public List<Group> groups() {
        return groups;
    }

    /**
     * Changes which parameters are updated and how (e.g. when layers are unfrozen). Parameters
     * seen before keep their moments; a parameter new to the optimizer starts with zero moments and
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
            // A non-finite gradient would poison the weights and both moments: drop it instead.
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
                float stepSize = (float) (1.0 / (1 - Math.pow(beta1, t)));
                float sqrtBc2 = (float) Math.sqrt(1 - Math.pow(beta2, t));
                try (NDManager local = scope.newSubManager()) {
                    NDArray grad = p.getGradient();
                    grad.attach(local);
                    if (clip != 1.0) grad = grad.mul((float) clip);
                    NDArray mt = m.computeIfAbsent(name, k -> stateManager.zeros(p.getShape()));
                    NDArray vt = v.computeIfAbsent(name, k -> stateManager.zeros(p.getShape()));
                    mt.muli((float) beta1).addi(grad.mul((float) (1 - beta1)));
                    vt.muli((float) beta2).addi(grad.square().muli((float) (1 - beta2)));
                    if (g.weightDecay() > 0) p.muli((float) (1 - groupLr * g.weightDecay()));
                    // Results attach to their first operand's manager: keep temporaries out of the state's.
                    NDArray denom = local(vt.sqrt(), local).divi(sqrtBc2).addi((float) eps);
                    p.subi(local(mt.div(denom), local).muli((float) (groupLr * stepSize)));
                }
                JniUtils.zeroGrad((PtNDArray) p);
            }
        }
        return norm;
    }

    private List<String> lastNonFinite = List.of();

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

    private static NDArray local(NDArray temporary, NDManager scope) {
        temporary.attach(scope);
        return temporary;
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

    /** Optimizer state for checkpoints: first and second moments by parameter name. */
    public Map<String, NDArray> firstMoments() {
        return m;
    }

    public Map<String, NDArray> secondMoments() {
        return v;
    }

    /** How many updates each parameter has had (its bias-correction step), by name. */
    public Map<String, Long> parameterSteps() {
        return Map.copyOf(parameterSteps);
    }

    /** The moments as host tensors named {@code exp_avg/<param>} and {@code exp_avg_sq/<param>}, for a checkpoint. */
    public Map<String, dev.finetune4j.model.io.HostTensor> momentsToHost() {
        Map<String, dev.finetune4j.model.io.HostTensor> out = new LinkedHashMap<>();
        m.forEach((name, a) -> out.put("exp_avg/" + name, host(a)));
        v.forEach((name, a) -> out.put("exp_avg_sq/" + name, host(a)));
        return out;
    }

    /** Puts back what {@link #momentsToHost}, {@link #parameterSteps} and {@link #stepCount} returned. */
    public void restore(Map<String, dev.finetune4j.model.io.HostTensor> moments, Map<String, Long> steps, long stepCount) {
        m.values().forEach(NDArray::close);
        v.values().forEach(NDArray::close);
        m.clear();
        v.clear();
        for (Map.Entry<String, dev.finetune4j.model.io.HostTensor> e : moments.entrySet()) {
            String key = e.getKey();
            int slash = key.indexOf('/');
            String kind = key.substring(0, slash), name = key.substring(slash + 1);
            NDArray a = stateManager.create(e.getValue().data(), new ai.djl.ndarray.types.Shape(e.getValue().shape()));
            if (kind.equals("exp_avg")) m.put(name, a);
            else if (kind.equals("exp_avg_sq")) v.put(name, a);
            else throw new IllegalArgumentException("not an AdamW moment: " + key);
        }
        parameterSteps.clear();
        parameterSteps.putAll(steps);
        step = stepCount;
    }

    private static dev.finetune4j.model.io.HostTensor host(NDArray a) {
        return new dev.finetune4j.model.io.HostTensor(a.getShape().getShape(), a.toFloatArray());
    }

    @Override
    public void close() {
        stateManager.close();
    }
}
