package dev.finetune4j.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.finetune4j.TensorRuntime;
import dev.finetune4j.model.TextBatch;
import dev.finetune4j.recipe.RecipeLoader;
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
        // The real MiniLM, a few steps: a random-init tiny model's outputs hardly depend on the input.
        Files.write(tmp.resolve("mails.jsonl"), Files.readAllLines(Path.of("../examples/spam/emails.jsonl")).subList(0, 120));
        Path recipe = tmp.resolve("recipe.yaml");
        Files.writeString(recipe, String.join("\n", "name: parity", "model: all-minilm-l6-v2", "seed: 3", "data:",
                "  train: mails.jsonl", "  max_length: 64", "head:", "  pooling: pooler", "train:", "  epochs: 1", "  max_steps: 3", "  batch_size: 8",
                ""));
        Path out = tmp.resolve("run");
        new FineTune(RecipeLoader.load(recipe), new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8))
                .run(out, TrainingListener.none());

        List<String> texts = new ArrayList<>();
        for (String line : Files.readAllLines(out.resolve("test_predictions.jsonl"))) {
            texts.add(JSON.readTree(line).path("text").asText());
        }
        texts.addAll(List.of("WIN a FREE cruise, click now", "Minutes of Tuesday's meeting attached")); // shorter: padding
        Path model = out.resolve("model");
        PaddedBatch batch;
        try (TextEncoder encoder = TextEncoder.load(model.resolve("tokenizer.json"), 64)) {
            batch = TextEncoder.collate(encoder.encodeAll(texts), encoder.padId());
        }
        float[][] here;
        float[] pooledHere;
        try (TextClassifier classifier = TextClassifier.load(model); NDManager scope = TensorRuntime.newManager()) {
            here = classifier.probabilitiesOfTexts(texts);
            TextBatch b = new TextBatch(scope.create(batch.inputIds()), scope.create(batch.attentionMask()),
                    scope.create(batch.tokenTypeIds()));
            pooledHere = classifier.model().features(scope, b, false).toFloatArray();
        }
        assertThat(java.util.Arrays.stream(batch.attentionMask()).flatMapToLong(java.util.Arrays::stream).anyMatch(v -> v == 0))
                .as("real texts of different lengths, padded").isTrue();
        Path inputs = tmp.resolve("inputs.json");
        JSON.writeValue(inputs.toFile(), Map.of("input_ids", batch.inputIds(), "attention_mask", batch.attentionMask(),
                "token_type_ids", batch.tokenTypeIds()));
        Process p = new ProcessBuilder(PYTHON, REFERENCE.toString(), "--model", model.toString(), "--threads", "1", "--seq", "8",
                "--logits-of", inputs.toString()).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        String stdout = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(300, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(stdout).isZero();
        JsonNode logits = JSON.readTree(stdout).path("logits");

        assertThat(logits.size()).isEqualTo(texts.size());
        // The body's output (the pooler's, which the head reads) first: it varies a lot between texts,
        // so a wrong weight shows there even where the tiny model's probabilities are all near 0.5.
        JsonNode pooled = JSON.readTree(stdout).path("pooler_output");
        int hidden = pooled.get(0).size();
        double spread = 0;
        for (int i = 0; i < texts.size(); i++) {
            for (int j = 0; j < hidden; j++) {
                double reference = pooled.get(i).get(j).asDouble();
                assertThat((double) pooledHere[i * hidden + j]).as("pooler output, text %d, unit %d", i, j)
                        .isCloseTo(reference, within(1e-4));
                spread = Math.max(spread, Math.abs(reference - pooled.get(0).get(j).asDouble()));
            }
        }
        assertThat(spread).as("texts give different pooler outputs").isGreaterThan(0.05);
        for (int i = 0; i < texts.size(); i++) {
            double a = logits.get(i).get(0).asDouble(), b = logits.get(i).get(1).asDouble();
            double max = Math.max(a, b);
            double pa = Math.exp(a - max) / (Math.exp(a - max) + Math.exp(b - max));
            assertThat((double) here[i][0]).as("text %d, label 0", i).isCloseTo(pa, within(1e-5));
            assertThat((double) here[i][1]).as("text %d, label 1", i).isCloseTo(1 - pa, within(1e-5));
        }
    }
}
