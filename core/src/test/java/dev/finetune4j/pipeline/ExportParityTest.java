package dev.finetune4j.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.finetune4j.recipe.RecipeLoader;
import dev.finetune4j.testing.TinyRun;
import dev.finetune4j.text.PaddedBatch;
import dev.finetune4j.text.TextClassifier;
import dev.finetune4j.text.TextEncoder;
import dev.finetune4j.train.TrainingListener;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What {@code ft4j train} exports computes in PyTorch what it computes here: the export loaded
 * into the plain-PyTorch {@code BertForSequenceClassification} of bench/torch_reference.py (with
 * Debian's python3-torch), on real mails tokenized here, gives the probabilities that
 * {@code ft4j predict}'s {@link TextClassifier} gives. Without python3-torch it is skipped with a
 * note, except under CI (the environment variable CI set), where it must run.
 */
class ExportParityTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static final Path REFERENCE = Path.of("../bench/torch_reference.py").toAbsolutePath().normalize();

    /** Debian's interpreter, where python3-torch installs torch; a python3 earlier on the PATH may lack it. */
    static final String PYTHON = Files.isExecutable(Path.of("/usr/bin/python3")) ? "/usr/bin/python3" : "python3";

    static void requireTorch() throws Exception {
        Process p = new ProcessBuilder(PYTHON, "-c", "import torch").redirectErrorStream(true).start();
        boolean ok = p.waitFor(120, TimeUnit.SECONDS) && p.exitValue() == 0;
        if (ok) return;
        String note = "python3 with torch not found: apt-get install python3-torch (Debian) to compare exports with PyTorch";
        if (System.getenv("CI") != null) throw new AssertionError(note);
        System.err.println("[NOTE] ExportParityTest: " + note);
        Assumptions.abort(note);
    }

    @Test
    void theExportGivesTheSameProbabilitiesInPyTorch(@TempDir Path tmp) throws Exception {
        requireTorch();
        TinyRun.write(tmp, 120);
        Path recipe = tmp.resolve("recipe.yaml");
        Files.writeString(recipe, String.join("\n", "name: tiny", "model: tiny-bert", "seed: 3", "data:",
                "  train: mails.jsonl", "  max_length: 64", "train:", "  epochs: 2", "  batch_size: 8",
                "  learning_rate: 1.0e-3", ""));
        Path out = tmp.resolve("run");
        new FineTune(RecipeLoader.load(recipe), new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8))
                .run(out, TrainingListener.none());

        List<String> texts = new ArrayList<>();
        for (String line : Files.readAllLines(out.resolve("test_predictions.jsonl"))) {
            texts.add(JSON.readTree(line).path("text").asText());
        }
        Path model = out.resolve("model");
        float[][] here;
        try (TextClassifier classifier = TextClassifier.load(model)) {
            here = classifier.probabilities(texts);
        }
        PaddedBatch batch;
        try (TextEncoder encoder = TextEncoder.load(model.resolve("tokenizer.json"), 64)) {
            batch = TextEncoder.collate(encoder.encodeAll(texts), encoder.padId());
        }
        assertThat(batch.attentionMask()[0]).as("real, padded inputs").contains(0L);
        Path inputs = tmp.resolve("inputs.json");
        JSON.writeValue(inputs.toFile(), Map.of("input_ids", batch.inputIds(), "attention_mask", batch.attentionMask(),
                "token_type_ids", batch.tokenTypeIds()));
        Process p = new ProcessBuilder(PYTHON, REFERENCE.toString(), "--model", model.toString(), "--threads", "1",
                "--logits-of", inputs.toString()).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        String stdout = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(300, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(stdout).isZero();
        JsonNode logits = JSON.readTree(stdout).path("logits");

        assertThat(logits.size()).isEqualTo(texts.size());
        double lo = 1, hi = 0;
        for (float[] row : here) {
            lo = Math.min(lo, row[0]);
            hi = Math.max(hi, row[0]);
        }
        assertThat(hi - lo).as("the texts get different probabilities, so a wrong weight would show").isGreaterThan(1e-3);
        for (int i = 0; i < texts.size(); i++) {
            double a = logits.get(i).get(0).asDouble(), b = logits.get(i).get(1).asDouble();
            double max = Math.max(a, b);
            double pa = Math.exp(a - max) / (Math.exp(a - max) + Math.exp(b - max));
            assertThat((double) here[i][0]).as("text %d, label 0", i).isCloseTo(pa, within(1e-5));
            assertThat((double) here[i][1]).as("text %d, label 1", i).isCloseTo(1 - pa, within(1e-5));
        }
    }
}
