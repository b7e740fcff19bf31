package dev.finetune4j.data;

import dev.finetune4j.UserError;
import java.nio.file.Path;
import java.util.Locale;

/** Layout of a labelled data file. {@link #AUTO} means: decide from the file extension. */
public enum Format {
    AUTO,
    JSONL,
    CSV,
    TSV;

    /** Resolves {@link #AUTO} from the extension ({@code .jsonl}, {@code .json}, {@code .ndjson}, {@code .csv}, {@code .tsv}). */
    public Format resolve(Path file) {
        if (this != AUTO) return this;
        String name = String.valueOf(file.getFileName()).toLowerCase(Locale.ROOT);
        if (name.endsWith(".jsonl") || name.endsWith(".json") || name.endsWith(".ndjson")) return JSONL;
        if (name.endsWith(".csv")) return CSV;
        if (name.endsWith(".tsv")) return TSV;
        throw new UserError("cannot tell the format of " + file + " from its extension"
                + " (expected .jsonl, .json, .csv or .tsv) — rename the file or set data.format: jsonl, csv or tsv");
    }
}
