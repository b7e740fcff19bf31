package dev.finetune4j.cli;

import dev.finetune4j.UserError;
import dev.finetune4j.data.CleanResult;
import dev.finetune4j.data.Cleaner;
import dev.finetune4j.data.Format;
import dev.finetune4j.data.OnBadLine;
import dev.finetune4j.data.TabularReader;
import com.fasterxml.jackson.databind.JsonNode;
import dev.finetune4j.pipeline.Modalities;
import dev.finetune4j.pipeline.Predictor;
import dev.finetune4j.pipeline.Reevaluation;
import dev.finetune4j.util.AtomicFiles;
import dev.finetune4j.vision.ImageFiles;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "eval", mixinStandardHelpOptions = true, description = "Evaluate a fine-tuned model on labelled data.")
final class EvalCommand implements Callable<Integer> {
    @Option(names = "--model", required = true, paramLabel = "DIR", description = "a model directory (runs/<name>/model)")
    Path model;

    @Option(names = "--data", required = true, paramLabel = "FILE",
            description = "labelled JSONL/CSV/TSV; for an image model also a folder with one sub-folder of images per class")
    Path data;

    @Option(names = "--text-column", defaultValue = "text", description = "default: ${DEFAULT-VALUE}")
    String textColumn;

    @Option(names = "--image-column", defaultValue = "image",
            description = "image path column of a --data file, for image models (default: ${DEFAULT-VALUE})")
    String imageColumn;

    @Option(names = "--label-column", defaultValue = "label", description = "default: ${DEFAULT-VALUE}")
    String labelColumn;

    @Option(names = "--output", paramLabel = "FILE", description = "also write the metrics as JSON here: the test section as training writes it, calibration, and the comparison with the metrics recorded at export")
    Path output;

    /** The export's config.json section {@code finetune4j}, or null when it has none (a transformers export). */
    private static JsonNode exportInfo(Path model) {
        try {
            return AtomicFiles.JSON.readTree(model.resolve("config.json").toFile()).get("finetune4j");
        } catch (java.io.IOException e) {
            return null; // loading the model has already checked the file
        }
    }

    @Override
    public Integer call() {
        try (Predictor predictor = Modalities.load(model)) {
            boolean images = "images".equals(predictor.describe().get("input"));
            if (!images && java.nio.file.Files.isDirectory(data)) {
                throw new UserError("--data " + data + " is a folder, but " + model + " classifies texts: give a labelled"
                        + " JSONL/CSV/TSV file");
            }
            CleanResult clean = images
                    ? ImageFiles.read(data, Format.AUTO, imageColumn, labelColumn, OnBadLine.SKIP, false, "--data")
                    : Cleaner.clean(TabularReader.read(data, Format.AUTO, textColumn, labelColumn, OnBadLine.SKIP, "--data"),
                            false);
            if (clean.report().dropped() > 0) System.out.println(clean.report().toText());
            if (clean.examples().isEmpty()) throw new UserError(data + ": no labelled " + (images ? "images" : "rows")
                    + " to evaluate");
            Predictor.Scored scored = predictor.score(clean.examples(), "--data " + data);
            Reevaluation check = Reevaluation.of(scored, exportInfo(model));
            System.out.println(scored.report().toTable());
            System.out.printf(Locale.ROOT, "expected calibration error %.4f%n", check.ece());
            System.out.println(check.verdict());
            if (output != null) {
                AtomicFiles.writeJson(output, check.toMap());
                System.out.println("wrote " + output);
            }
        }
        return 0;
    }
}
