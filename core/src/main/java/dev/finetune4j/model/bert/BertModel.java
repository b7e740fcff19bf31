package dev.finetune4j.model.bert;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.Dropout;
import ai.djl.nn.norm.LayerNorm;
import dev.finetune4j.model.ParameterStore;
import dev.finetune4j.model.Pooling;
import dev.finetune4j.model.Scalars;
import dev.finetune4j.model.TextBatch;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A BERT encoder computing exactly what Hugging Face's {@code BertModel} computes (post-LN
 * residual blocks, exact GELU, additive attention mask, optional tanh pooler). Every parameter is
 * looked up by its checkpoint key, e.g. {@code bert.encoder.layer.3.output.LayerNorm.weight}.
 *
 * <p>Each op puts a step-scoped array first so that results land in the step's manager, never in
 * the parameter store's (see {@link ParameterStore}).
 */
public final class BertModel {
    private final BertConfig config;
    private final ParameterStore params;
    private final String prefix;
    private final float hiddenDropout;
    private final float attentionDropout;
    private volatile LoraHook lora;

    /**
     * LoRA on some Linear modules of this encoder (set by {@code dev.finetune4j.adapt.Lora}): a
     * module {@code M} that has parameters {@code M.lora_A.weight} [r, in] and {@code M.lora_B.weight}
     * [out, r] computes {@code x W^T + b + (dropout(x) A^T B^T) * scaling}, dropout only in training.
     */
    public record LoraHook(float scaling, float dropout) {}

    /**
     * @param prefix the key prefix of the encoder's parameters, "bert." inside a task model
     * @param dropoutOverride if not null, replaces both of the config's dropout probabilities
     */
    public BertModel(BertConfig config, ParameterStore params, String prefix, Double dropoutOverride) {
        this.config = config;
        this.params = params;
        this.prefix = prefix;
        this.hiddenDropout = (float) (dropoutOverride != null ? dropoutOverride : config.hiddenDropoutProb());
        this.attentionDropout =
                (float) (dropoutOverride != null ? dropoutOverride : config.attentionProbsDropoutProb());
    }

    public BertConfig config() {
        return config;
    }

    public String prefix() {
        return prefix;
    }

    /** The LoRA settings, or {@code null} when the encoder has no adapters. */
    public LoraHook lora() {
        return lora;
    }

    public void setLora(LoraHook hook) {
        this.lora = hook;
    }

    /** Random weights as BERT initialises them (normal 0.02, LayerNorm 1 and 0), for tests and benchmarks. */
    public static Map<String, dev.finetune4j.model.io.HostTensor> randomWeights(BertConfig c, long seed) {
        java.util.Random rng = new java.util.Random(seed);
        Map<String, dev.finetune4j.model.io.HostTensor> out = new LinkedHashMap<>();
        Map<String, long[]> shapes = dev.finetune4j.model.io.BertWeights.expectedShapes(c);
        shapes.putAll(dev.finetune4j.model.io.BertWeights.poolerShapes(c));
        for (Map.Entry<String, long[]> e : shapes.entrySet()) {
            long n = 1;
            for (long d : e.getValue()) n *= d;
            float[] v = new float[(int) n];
            String k = e.getKey();
            if (k.contains("LayerNorm.weight")) java.util.Arrays.fill(v, 1f);
            else if (!k.endsWith(".bias")) for (int i = 0; i < v.length; i++) v[i] = (float) (rng.nextGaussian() * 0.02);
            out.put(k, new dev.finetune4j.model.io.HostTensor(e.getValue(), v));
        }
        return out;
    }

    /** The last hidden state, [batch, length, hidden]. */
    public NDArray hiddenStates(NDManager step, TextBatch in, boolean training) {
        long t = in.length();
        NDArray positions = step.arange(0, t, 1, DataType.INT64).expandDims(0).repeat(0, in.batchSize());
        NDArray x = embed(in.inputIds(), "embeddings.word_embeddings.weight")
                .add(embed(positions, "embeddings.position_embeddings.weight"))
                .add(embed(in.tokenTypeIds(), "embeddings.token_type_embeddings.weight"));
        x = layerNorm(x, "embeddings.LayerNorm");
        x = dropout(x, hiddenDropout, training);

        // (1 - mask) * float32.min, broadcast over heads and query positions: [B, 1, 1, T]
        NDArray maskBias = in.attentionMask().toType(DataType.FLOAT32, false)
                .neg().add(1f).mul(-Float.MAX_VALUE).reshape(in.batchSize(), 1, 1, t);
        NDArray attentionScale = Scalars.of(step, 1f / (float) Math.sqrt(config.headDim()));
        for (int l = 0; l < config.numHiddenLayers(); l++) {
            x = layer(x, maskBias, attentionScale, "encoder.layer." + l + ".", training);
        }
        return x;
    }

