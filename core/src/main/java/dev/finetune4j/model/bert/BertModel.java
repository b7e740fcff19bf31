package dev.finetune4j.model.bert;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.Dropout;
import ai.djl.nn.norm.LayerNorm;
import dev.finetune4j.model.Body;
import dev.finetune4j.model.HostTensor;
import dev.finetune4j.model.LoraHook;
import dev.finetune4j.model.Module;
import dev.finetune4j.model.ParameterStore;
import dev.finetune4j.model.Pooling;
import dev.finetune4j.model.Scalars;
import dev.finetune4j.model.TextBatch;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A BERT encoder computing exactly what Hugging Face's {@code BertModel} computes (post-LN
 * residual blocks, exact GELU, additive attention mask, optional tanh pooler). Every parameter is
 * looked up by its checkpoint key, e.g. {@code bert.encoder.layer.3.output.LayerNorm.weight}.
 *
 * <p>Each op puts a step-scoped array first so that results land in the step's manager, never in
 * the parameter store's (see {@link ParameterStore}).
 */
public final class BertModel implements Body<TextBatch> {
    private final BertConfig config;
    private final ParameterStore params;
    private final String prefix;
    private final Pooling pooling;
    private final List<Module> modules;
    private final float hiddenDropout;
    private final float attentionDropout;
    private volatile LoraHook lora;

    /**
     * @param prefix the key prefix of the encoder's parameters, "bert." inside a task model
     * @param pooling how {@link #features} makes one vector of a sequence; with {@link Pooling#POOLER}
     *     the store must hold the pooler
     * @param dropoutOverride if not null, replaces both of the config's dropout probabilities
     */
    public BertModel(BertConfig config, ParameterStore params, String prefix, Pooling pooling, Double dropoutOverride) {
        this.config = config;
        this.params = params;
        this.prefix = prefix;
        this.pooling = pooling;
        this.modules = modules(config, prefix, params.contains(prefix + "pooler.dense.weight"));
        this.hiddenDropout = (float) (dropoutOverride != null ? dropoutOverride : config.hiddenDropoutProb());
        this.attentionDropout =
                (float) (dropoutOverride != null ? dropoutOverride : config.attentionProbsDropoutProb());
    }

    /**
     * The modules of Hugging Face's {@code BertModel} in checkpoint order, keys under {@code prefix}:
     * embeddings (below the blocks), one block per encoder layer, the optional pooler (above them).
     */
    public static List<Module> modules(BertConfig c, String prefix, boolean withPooler) {
        long h = c.hiddenSize(), i = c.intermediateSize();
        List<Module> m = new ArrayList<>();
        String e = prefix + "embeddings.";
        m.add(Module.of(e + "word_embeddings", Module.Kind.EMBEDDING, Module.BELOW, Map.of("weight", new long[] {c.vocabSize(), h})));
        m.add(Module.of(e + "position_embeddings", Module.Kind.EMBEDDING, Module.BELOW,
                Map.of("weight", new long[] {c.maxPositionEmbeddings(), h})));
        m.add(Module.of(e + "token_type_embeddings", Module.Kind.EMBEDDING, Module.BELOW,
                Map.of("weight", new long[] {c.typeVocabSize(), h})));
        m.add(Module.norm(e + "LayerNorm", Module.BELOW, h));
        for (int l = 0; l < c.numHiddenLayers(); l++) {
            String p = prefix + "encoder.layer." + l + ".";
            for (String qkv : List.of("query", "key", "value")) m.add(Module.linear(p + "attention.self." + qkv, l, h, h));
            m.add(Module.linear(p + "attention.output.dense", l, h, h));
            m.add(Module.norm(p + "attention.output.LayerNorm", l, h));
            m.add(Module.linear(p + "intermediate.dense", l, i, h));
            m.add(Module.linear(p + "output.dense", l, h, i));
            m.add(Module.norm(p + "output.LayerNorm", l, h));
        }
        if (withPooler) m.add(Module.linear(prefix + "pooler.dense", Module.ABOVE, h, h));
        return List.copyOf(m);
    }

    /** Every tensor of {@link #modules} by key, with its shape, in checkpoint order. */
    public static Map<String, long[]> shapes(BertConfig c, String prefix, boolean withPooler) {
        Map<String, long[]> out = new LinkedHashMap<>();
        for (Module m : modules(c, prefix, withPooler)) m.parameters().forEach((local, shape) -> out.put(m.key(local), shape));
        return out;
    }

    public String prefix() {
        return prefix;
    }

    @Override
    public List<Module> modules() {
        return modules;
    }

    @Override
    public int blocks() {
        return config.numHiddenLayers();
    }

    @Override
    public long featureSize() {
        return config.hiddenSize();
    }

    /** The pooled last hidden state, [batch, hidden]. */
    @Override
    public NDArray features(NDManager step, TextBatch in, boolean training) {
        return pooled(hiddenStates(step, in, training), in.attentionMask(), pooling);
    }

    public Pooling pooling() {
        return pooling;
    }

    public BertConfig config() {
        return config;
    }

    @Override
    public LoraHook lora() {
        return lora;
    }

    @Override
    public void setLora(LoraHook hook) {
        this.lora = hook;
    }

    /** Random weights as BERT initialises them (normal 0.02, LayerNorm 1 and 0), for tests and benchmarks. */
    public static Map<String, HostTensor> randomWeights(BertConfig c, long seed) {
        java.util.Random rng = new java.util.Random(seed);
        Map<String, HostTensor> out = new LinkedHashMap<>();
        for (Map.Entry<String, long[]> e : shapes(c, "", true).entrySet()) {
            long n = 1;
            for (long d : e.getValue()) n *= d;
            float[] v = new float[(int) n];
            String k = e.getKey();
            if (k.contains("LayerNorm.weight")) java.util.Arrays.fill(v, 1f);
            else if (!k.endsWith(".bias")) for (int i = 0; i < v.length; i++) v[i] = (float) (rng.nextGaussian() * 0.02);
            out.put(k, new HostTensor(e.getValue(), v));
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
        if (hook == null || !params.contains(key + LoraHook.A)) return y;
        // x (step-scoped) first in every op, so nothing lands in the parameter store's manager
        NDArray down = Linear.linear(dropout(x, hook.dropout(), training), params.get(key + LoraHook.A))
                .singletonOrThrow();
        NDArray up = Linear.linear(down, params.get(key + LoraHook.B)).singletonOrThrow();
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
