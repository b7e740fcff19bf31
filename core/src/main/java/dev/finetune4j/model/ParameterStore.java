package dev.finetune4j.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;

/**
 * The named parameters of a model, living in one NDManager for the model's lifetime. Names are
 * checkpoint keys ({@code bert.encoder.layer.0.attention.self.query.weight}), so loading and
 * saving are name lookups.
 *
 * <p>Ops whose first operand is a parameter attach their result to this store's manager, which
 * would leak for the model's lifetime; model code therefore always puts a step-scoped array first.
 */
public final class ParameterStore implements AutoCloseable {
    private final NDManager manager;
    private final Map<String, NDArray> arrays = new LinkedHashMap<>();
    private final Map<String, Boolean> trainable = new LinkedHashMap<>();
    private final java.util.Set<String> buffers = new java.util.HashSet<>();
    private boolean statisticsFrozen;
    private boolean sealed;
    private final Map<String, NDList> derived = new java.util.HashMap<>();
    private NDManager derivedManager;

    public ParameterStore(NDManager parent) {
        this.manager = parent.newSubManager();
    }

    public NDManager manager() {
        return manager;
    }

    public NDArray get(String name) {
        NDArray a = arrays.get(name);
        if (a == null) throw new IllegalArgumentException("no parameter named " + name);
        return a;
    }

    public boolean contains(String name) {
        return arrays.containsKey(name);
    }

    public Map<String, NDArray> all() {
        return Collections.unmodifiableMap(arrays);
    }

    /** Adds or replaces a parameter from host data; it starts trainable. */
    public NDArray put(String name, HostTensor t) {
        checkNotSealed(name);
        NDArray a = insert(name, t);
        buffers.remove(name);
        setTrainable(name, true);
        return a;
    }

    /**
     * Adds or replaces a buffer: state that is saved, restored and exported with the parameters
     * but never trains (BatchNorm's running statistics). Buffers are not counted as parameters.
     */
    public NDArray putBuffer(String name, HostTensor t) {
        checkNotSealed(name);
        NDArray a = insert(name, t);
        trainable.put(name, false);
        buffers.add(name);
        return a;
    }

    private NDArray insert(String name, HostTensor t) {
        NDArray old = arrays.remove(name);
        if (old != null) old.close();
        NDArray a = manager.create(t.data(), new Shape(t.shape()));
        a.setName(name);
        arrays.put(name, a);
        return a;
    }

    public boolean isBuffer(String name) {
        return buffers.contains(name);
    }

    /** The names of the parameters (what may train), without the buffers, in order. */
    public java.util.List<String> parameterNames() {
        return arrays.keySet().stream().filter(n -> !buffers.contains(n)).toList();
    }