    /** One feature vector per sequence, [batch, hidden]. */
    public NDArray pooled(NDArray hidden, NDArray attentionMask, Pooling pooling) {
        switch (pooling) {
            case CLS:
                return hidden.get(":, 0, :");
            case POOLER:
                return Activation.tanh(linear(hidden.get(":, 0, :"), "pooler.dense", false));
            case MEAN:
                NDArray m = attentionMask.toType(DataType.FLOAT32, false).expandDims(2);
                return hidden.mul(m).sum(new int[] {1}).div(m.sum(new int[] {1}).maximum(1e-9f));
            default:
                throw new IllegalArgumentException(pooling.toString());
        }
    }

    private NDArray layer(NDArray x, NDArray maskBias, NDArray attentionScale, String p, boolean training) {
        Shape s = x.getShape();
        long b = s.get(0), t = s.get(1);
        int heads = config.numAttentionHeads(), hd = config.headDim();
        NDArray q = heads(linear(x, p + "attention.self.query", training), b, t, heads, hd);
        NDArray k = heads(linear(x, p + "attention.self.key", training), b, t, heads, hd);
        NDArray v = heads(linear(x, p + "attention.self.value", training), b, t, heads, hd);
        NDArray scores = q.matMul(k.transpose(0, 1, 3, 2)).muli(attentionScale).addi(maskBias);
        NDArray probs = dropout(scores.softmax(-1), attentionDropout, training);
        NDArray context = probs.matMul(v).transpose(0, 2, 1, 3).reshape(b, t, (long) heads * hd);

        NDArray attn = dropout(linear(context, p + "attention.output.dense", training), hiddenDropout, training);
        x = layerNorm(attn.add(x), p + "attention.output.LayerNorm");

        NDArray inter = Activation.gelu(linear(x, p + "intermediate.dense", training));
        NDArray out = dropout(linear(inter, p + "output.dense", training), hiddenDropout, training);
        return layerNorm(out.add(x), p + "output.LayerNorm");
    }

    private static NDArray heads(NDArray x, long b, long t, int heads, int hd) {
        return x.reshape(b, t, heads, hd).transpose(0, 2, 1, 3);
    }

    private NDArray embed(NDArray ids, String key) {
        return ids.getNDArrayInternal().embedding(ids, params.get(prefix + key), ai.djl.ndarray.types.SparseFormat.DENSE)
                .singletonOrThrow();
    }

    private NDArray linear(NDArray x, String module, boolean training) {
        String key = prefix + module;
        NDArray y = Linear.linear(x, params.get(key + ".weight"), params.get(key + ".bias")).singletonOrThrow();
        LoraHook hook = lora;
        if (hook == null || !params.contains(key + ".lora_A.weight")) return y;
        // x (step-scoped) first in every op, so nothing lands in the parameter store's manager
        NDArray down = Linear.linear(dropout(x, hook.dropout(), training), params.get(key + ".lora_A.weight"))
                .singletonOrThrow();
        NDArray up = Linear.linear(down, params.get(key + ".lora_B.weight")).singletonOrThrow();
        return y.add(up.mul(Scalars.of(x.getManager(), hook.scaling())));
    }

    private NDArray layerNorm(NDArray x, String module) {
        return LayerNorm.layerNorm(x, new Shape(config.hiddenSize()), params.get(prefix + module + ".weight"),
                        params.get(prefix + module + ".bias"), (float) config.layerNormEps())
                .singletonOrThrow();
    }

    private static NDArray dropout(NDArray x, float rate, boolean training) {
        if (!training || rate <= 0f) return x;
        return Dropout.dropout(x, rate, true).singletonOrThrow();
    }
}
