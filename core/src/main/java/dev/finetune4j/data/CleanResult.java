package dev.finetune4j.data;

import java.util.List;

/** Cleaned examples in file order, and the report of what was dropped. */
public record CleanResult(List<Example> examples, CleaningReport report) {
    public CleanResult {
        examples = List.copyOf(examples);
    }
}
