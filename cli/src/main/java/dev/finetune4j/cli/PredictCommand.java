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
        description = "Classify texts with a fine-tuned model; one JSON object per input: {\"label\", \"scores\"}.")
final class PredictCommand implements Callable<Integer> {
    @Option(names = "--model", required = true, paramLabel = "DIR", description = "a model directory (runs/<name>/model)")
    Path model;

    @ArgGroup(exclusive = true, multiplicity = "1")
    Input input;

    static final class Input {
        @Option(names = "--text", paramLabel = "TEXT", description = "a text to classify (repeatable)")
        List<String> texts;

        @Option(names = "--input", paramLabel = "FILE", description = "JSONL/CSV/TSV with a text column")
        Path file;
    }

    @Option(names = "--text-column", defaultValue = "text", description = "text column of --input (default: ${DEFAULT-VALUE})")
    String textColumn;

    @Option(names = "--output", paramLabel = "FILE", description = "write JSONL here instead of standard output")
    Path output;

    @Override
    public Integer call() throws Exception {
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
        List<Predictor.Prediction> predictions;
        try (Predictor predictor = Modalities.load(model)) {
            predictions = predictor.predict(texts.stream().map(t -> new Example(t, null, 0)).toList());
        }
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < predictions.size(); i++) {
            Map<String, Object> o = new LinkedHashMap<>();
            if (input.texts != null) o.put("text", texts.get(i));
            else o.put("line", lines.get(i));
            o.put("label", predictions.get(i).label());
            o.put("scores", predictions.get(i).scores());
            sb.append(AtomicFiles.JSON_COMPACT.writeValueAsString(o)).append('\n');
        }
        if (output != null) {
            AtomicFiles.writeString(output, sb.toString());
            System.err.printf("wrote %d predictions to %s%n", predictions.size(), output);
        } else {
            PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
            out.print(sb);
            out.flush();
        }
        return 0;
    }
}
