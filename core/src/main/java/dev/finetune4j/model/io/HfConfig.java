package dev.finetune4j.model.io;

import dev.finetune4j.util.AtomicFiles;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.finetune4j.UserError;
import dev.finetune4j.model.bert.BertConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Map;

/**
 * A Hugging Face {@code config.json} for a BERT model: the typed {@link BertConfig} plus the raw
 * JSON with every field kept (id2label, architectures, ...).
 */
public record HfConfig(BertConfig config, ObjectNode raw) {
    static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    /** Reads {@code config.json} from a model directory (or the file itself if given one). */
    public static HfConfig read(Path dirOrFile) {
        Path file = Files.isDirectory(dirOrFile) ? dirOrFile.resolve("config.json") : dirOrFile;
        JsonNode root;
        try {
            root = JSON.readTree(Files.readAllBytes(file));
        } catch (NoSuchFileException e) {
            throw new UserError(file + ": not found. A Hugging Face model directory needs its config.json"
                    + " (save the model with save_pretrained, which writes it).");
        } catch (JsonProcessingException e) {
            throw new UserError(file + ": not valid JSON (" + e.getOriginalMessage() + " at line "
                    + e.getLocation().getLineNr() + "). Fix or re-create the file.");
        } catch (IOException e) {
            throw new UserError(file + ": cannot read: " + e.getMessage(), e);
        }
        if (root == null || !root.isObject()) throw new UserError(file + ": must contain a JSON object.");
        return new HfConfig(parse((ObjectNode) root, file.toString()), (ObjectNode) root);
    }

    /** Validates the model type and maps the HF fields (missing ones take BERT-base defaults). */
    public static BertConfig parse(ObjectNode root, String source) {
        JsonNode type = root.get("model_type");
        if (type == null || type.isNull()) {
            JsonNode arch = root.get("architectures");
            boolean bertArch = arch != null && arch.toString().contains("Bert");
            if (!bertArch) {
                throw new UserError(source + ": has no \"model_type\" and its \"architectures\" do not name a Bert model;"
                        + " only BERT-family models are supported. Add \"model_type\": \"bert\" if this is a BERT model.");
            }
        } else if (!type.asText().equals("bert")) {
            throw new UserError(source + ": model_type '" + type.asText() + "' is not supported; finetune4j loads"
                    + " BERT-family encoders (model_type 'bert', e.g. MiniLM, BGE, E5). Pick a BERT checkpoint.");
        }
        try {
            return new BertConfig(
                    intField(root, "vocab_size", 30522, source),
                    intField(root, "hidden_size", 768, source),
                    intField(root, "num_hidden_layers", 12, source),
                    intField(root, "num_attention_heads", 12, source),
                    intField(root, "intermediate_size", 3072, source),
                    root.path("hidden_act").asText("gelu"),
                    root.path("hidden_dropout_prob").asDouble(0.1),
                    root.path("attention_probs_dropout_prob").asDouble(0.1),
                    intField(root, "max_position_embeddings", 512, source),
                    intField(root, "type_vocab_size", 2, source),
                    root.path("layer_norm_eps").asDouble(1e-12),
                    root.path("pad_token_id").asInt(0));
        } catch (IllegalArgumentException e) {
            throw new UserError(source + ": " + e.getMessage() + ". Fix config.json.");
        }
    }

    private static int intField(JsonNode root, String name, int dflt, String source) {
        JsonNode v = root.get(name);
        if (v == null || v.isNull()) return dflt;
        if (!v.canConvertToInt()) throw new UserError(source + ": \"" + name + "\" must be an integer, got " + v);
        return v.asInt();
    }

    /** The HF JSON for {@code config}: model_type bert and every BertConfig field. */
    public static ObjectNode toJson(BertConfig c) {
        ObjectNode o = JSON.createObjectNode();
        o.put("model_type", "bert");
        o.put("vocab_size", c.vocabSize());
        o.put("hidden_size", c.hiddenSize());
        o.put("num_hidden_layers", c.numHiddenLayers());
        o.put("num_attention_heads", c.numAttentionHeads());
        o.put("intermediate_size", c.intermediateSize());
        o.put("hidden_act", c.hiddenAct());
        o.put("hidden_dropout_prob", c.hiddenDropoutProb());
        o.put("attention_probs_dropout_prob", c.attentionProbsDropoutProb());
        o.put("max_position_embeddings", c.maxPositionEmbeddings());
        o.put("type_vocab_size", c.typeVocabSize());
        o.put("layer_norm_eps", c.layerNormEps());
        o.put("pad_token_id", c.padTokenId());
        o.put("position_embedding_type", "absolute");
        return o;
    }

    /**
     * Writes {@code dir/config.json} atomically: the BertConfig fields, then {@code extra} fields
     * (e.g. "architectures": ["BertForSequenceClassification"], "id2label", "label2id",
     * "problem_type", "finetune4j": {provenance}); values are converted with Jackson. Returns the file.
     */
    public static Path write(Path dir, BertConfig config, Map<String, ?> extra) {
        ObjectNode o = toJson(config);
        if (extra != null) extra.forEach((k, v) -> o.set(k, JSON.valueToTree(v)));
        Path file = dir.resolve("config.json");
        try {
            AtomicFiles.writeBytes(file, JSON.writeValueAsBytes(o));
        } catch (IOException e) {
            throw new UserError(file + ": cannot write: " + e.getMessage() + ". Check that the directory is writable.", e);
        }
        return file;
    }

    /**
     * The usual extra fields of a {@code BertForSequenceClassification} export: architectures,
     * id2label / label2id from {@code labels} (index = class id), problem_type
     * ("single_label_classification" or "multi_label_classification"), and finetune4j provenance.
     */
    public static Map<String, Object> classifierExtras(java.util.List<String> labels, String problemType,
            Map<String, String> provenance) {
        Map<String, Object> m = new java.util.LinkedHashMap<>();
        m.put("architectures", java.util.List.of("BertForSequenceClassification"));
        Map<String, String> id2label = new java.util.LinkedHashMap<>();
        Map<String, Integer> label2id = new java.util.LinkedHashMap<>();
        for (int i = 0; i < labels.size(); i++) {
            id2label.put(Integer.toString(i), labels.get(i));
            label2id.put(labels.get(i), i);
        }
        m.put("id2label", id2label);
        m.put("label2id", label2id);
        if (problemType != null) m.put("problem_type", problemType);
        if (provenance != null && !provenance.isEmpty()) m.put("finetune4j", provenance);
        return m;
    }
}
