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

    /** The format a file's extension names, or null when the extension says nothing. */
    public static Format forFile(Path file) {
        String name = String.valueOf(file.getFileName()).toLowerCase(Locale.ROOT);
        if (name.endsWith(".jsonl") || name.endsWith(".json") || name.endsWith(".ndjson")) return JSONL;
        if (name.endsWith(".csv")) return CSV;
        if (name.endsWith(".tsv") || name.endsWith(".tab")) return TSV;
        return null;
    }

    /** The spelling used in recipes ({@code data.format}). */
    public String recipeName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Resolves {@link #AUTO} from the extension ({@code .jsonl}, {@code .json}, {@code .ndjson}, {@code .csv}, {@code .tsv}). */
    public Format resolve(Path file) {
        if (this != AUTO) return this;
        Format byExtension = forFile(file);
        if (byExtension != null) return byExtension;
        throw new UserError("cannot tell the format of " + file + " from its extension"
                + " (expected .jsonl, .json, .csv or .tsv) — rename the file or set data.format: jsonl, csv or tsv");
    }
}
