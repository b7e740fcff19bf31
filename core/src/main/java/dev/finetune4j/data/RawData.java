package dev.finetune4j.data;

import java.nio.file.Path;
import java.util.List;

/** What a reader got out of one file: parsed rows and the lines it could not parse, both in file order. */
public record RawData(Path file, List<RawRow> rows, List<BadLine> badLines) {
    public RawData {
        rows = List.copyOf(rows);
        badLines = List.copyOf(badLines);
    }
}
