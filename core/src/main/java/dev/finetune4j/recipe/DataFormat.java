package dev.finetune4j.recipe;

import java.nio.file.Path;
import java.util.Locale;

/** How a data file is read; {@code auto} picks by file extension. */
public enum DataFormat {
    AUTO, JSONL, CSV, TSV;

    /** The spelling used in recipes, e.g. {@code auto}. */
    public String recipeName() {
        return RecipeNames.of(this);
    }

    /** Parses the recipe spelling; throws IllegalArgumentException naming the allowed values. */
    public static DataFormat parse(String text) {
        return RecipeNames.parse(DataFormat.class, text);
    }

    /** The format a file's extension stands for, or {@code null} when the extension is not one we know. */
    public static DataFormat forFile(Path file) {
        String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
        if (name.endsWith(".jsonl") || name.endsWith(".ndjson")) {
            return JSONL;
        }
        if (name.endsWith(".csv")) {
            return CSV;
        }
        if (name.endsWith(".tsv") || name.endsWith(".tab")) {
            return TSV;
        }
        return null;
    }
}
