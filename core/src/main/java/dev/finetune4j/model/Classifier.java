package dev.finetune4j.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.Dropout;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A classification head over any {@link Body}: dropout, then a linear layer sized to the labels
 * under {@code headKey} ({@code classifier} as in Hugging Face's {@code *ForSequenceClassification},
 * {@code fc} in torchvision's ResNet). The body's and the head's tensors share one store.
 */
public class Classifier<B> implements TrainableModel<B>, AutoCloseable {
    private final Body<B> body;
    private final ParameterStore params;
    private final String headKey;
    private final float dropout;
    private final List<String> labels;
    private final List<String> notes;
    private final Set<String> newlyInitialised;
    private final Map<String, Module> moduleOfKey = new HashMap<>();
    private final Map<String, Module> moduleByName = new HashMap<>();

    /**
     * @param newlyInitialised tensors that did not come from the checkpoint (the head, a missing
     *     pooler): strategies that freeze the body still train them
     * @param notes what the user should know about how the model was built
     */
    protected Classifier(Body<B> body, ParameterStore params, String headKey, float dropout, List<String> labels,
            Set<String> newlyInitialised, List<String> notes) {
        this.body = body;
        this.params = params;
        this.headKey = headKey;
        this.dropout = dropout;
        this.labels = List.copyOf(labels);
        this.newlyInitialised = Set.copyOf(newlyInitialised);
        this.notes = List.copyOf(notes);
        List<Module> modules = new java.util.ArrayList<>(body.modules());
        modules.add(Module.linear(headKey, Module.ABOVE, labels.size(), body.featureSize()));
        for (Module m : modules) {
            moduleByName.put(m.name(), m);
            m.parameters().keySet().forEach(local -> moduleOfKey.put(m.key(local), m));
            m.buffers().keySet().forEach(local -> moduleOfKey.put(m.key(local), m));
        }
    }

    /** Logits, [batch, labels]. */
    @Override
    public NDArray logits(NDManager step, B batch, boolean training) {
        return head(features(step, batch, training), training);
    }

    /** What the body contributes, [batch, features]: all a frozen body is needed for. */
    public NDArray features(NDManager step, B batch, boolean training) {
        return body.features(step, batch, training);
    }

    public NDArray head(NDArray features, boolean training) {
        NDArray x = training && dropout > 0 ? Dropout.dropout(features, dropout, true).singletonOrThrow() : features;
        return Linear.linear(x, params.get(headKey + ".weight"), params.get(headKey + ".bias")).singletonOrThrow();
    }

    @Override
    public boolean isHead(String parameterName) {
        return parameterName.startsWith(headKey + ".");
    }

    /** Head and anything above the blocks 0, last block 1, ..., first block N, below the blocks N + 1. */
    @Override
    public int depthFromTop(String parameterName) {
        Module m = moduleOf(parameterName);
        if (m == null || m.block() == Module.ABOVE) return 0;
        if (m.block() == Module.BELOW) return body.blocks() + 1;
        return body.blocks() - m.block();
    }

    /** The block of the module a tensor belongs to ({@link Module#BELOW}, 0.., {@link Module#ABOVE}), or null if none does. */
    public Integer blockOf(String parameterName) {
        Module m = moduleOf(parameterName);
        return m == null ? null : m.block();
    }

    @Override
    public boolean takesNoDecay(String parameterName) {
        Module m = moduleOf(parameterName);
        if (m == null) return TrainableModel.super.takesNoDecay(parameterName);
        String local = parameterName.substring(m.name().length() + 1);
        // An adapter of a module (M.lora_A.weight) is a weight of its own, whatever M is.
        return local.contains(".") ? local.endsWith("bias") : m.takesNoDecay(local);
    }

    /**
     * The declared module a tensor belongs to: its own, or for a tensor added later under a
     * module's key (a LoRA adapter, {@code M.lora_A.weight}), that module.
     */
    public Module moduleOf(String key) {
        Module m = moduleOfKey.get(key);
        for (String k = key; m == null && k.lastIndexOf('.') > 0; ) {
            k = k.substring(0, k.lastIndexOf('.'));
            m = moduleByName.get(k);
        }
        return m;
    }

    @Override
    public ParameterStore parameters() {
        return params;
    }

    public Body<B> body() {
        return body;
    }

    public List<String> labels() {
        return labels;
    }

    /** The head's key: its tensors are {@code headKey.weight} and {@code headKey.bias}. */
    public String headKey() {
        return headKey;
    }

    /** The dropout before the head, while training. */
    public float dropout() {
        return dropout;
    }

    public Set<String> newlyInitialised() {
        return newlyInitialised;
    }

    public List<String> notes() {
        return notes;
    }

    @Override
    public void close() {
        params.close();
    }
}
