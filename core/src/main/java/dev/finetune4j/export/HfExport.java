package dev.finetune4j.export;

import dev.finetune4j.model.bert.BertForSequenceClassification;
import dev.finetune4j.model.io.HfConfig;
import dev.finetune4j.model.io.SafeTensors;
import dev.finetune4j.util.AtomicFiles;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Writes a fine-tuned classifier in Hugging Face's layout: {@code config.json}
 * ({@code BertForSequenceClassification}, id2label, label2id), {@code model.safetensors} with the
 * keys transformers expects ({@code bert.*}, {@code classifier.*}), {@code tokenizer.json} and a
 * minimal {@code tokenizer_config.json}. The directory appears whole or not at all.
 */
public final class HfExport {
    private HfExport() {}

    /**
     * @param finetune4j what finetune4j needs to load it again (pooling, max_length) and the
     *     provenance of the run, stored under "finetune4j" in config.json
     */
    public static void write(BertForSequenceClassification model, Path tokenizerJson, int maxLength,
            Map<String, Object> finetune4j, Path dir) {
        Path staged = AtomicFiles.stagingDirectory(dir);
        try {
            Map<String, Object> extra = new LinkedHashMap<>(
                    HfConfig.classifierExtras(model.labels(), "single_label_classification", null));
            Map<String, Object> info = new LinkedHashMap<>();
            info.put("pooling", model.pooling().recipeName());
            info.put("max_length", maxLength);
            info.putAll(finetune4j);
            extra.put("finetune4j", info);
            HfConfig.write(staged, model.config(), extra);
            Map<String, String> metadata = new LinkedHashMap<>();
            metadata.put("format", "pt");
            SafeTensors.write(staged.resolve("model.safetensors"), model.parameters().toHost(), metadata);
            AtomicFiles.copy(tokenizerJson, staged.resolve("tokenizer.json"));
            Map<String, Object> tokenizerConfig = new LinkedHashMap<>();
            tokenizerConfig.put("tokenizer_class", "BertTokenizerFast");
            tokenizerConfig.put("model_max_length", maxLength);
            AtomicFiles.writeJson(staged.resolve("tokenizer_config.json"), tokenizerConfig);
            AtomicFiles.replaceDirectory(staged, dir);
        } catch (RuntimeException e) {
            AtomicFiles.deleteRecursively(staged);
            throw e;
        }
    }
}
