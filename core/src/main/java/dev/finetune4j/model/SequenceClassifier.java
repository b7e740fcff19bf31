package dev.finetune4j.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.Dropout;
import dev.finetune4j.UserError;
import dev.finetune4j.model.bert.BertConfig;
import dev.finetune4j.model.bert.BertModel;
import dev.finetune4j.model.io.BertWeights;
import dev.finetune4j.model.io.HostTensor;
import dev.finetune4j.train.TrainableModel;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Hugging Face's {@code BertForSequenceClassification}: an encoder under {@code bert.}, a pooling,
 * dropout, and a linear {@code classifier} sized to the labels. With {@link Pooling#POOLER} it
 * computes exactly what transformers computes for the exported checkpoint.
 */
public final class SequenceClassifier implements TrainableModel<TextBatch>, AutoCloseable {
    public static final String BODY_PREFIX = "bert.";
    private static final double INITIALIZER_RANGE = 0.02;

    private final BertConfig config;
    private final ParameterStore params;
    private final BertModel bert;
    private final Pooling pooling;
    private final float classifierDropout;
    private final List<String> labels;
    private final List<String> notes;
    private final java.util.Set<String> newlyInitialised;

    private SequenceClassifier(BertConfig config, ParameterStore params, Pooling pooling, Double classifierDropout,
            Double bodyDropout, List<String> labels, List<String> notes, java.util.Set<String> newlyInitialised) {
        this.config = config;
        this.params = params;
        this.pooling = pooling;
        this.bert = new BertModel(config, params, BODY_PREFIX, bodyDropout);
        this.classifierDropout = (float) (classifierDropout != null ? classifierDropout
                : bodyDropout != null ? bodyDropout : config.hiddenDropoutProb());
        this.labels = List.copyOf(labels);
        this.notes = List.copyOf(notes);
        this.newlyInitialised = java.util.Set.copyOf(newlyInitialised);
    }

    /**
     * Builds a classifier from pre-trained encoder weights (keys without the {@code bert.} prefix;
     * any {@code classifier.*} keys are ignored: the head is new, sized to {@code labels}).
     *
     * @param source names the weights' origin in error messages
     */
    public static SequenceClassifier fromPretrained(NDManager manager, BertConfig config,
            Map<String, HostTensor> weights, String source, Pooling pooling, Double classifierDropout,
            Double bodyDropout, List<String> labels, long seed) {
        List<String> notes = new ArrayList<>();
        boolean hasPooler = weights.containsKey("pooler.dense.weight");
        Pooling effective = pooling;
        BertWeights.check(config, weights, source);
        ParameterStore params = new ParameterStore(manager);
        try {
            for (String key : bodyShapes(config, hasPooler).keySet()) {
                params.put(BODY_PREFIX + key, weights.get(key));
            }
            Random rng = new Random(seed);
            if (pooling == Pooling.POOLER && !hasPooler) {
                params.putNormal(BODY_PREFIX + "pooler.dense.weight",
                        new long[] {config.hiddenSize(), config.hiddenSize()}, INITIALIZER_RANGE, rng);
                params.putZeros(BODY_PREFIX + "pooler.dense.bias", new long[] {config.hiddenSize()});
                notes.add(source + " has no pooler weights: bert.pooler.dense was newly initialised");
            }
            params.putNormal("classifier.weight", new long[] {labels.size(), config.hiddenSize()},
                    INITIALIZER_RANGE, rng);
            params.putZeros("classifier.bias", new long[] {labels.size()});
            java.util.Set<String> fresh = new java.util.HashSet<>(List.of("classifier.weight", "classifier.bias"));
            if (pooling == Pooling.POOLER && !hasPooler) {
                fresh.add(BODY_PREFIX + "pooler.dense.weight");
                fresh.add(BODY_PREFIX + "pooler.dense.bias");
            }
            return new SequenceClassifier(config, params, effective, classifierDropout, bodyDropout, labels, notes, fresh);
        } catch (RuntimeException e) {
            params.close();
            throw e;
        }
    }

    /** Loads a fine-tuned classifier (keys with {@code bert.} and {@code classifier.}). */
    public static SequenceClassifier fromFineTuned(NDManager manager, BertConfig config,
            Map<String, HostTensor> weights, String source, Pooling pooling, List<String> labels) {
        Map<String, HostTensor> body = new java.util.LinkedHashMap<>();
        weights.forEach((k, v) -> {
            if (k.startsWith(BODY_PREFIX)) body.put(k.substring(BODY_PREFIX.length()), v);
        });
        HostTensor w = weights.get("classifier.weight");
        HostTensor b = weights.get("classifier.bias");
        if (w == null || b == null) {
            throw new UserError(source + ": classifier.weight / classifier.bias missing — "
                    + "this is not a fine-tuned classifier; use it as `model:` in a recipe to train one");
        }
        if (w.shape()[0] != labels.size() || w.shape()[1] != config.hiddenSize()) {
            throw new UserError(source + ": classifier.weight has shape " + w.shapeString() + " but config.json has "
                    + labels.size() + " labels and hidden_size " + config.hiddenSize());
        }
        boolean hasPooler = body.containsKey("pooler.dense.weight");
        if (pooling == Pooling.POOLER && !hasPooler) {
            throw new UserError(source + ": pooling is 'pooler' but bert.pooler.dense weights are missing");
        }
        BertWeights.check(config, body, source);
        ParameterStore params = new ParameterStore(manager);
        try {
            for (String key : bodyShapes(config, hasPooler).keySet()) {
                params.put(BODY_PREFIX + key, body.get(key));
            }
            params.put("classifier.weight", w);
            params.put("classifier.bias", b);
            return new SequenceClassifier(config, params, pooling, null, null, labels, List.of(), java.util.Set.of());
        } catch (RuntimeException e) {
            params.close();
            throw e;
        }
    }

    private static Map<String, long[]> bodyShapes(BertConfig config, boolean withPooler) {
        Map<String, long[]> shapes = BertWeights.expectedShapes(config);
        if (withPooler) shapes.putAll(BertWeights.poolerShapes(config));
        return shapes;
    }

    /** Logits, [batch, labels]. */
    @Override
    public NDArray logits(NDManager step, TextBatch in, boolean training) {
        return head(features(step, in, training), training);
    }

    /** The pooled body output, [batch, hidden]: what a frozen body contributes. */
    public NDArray features(NDManager step, TextBatch in, boolean training) {
        NDArray hidden = bert.hiddenStates(step, in, training);
        return bert.pooled(hidden, in.attentionMask(), pooling);
    }

    public NDArray head(NDArray features, boolean training) {
        NDArray x = training && classifierDropout > 0
                ? Dropout.dropout(features, classifierDropout, true).singletonOrThrow()
                : features;
        return Linear.linear(x, params.get("classifier.weight"), params.get("classifier.bias")).singletonOrThrow();
    }

    @Override
    public boolean isHead(String parameterName) {
        return parameterName.startsWith("classifier.");
    }

    /** Classifier and pooler 0, last encoder layer 1, ..., first layer L, embeddings L + 1. */
    @Override
    public int depthFromTop(String parameterName) {
        int layer = layerOf(parameterName);
        if (layer >= 0) return config.numHiddenLayers() - layer;
        if (parameterName.startsWith(BODY_PREFIX + "embeddings.")) return config.numHiddenLayers() + 1;
        return 0;
    }

    /** The encoder layer a parameter belongs to ({@code bert.encoder.layer.3.…} is 3), or -1. */
    public static int layerOf(String parameterName) {
        String prefix = BODY_PREFIX + "encoder.layer.";
        if (!parameterName.startsWith(prefix)) return -1;
        String rest = parameterName.substring(prefix.length());
        return Integer.parseInt(rest.substring(0, rest.indexOf('.')));
    }

    public BertConfig config() {
        return config;
    }

    @Override
    public ParameterStore parameters() {
        return params;
    }

    public BertModel body() {
        return bert;
    }

    public Pooling pooling() {
        return pooling;
    }

    public List<String> labels() {
        return labels;
    }

    /**
     * Parameters that did not come from the checkpoint (the head, a pooler the checkpoint lacked):
     * strategies that freeze the pre-trained body must still train these.
     */
    public java.util.Set<String> newlyInitialised() {
        return newlyInitialised;
    }

    /** Things the user should know about how the model was built (e.g. newly initialised weights). */
    public List<String> notes() {
        return notes;
    }

    @Override
    public void close() {
        params.close();
    }
}
