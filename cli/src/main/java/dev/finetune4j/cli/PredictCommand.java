package dev.finetune4j.cli;

import dev.finetune4j.UserError;
import dev.finetune4j.data.Example;
import dev.finetune4j.data.Format;
import dev.finetune4j.data.OnBadLine;
import dev.finetune4j.data.RawData;
import dev.finetune4j.data.RawRow;
import dev.finetune4j.data.TabularReader;
import dev.finetune4j.pipeline.Modalities;
import dev.finetune4j.pipeline.Predictor;
import dev.finetune4j.util.AtomicFiles;
import dev.finetune4j.vision.ImageFiles;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "predict", mixinStandardHelpOptions = true,
        description = "Classify texts or images with a fine-tuned model; one JSON object per input: {\"label\", \"scores\"}"
                + " (and \"path\" for images; an image that does not decode gets {\"path\", \"error\"}).")
final class PredictCommand implements Callable<Integer> {
    @Option(names = "--model", required = true, paramLabel = "DIR", description = "a model directory (runs/<name>/model)")
    Path model;

    @ArgGroup(exclusive = true, multiplicity = "1")
    Input input;

    static final class Input {
        @Option(names = "--text", paramLabel = "TEXT", description = "a text to classify (repeatable)")
        List<String> texts;

        @Option(names = "--image", paramLabel = "FILE", description = "an image to classify (repeatable)")
        List<Path> images;

        @Option(names = "--input", paramLabel = "FILE", description = "JSONL/CSV/TSV with a text (or image path) column;"
                + " for an image model also a folder of images")
        Path file;
    }

    @Option(names = "--image-column", defaultValue = "image",
            description = "image path column of --input, paths relative to it (default: ${DEFAULT-VALUE})")
    String imageColumn;

    @Option(names = "--text-column", defaultValue = "text", description = "text column of --input (default: ${DEFAULT-VALUE})")
    String textColumn;

    @Option(names = "--output", paramLabel = "FILE", description = "write JSONL here instead of standard output")
    Path output;

    @Override
    public Integer call() throws Exception {
        try (Predictor predictor = Modalities.load(model)) {
            boolean images = "images".equals(predictor.describe().get("input"));
            if (images && input.texts != null) {
                throw new UserError(model + " classifies images: pass --image FILE or --input FOLDER_OR_FILE, not --text");
            }
            if (!images && input.images != null) {
                throw new UserError(model + " classifies texts: pass --text TEXT or --input FILE, not --image");
            }
            write(images ? images(predictor) : texts(predictor));
        }
        return 0;
    }

    /** One object per image, in input order: its path and prediction, or why it could not be read. */
    private List<Map<String, Object>> images(Predictor predictor) {
        List<String> paths = input.images != null
                ? input.images.stream().map(p -> p.toAbsolutePath().normalize().toString()).toList()
                : ImageFiles.listed(input.file, imageColumn, "--input");
        List<Map<String, Object>> out = new ArrayList<>();
        List<Integer> good = new ArrayList<>();
        for (String p : paths) {
            Map<String, Object> o = new LinkedHashMap<>();
            o.put("path", ImageFiles.shown(p, Path.of("")));
            String problem = ImageFiles.problem(p);
            if (problem != null) o.put("error", problem);
            else good.add(out.size());
            out.add(o);
        }
        List<Predictor.Prediction> predictions = predictor.predict(
                good.stream().map(i -> new Example(paths.get(i), null, 0)).toList());
        for (int k = 0; k < good.size(); k++) {
            out.get(good.get(k)).put("label", predictions.get(k).label());
            out.get(good.get(k)).put("scores", predictions.get(k).scores());
        }
        int bad = paths.size() - good.size();
        if (bad > 0) System.err.printf("%d of %d images could not be read (their lines carry \"error\")%n", bad, paths.size());
        return out;
    }

    private List<Map<String, Object>> texts(Predictor predictor) {
        List<String> texts = new ArrayList<>();
        List<Integer> lines = new ArrayList<>();
        if (input.texts != null) {
            texts.addAll(input.texts);
        } else {
            RawData data = TabularReader.read(input.file, Format.AUTO, textColumn, null, OnBadLine.FAIL, "--input");
            for (RawRow row : data.rows()) {
                if (row.text() == null) {
                    throw new UserError(input.file + ":" + row.line() + ": no '" + textColumn
                            + "' value — every row needs a text (or set --text-column)");
                }
                texts.add(row.text());
                lines.add(row.line());
            }
        }
        List<Predictor.Prediction> predictions = predictor.predict(texts.stream().map(t -> new Example(t, null, 0)).toList());
        List<Map<String, Object>> out = new ArrayList<>();
        for (int i = 0; i < predictions.size(); i++) {
            Map<String, Object> o = new LinkedHashMap<>();
            if (input.texts != null) o.put("text", texts.get(i));
            else o.put("line", lines.get(i));
            o.put("label", predictions.get(i).label());
            o.put("scores", predictions.get(i).scores());
            out.add(o);
        }
        return out;
    }

    private void write(List<Map<String, Object>> lines) throws java.io.IOException {
        StringBuilder sb = new StringBuilder();
        for (Map<String, Object> o : lines) sb.append(AtomicFiles.JSON_COMPACT.writeValueAsString(o)).append('\n');
        if (output != null) {
            AtomicFiles.writeString(output, sb.toString());
            System.err.printf("wrote %d predictions to %s%n", lines.size(), output);
        } else {
            PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
            out.print(sb);
            out.flush();
        }
    }
}