    /** Normal(0, std) init as BERT's {@code initializer_range}, seeded. */
    public NDArray putNormal(String name, long[] shape, double std, Random rng) {
        int n = 1;
        for (long d : shape) n *= (int) d;
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) (rng.nextGaussian() * std);
        return put(name, new HostTensor(shape, v));
    }

    public NDArray putZeros(String name, long[] shape) {
        int n = 1;
        for (long d : shape) n *= (int) d;
        return put(name, new HostTensor(shape, new float[n]));
    }

    /** Removes a parameter and frees its memory; an unknown name is an error. */
    public void remove(String name) {
        checkNotSealed(name);
        NDArray a = get(name);
        arrays.remove(name);
        trainable.remove(name);
        buffers.remove(name);
        a.close();
    }

    public void setTrainable(String name, boolean on) {
        if (on) checkNotSealed(name);
        NDArray a = get(name);
        if (buffers.contains(name)) {
            if (on) throw new IllegalArgumentException(name + " is a buffer: it never trains");
            return;
        }
        if (trainable.getOrDefault(name, !on) != on || a.hasGradient() != on) {
            a.setRequiresGradient(on);
        }
        trainable.put(name, on);
    }

    public boolean isTrainable(String name) {
        return trainable.getOrDefault(name, false);
    }

    /**
     * Keeps every norm layer's running statistics as they are, in training too ({@code train.freeze_batchnorm}:
     * batch statistics of a few examples are noisy estimates).
     */
    public void freezeStatistics(boolean on) {
        statisticsFrozen = on;
    }

    /**
     * Whether the norm layer {@code norm} normalises a training batch by its own statistics and moves
     * its running ones: only while it trains. A frozen BatchNorm stays in inference mode, as the rest
     * of the frozen layers it belongs to.
     */
    public boolean updatesStatistics(String norm) {
        return !statisticsFrozen && (isTrainable(norm + ".weight") || isTrainable(norm + ".bias"));
    }

    public long count(boolean onlyTrainable) {
        long n = 0;
        for (Map.Entry<String, NDArray> e : arrays.entrySet()) {
            if (buffers.contains(e.getKey())) continue;
            if (!onlyTrainable || isTrainable(e.getKey())) n += e.getValue().size();
        }
        return n;
    }

    public HostTensor toHost(String name) {
        NDArray a = get(name);
        if (a.getDataType() != DataType.FLOAT32) throw new IllegalStateException(name + " is " + a.getDataType());
        return new HostTensor(a.getShape().getShape(), a.toFloatArray());
    }

    public Map<String, HostTensor> toHost() {
        Map<String, HostTensor> out = new LinkedHashMap<>();
        for (String name : arrays.keySet()) out.put(name, toHost(name));
        return out;
    }

    /**
     * Copies values into the arrays in place: each keeps its storage, its object (the references
     * optimizers and models hold) and whether it takes a gradient.
     */
    public void copyFrom(Map<String, HostTensor> values) {
        for (Map.Entry<String, HostTensor> e : values.entrySet()) {
            checkNotSealed(e.getKey());
            NDArray a = get(e.getKey());
            if (!java.util.Arrays.equals(a.getShape().getShape(), e.getValue().shape())) {
                throw new IllegalArgumentException(e.getKey() + " is " + a.getShape() + ", the new value "
                        + e.getValue().shapeString());
            }
            // Not NDArray.set(Buffer): its JNI call enters libtorch's deprecated AutoNonVariableTypeMode,
            // which prints a warning into every run's output. Not intern() of a new array either: a CPU
            // array made from a Java buffer keeps pointing into that buffer, which intern() leaves behind
            // to be freed. An indexed put copies into the array's own storage (an in-place op, so the
            // array must not require a gradient meanwhile).
            if (a.getShape().dimension() == 0) { // a scalar has nothing to index: the old way, warning and all
                a.set(java.nio.FloatBuffer.wrap(e.getValue().data()));
                continue;
            }
            boolean gradient = a.hasGradient();
            try (NDManager scratch = manager.newSubManager()) {
                NDArray value = scratch.create(e.getValue().data(), a.getShape());
                if (gradient) a.setRequiresGradient(false);
                a.set(new ai.djl.ndarray.index.NDIndex(":"), value);
            } finally {
                if (gradient) a.setRequiresGradient(true);
            }
        }
    }

    /**
     * Makes the store read-only, for a model that only predicts (predict, eval, serve): nothing trains
     * and no tensor changes any more, so values derived from them ({@link #derived}) are computed once.
     */
    public void seal() {
        for (String name : arrays.keySet()) setTrainable(name, false);
        sealed = true;
    }

    public boolean sealed() {
        return sealed;
    }

    /**
     * Values computed from the store's tensors by {@code compute} (which makes them, and whatever it
     * needs on the way, in the manager it is given), such as a BatchNorm folded into its convolution:
     * in {@code scope} for each call while the tensors may change; once the store is sealed, computed
     * the first time and kept with the store.
     */
    public synchronized NDList derived(String key, NDManager scope, java.util.function.Function<NDManager, NDList> compute) {
        if (!sealed) return compute.apply(scope);
        NDList kept = derived.get(key);
        if (kept == null) {
            if (derivedManager == null) derivedManager = manager.newSubManager();
            try (NDManager scratch = manager.newSubManager()) {
                kept = compute.apply(scratch);
                kept.attach(derivedManager);
            }
            derived.put(key, kept);
        }
        return kept;
    }

    private void checkNotSealed(String name) {
        if (sealed) throw new IllegalStateException("cannot change " + name + ": the parameters are sealed for inference");
    }

    @Override
    public void close() {
        manager.close();
    }
}
