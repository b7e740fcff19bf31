package dev.finetune4j.testing;

import dev.finetune4j.model.bert.BertConfig;
import dev.finetune4j.model.bert.BertModel;
import dev.finetune4j.model.io.HfConfig;
import dev.finetune4j.model.io.ModelCatalog;
import dev.finetune4j.model.io.SafeTensors;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/** Test fixture: a tiny random-init BERT directory (with MiniLM's real tokenizer) and real mails. */
public final class TinyRun {
    private TinyRun() {}

    /** Writes {@code dir/tiny-bert/} and {@code dir/mails.jsonl} (the first {@code mails} of the spam example). */
    public static void write(Path dir, int mails) throws IOException {
        Path model = dir.resolve("tiny-bert");
        Files.createDirectories(model);
        BertConfig tiny = BertConfig.tiny(30522);
        HfConfig.write(model, tiny, Map.of());
        SafeTensors.write(model.resolve("model.safetensors"), BertModel.randomWeights(tiny, 1), Map.of());
        Files.copy(ModelCatalog.resolve(ModelCatalog.find("all-minilm-l6-v2")).tokenizerJson(),
                model.resolve("tokenizer.json"));
        List<String> lines = Files.readAllLines(Path.of("../examples/spam/emails.jsonl")).subList(0, mails);
        Files.write(dir.resolve("mails.jsonl"), lines);
    }

    /**
     * Writes {@code dir/tune.yaml}: 3 epochs of the tiny model on the mails (a quarter for
     * validation), plus a {@code search:} section with {@code searchLines} (each indented under it).
     */
    public static Path writeTuneFile(Path dir, String... searchLines) throws IOException {
        List<String> lines = new java.util.ArrayList<>(List.of("name: tiny", "model: tiny-bert", "seed: 3", "data:",
                "  train: mails.jsonl", "  max_length: 32", "  validation_fraction: 0.25", "train:", "  epochs: 3",
                "  batch_size: 16", "  early_stopping: false", "search:", "  metric: validation.macro_f1"));
        for (String l : searchLines) lines.add("  " + l);
        Path file = dir.resolve("tune.yaml");
        Files.write(file, lines);
        return file;
    }
}
