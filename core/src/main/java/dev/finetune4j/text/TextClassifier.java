package dev.finetune4j.text;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import dev.finetune4j.TensorRuntime;
import dev.finetune4j.UserError;
import dev.finetune4j.data.Example;
import dev.finetune4j.model.HostTensor;
import dev.finetune4j.model.Pooling;
import dev.finetune4j.model.bert.BertForSequenceClassification;
import dev.finetune4j.model.io.HfConfig;
import dev.finetune4j.model.io.SafeTensors;
import dev.finetune4j.pipeline.Predictor;
import dev.finetune4j.train.Evaluator;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A fine-tuned text classifier loaded from a Hugging Face-layout directory (what {@code ft4j train}
 * exports, or a {@code BertForSequenceClassification} saved by transformers with safetensors).
 */
public final class TextClassifier implements Predictor {
    public static final int BATCH_SIZE = 32;

    private final NDManager manager;
    private final BertForSequenceClassification model;
    private final TextEncoder encoder;
    private final JsonNode config;

    private TextClassifier(NDManager manager, BertForSequenceClassification model, TextEncoder encoder, JsonNode config) {
        this.manager = manager;
        this.model = model;
        this.encoder = encoder;
        this.config = config;
    }

    public static TextClassifier load(Path dir) {
        if (!Files.isDirectory(dir)) {
            throw new UserError("model directory not found: " + dir.toAbsolutePath()
                    + " — pass the model/ directory that `ft4j train` wrote (e.g. runs/<name>/model)");
        }
        for (String f : List.of("config.json", "model.safetensors", "tokenizer.json")) {
            if (!Files.isRegularFile(dir.resolve(f))) {
                throw new UserError(dir.toAbsolutePath() + ": " + f + " is missing — a model directory needs "
                        + "config.json, model.safetensors and tokenizer.json");
            }
        }
        HfConfig hf = HfConfig.read(dir);
        List<String> labels = labels(hf.raw(), dir);
        JsonNode ours = hf.raw().path("finetune4j");
        Pooling pooling = Pooling.parse(ours.path("pooling").asText("pooler"));
        int maxLength = ours.path("max_length").asInt(Math.min(512, hf.config().maxPositionEmbeddings()));
        Map<String, HostTensor> weights = SafeTensors.read(dir.resolve("model.safetensors"),
                k -> !k.endsWith("position_ids") && !k.endsWith("token_type_ids"));
        NDManager manager = TensorRuntime.newManager();
        TextEncoder encoder = null;
        try {
            BertForSequenceClassification model = BertForSequenceClassification.fromFineTuned(manager, hf.config(), weights,
                    dir.resolve("model.safetensors").toString(), pooling, labels);
            for (String name : model.parameters().all().keySet()) model.parameters().setTrainable(name, false);
            encoder = TextEncoder.load(dir.resolve("tokenizer.json"), maxLength);
            return new TextClassifier(manager, model, encoder, hf.raw());
        } catch (RuntimeException e) {
            if (encoder != null) encoder.close();
            manager.close();
            throw e;
        }
    }

    private static List<String> labels(JsonNode raw, Path dir) {
        JsonNode id2label = raw.path("id2label");
        if (!id2label.isObject() || id2label.isEmpty()) {
            throw new UserError(dir.resolve("config.json") + ": no id2label — not a classifier export");
        }
        TreeMap<Integer, String> byId = new TreeMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = id2label.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            try {
                byId.put(Integer.parseInt(e.getKey()), e.getValue().asText());
            } catch (NumberFormatException ex) {
                throw new UserError(dir.resolve("config.json") + ": id2label key '" + e.getKey() + "' is not an integer");
            }
        }
        if (byId.firstKey() != 0 || byId.lastKey() != byId.size() - 1) {
            throw new UserError(dir.resolve("config.json") + ": id2label ids must be 0.." + (byId.size() - 1));
        }
        return new ArrayList<>(byId.values());
    }

    /** {@link #predict} of examples that hold these texts. */
    public List<Prediction> predictTexts(List<String> texts) {
        return predict(texts.stream().map(t -> new Example(t, null, 0)).toList());
    }

    @Override
    public float[][] probabilities(List<Example> examples) {
        return probabilitiesOfTexts(examples.stream().map(Example::text).toList());
    }

    @Override
    public Map<String, Object> describe() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("task", TextModality.TASK);
        m.put("labels", labels());
        JsonNode ours = config.path("finetune4j");
        m.put("base_model", ours.hasNonNull("base_model") ? ours.get("base_model").asText()
                : config.path("_name_or_path").asText(null));
        m.put("architecture", config.path("architectures").path(0).asText(null));
        m.put("max_length", maxLength());
        m.put("pooling", model.pooling().recipeName());
        return m;
    }

    public float[][] probabilitiesOfTexts(List<String> texts) {
        if (texts.isEmpty()) return new float[0][];
        List<EncodedText> encoded = encoder.encodeAll(texts);
        return Evaluator.probabilities(model, new EncodedTexts(encoded, new int[encoded.size()], encoder.padId()),
                BATCH_SIZE);
    }

    public EncodedTexts encode(List<String> texts, int[] labels) {
        return new EncodedTexts(encoder.encodeAll(texts), labels, encoder.padId());
    }

    public BertForSequenceClassification model() {
        return model;
    }

    public List<String> labels() {
        return model.labels();
    }

    public int maxLength() {
        return encoder.maxLength();
    }

    /** config.json as read. */
    public JsonNode config() {
        return config;
    }

    @Override
    public void close() {
        encoder.close();
        model.close();
        manager.close();
    }
}
