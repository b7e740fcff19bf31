package dev.finetune4j.model.io;

import com.fasterxml.jackson.databind.JsonNode;
import dev.finetune4j.UserError;
import dev.finetune4j.model.HostTensor;
import dev.finetune4j.model.bert.BertConfig;
import dev.finetune4j.model.bert.BertWeights;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;

/**
 * A BERT checkpoint loaded into host memory, whatever it came from.
 *
 * @param weights keys without any {@code bert.} prefix ({@code embeddings...}, {@code encoder.layer.N...},
 *     {@code pooler...}); other keys (e.g. {@code classifier.weight}) keep their names
 * @param rawConfig the config.json content, or null when the configuration was inferred
 */
public record BertCheckpoint(BertConfig config, Map<String, HostTensor> weights, JsonNode rawConfig) {

    public static BertCheckpoint load(ResolvedModelFiles files) {
        return switch (files.kind()) {
            case CATALOG, ONNX_FILE -> {
                OnnxBertWeights w = OnnxBert.read(files.weights(), files.configJson());
                JsonNode raw = files.configJson() != null ? HfConfig.read(files.configJson()).raw() : null;
                yield new BertCheckpoint(w.config(), w.weights(), raw);
            }
            case HF_DIR -> loadSafetensors(files);
            case ARCHITECTURE -> throw new IllegalArgumentException(files.description() + " has no weights");
        };
    }

    private static BertCheckpoint loadSafetensors(ResolvedModelFiles files) {
        HfConfig cfg = HfConfig.read(files.configJson());
        Map<String, HostTensor> raw = new LinkedHashMap<>();
        Path w = files.weights();
        if (w.getFileName().toString().endsWith(".index.json")) {
            for (Path shard : shards(w)) raw.putAll(SafeTensors.read(shard, BertCheckpoint::isParameter));
        } else {
            raw = SafeTensors.read(w, BertCheckpoint::isParameter);
        }
        Map<String, HostTensor> out = new LinkedHashMap<>();
        for (Map.Entry<String, HostTensor> e : raw.entrySet()) {
            String k = e.getKey().startsWith("bert.") ? e.getKey().substring(5) : e.getKey();
            // TF-converted checkpoints name LayerNorm parameters gamma/beta
            if (k.contains("LayerNorm.")) k = k.replaceAll("LayerNorm\\.gamma$", "LayerNorm.weight").replaceAll("LayerNorm\\.beta$", "LayerNorm.bias");
            if (out.put(k, e.getValue()) != null) {
                throw new UserError(w + ": holds both '" + k + "' and 'bert." + k + "'; keep one of them.");
            }
        }
        BertWeights.check(cfg.config(), out, w + " (with " + files.configJson() + ")");
        return new BertCheckpoint(cfg.config(), out, cfg.raw());
    }

    /** Skips integer buffers that HF checkpoints sometimes carry (position_ids, token_type_ids). */
    private static boolean isParameter(String name) {
        return !(name.endsWith("position_ids") || name.endsWith("embeddings.token_type_ids"));
    }

    private static Set<Path> shards(Path index) {
        JsonNode root;
        try {
            root = HfConfig.JSON.readTree(Files.readAllBytes(index));
        } catch (IOException e) {
            throw new UserError(index + ": cannot read the shard index: " + e.getMessage(), e);
        }
        JsonNode map = root == null ? null : root.get("weight_map");
        if (map == null || !map.isObject()) throw new UserError(index + ": has no \"weight_map\" object; re-save the model.");
        Set<Path> shards = new LinkedHashSet<>();
        map.fields().forEachRemaining(f -> shards.add(index.resolveSibling(f.getValue().asText())));
        for (Path s : shards) {
            if (!Files.isRegularFile(s)) {
                throw new UserError(index + ": lists shard " + s.getFileName() + ", which is missing; copy all shards.");
            }
        }
        return shards;
    }
}
