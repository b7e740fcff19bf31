package dev.finetune4j.model.bert;

import ai.djl.ndarray.NDManager;
import dev.finetune4j.UserError;
import dev.finetune4j.model.Classifier;
import dev.finetune4j.model.HostTensor;
import dev.finetune4j.model.ParameterStore;
import dev.finetune4j.model.Pooling;
import dev.finetune4j.model.TextBatch;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

/**
 * Hugging Face's {@code BertForSequenceClassification}: a {@link BertModel} under {@code bert.},
 * a pooling, dropout, and a linear {@code classifier} sized to the labels. With {@link Pooling#POOLER}
 * it computes exactly what transformers computes for the exported checkpoint.
 */
public final class BertForSequenceClassification extends Classifier<TextBatch> {
    public static final String BODY_PREFIX = "bert.";
    public static final String HEAD = "classifier";
    private static final double INITIALIZER_RANGE = 0.02;

    private final BertModel bert;

    private BertForSequenceClassification(BertModel bert, ParameterStore params, float classifierDropout,
            List<String> labels, Set<String> newlyInitialised, List<String> notes) {
        super(bert, params, HEAD, classifierDropout, labels, newlyInitialised, notes);
        this.bert = bert;
    }

    private static BertForSequenceClassification of(BertConfig config, ParameterStore params, Pooling pooling,
            Double classifierDropout, Double bodyDropout, List<String> labels, Set<String> fresh, List<String> notes) {
        float dropout = (float) (classifierDropout != null ? classifierDropout
                : bodyDropout != null ? bodyDropout : config.hiddenDropoutProb());
        return new BertForSequenceClassification(new BertModel(config, params, BODY_PREFIX, pooling, bodyDropout),
                params, dropout, labels, fresh, notes);
    }

    /**
     * Builds a classifier from pre-trained encoder weights (keys without the {@code bert.} prefix;
     * any {@code classifier.*} keys are ignored: the head is new, sized to {@code labels}).
     *
     * @param source names the weights' origin in error messages
     */
    public static BertForSequenceClassification fromPretrained(NDManager manager, BertConfig config,
            Map<String, HostTensor> weights, String source, Pooling pooling, Double classifierDropout,
            Double bodyDropout, List<String> labels, long seed) {
        return fromPretrained(manager, config, weights, source, pooling, classifierDropout, bodyDropout, labels, seed,
                List.of());
    }

    /**
     * As above, but a fine-tuned classifier's head ({@code classifier.*} for {@code priorLabels}) is
     * kept: each of those labels keeps its row, labels it lacks start at random.
     */
    public static BertForSequenceClassification fromPretrained(NDManager manager, BertConfig config,
            Map<String, HostTensor> weights, String source, Pooling pooling, Double classifierDropout,
            Double bodyDropout, List<String> labels, long seed, List<String> priorLabels) {
        List<String> notes = new ArrayList<>();
        boolean hasPooler = weights.containsKey("pooler.dense.weight");
        BertWeights.check(config, weights, source);
        ParameterStore params = new ParameterStore(manager);
        try {
            for (String key : BertModel.shapes(config, "", hasPooler).keySet()) params.put(BODY_PREFIX + key, weights.get(key));
            Random rng = new Random(seed);
            Set<String> fresh = new HashSet<>();
            if (pooling == Pooling.POOLER && !hasPooler) {
                params.putNormal(BODY_PREFIX + "pooler.dense.weight",
                        new long[] {config.hiddenSize(), config.hiddenSize()}, INITIALIZER_RANGE, rng);
                params.putZeros(BODY_PREFIX + "pooler.dense.bias", new long[] {config.hiddenSize()});
                fresh.add(BODY_PREFIX + "pooler.dense.weight");
                fresh.add(BODY_PREFIX + "pooler.dense.bias");
                notes.add("the checkpoint has no pooler weights: bert.pooler.dense was newly initialised");
            }
            int hidden = config.hiddenSize();
            float[] w = new float[labels.size() * hidden];
            for (int i = 0; i < w.length; i++) w[i] = (float) (rng.nextGaussian() * INITIALIZER_RANGE);
            float[] b = new float[labels.size()];
            HostTensor priorW = weights.get(HEAD + ".weight");
            HostTensor priorB = weights.get(HEAD + ".bias");
            if (!priorLabels.isEmpty()) {
                if (priorW == null || priorB == null || priorW.shape()[0] != priorLabels.size() || priorW.shape()[1] != hidden) {
                    throw new UserError(source + ": its config.json names " + priorLabels.size() + " labels but "
                            + "classifier.weight is " + (priorW == null ? "missing" : priorW.shapeString())
                            + " — re-export the model");
                }
                List<String> kept = new ArrayList<>();
                for (int i = 0; i < labels.size(); i++) {
                    int j = priorLabels.indexOf(labels.get(i));
                    if (j < 0) continue;
                    System.arraycopy(priorW.data(), j * hidden, w, i * hidden, hidden);
                    b[i] = priorB.data()[j];
                    kept.add(labels.get(i));
                }
                List<String> added = labels.stream().filter(l -> !priorLabels.contains(l)).toList();
                notes.add("kept the head rows of " + kept + " from the fine-tuned model"
                        + (added.isEmpty() ? "" : "; new labels " + added + " start at random"));
            }
            params.put(HEAD + ".weight", new HostTensor(new long[] {labels.size(), hidden}, w));
            params.put(HEAD + ".bias", new HostTensor(new long[] {labels.size()}, b));
            fresh.add(HEAD + ".weight");
            fresh.add(HEAD + ".bias");
            return of(config, params, pooling, classifierDropout, bodyDropout, labels, fresh, notes);
        } catch (RuntimeException e) {
            params.close();
            throw e;
        }
    }

    /** Loads a fine-tuned classifier (keys with {@code bert.} and {@code classifier.}). */
    public static BertForSequenceClassification fromFineTuned(NDManager manager, BertConfig config,
            Map<String, HostTensor> weights, String source, Pooling pooling, List<String> labels) {
        Map<String, HostTensor> body = new LinkedHashMap<>();
        weights.forEach((k, v) -> {
            if (k.startsWith(BODY_PREFIX)) body.put(k.substring(BODY_PREFIX.length()), v);
        });
        HostTensor w = weights.get(HEAD + ".weight");
        HostTensor b = weights.get(HEAD + ".bias");
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
            for (String key : BertModel.shapes(config, "", hasPooler).keySet()) params.put(BODY_PREFIX + key, body.get(key));
            params.put(HEAD + ".weight", w);
            params.put(HEAD + ".bias", b);
            return of(config, params, pooling, null, null, labels, Set.of(), List.of());
        } catch (RuntimeException e) {
            params.close();
            throw e;
        }
    }

    public BertConfig config() {
        return bert.config();
    }

    /** The encoder, typed: what text code needs beyond features (hidden states, other poolings). */
    public BertModel bert() {
        return bert;
    }

    public Pooling pooling() {
        return bert.pooling();
    }
}
