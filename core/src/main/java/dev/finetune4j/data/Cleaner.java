package dev.finetune4j.data;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Turns raw rows into examples, counting every row it leaves out by reason (see {@link DropReason}).
 *
 * <p>Text and label are trimmed first; duplicates are judged on the trimmed values. With
 * {@code dropDuplicates}, an exact duplicate (same text and label) keeps its first copy, and a text
 * that occurs with different labels is dropped in all its copies since it cannot teach either label.
 * Without it, every valid row is kept.
 */
public final class Cleaner {
    private Cleaner() {}

    public static CleanResult clean(RawData raw, boolean dropDuplicates) {
        Map<DropReason, List<Integer>> dropped = new EnumMap<>(DropReason.class);
        for (BadLine bad : raw.badLines()) drop(dropped, DropReason.UNPARSEABLE_LINE, bad.line());

        List<Example> valid = new ArrayList<>();
        for (RawRow row : raw.rows()) {
            if (row.text() == null) {
                drop(dropped, DropReason.MISSING_TEXT, row.line());
            } else if (row.text().isBlank()) {
                drop(dropped, DropReason.EMPTY_TEXT, row.line());
            } else if (row.label() == null) {
                drop(dropped, DropReason.MISSING_LABEL, row.line());
            } else if (row.label().isBlank()) {
                drop(dropped, DropReason.EMPTY_LABEL, row.line());
            } else {
                valid.add(new Example(row.text().strip(), row.label().strip(), row.line()));
            }
        }

        List<Example> kept = valid;
        if (dropDuplicates) {
            Map<String, Set<String>> labelsByText = new HashMap<>();
            for (Example e : valid) labelsByText.computeIfAbsent(e.text(), t -> new HashSet<>()).add(e.label());
            Set<String> seen = new HashSet<>();
            kept = new ArrayList<>();
            for (Example e : valid) {
                if (labelsByText.get(e.text()).size() > 1) {
                    drop(dropped, DropReason.CONFLICTING_DUPLICATE, e.line());
                } else if (!seen.add(e.text())) {
                    drop(dropped, DropReason.EXACT_DUPLICATE, e.line());
                } else {
                    kept.add(e);
                }
            }
        }

        Map<DropReason, CleaningReport.Dropped> drops = new EnumMap<>(DropReason.class);
        dropped.forEach((reason, lines) -> {
            List<Integer> sorted = lines.stream().sorted().limit(CleaningReport.MAX_EXAMPLE_LINES).toList();
            drops.put(reason, new CleaningReport.Dropped(lines.size(), sorted));
        });
        int rowsIn = raw.rows().size() + raw.badLines().size();
        return new CleanResult(kept, new CleaningReport(rowsIn, kept.size(), drops));
    }

    private static void drop(Map<DropReason, List<Integer>> dropped, DropReason reason, int line) {
        dropped.computeIfAbsent(reason, r -> new ArrayList<>()).add(line);
    }
}
