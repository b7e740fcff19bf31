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

    /**
     * What a modality adds to cleaning when a row's text points at its content (an image file's
     * path): a check of that content, what duplicates are judged by, and the name a dropped row is
     * reported under.
     */
    public interface Content {
        /** Why the example's content is unusable, or null when it is fine. */
        DropReason check(Example e);

        /** Equal for examples with the same content (a digest of the file's bytes). */
        String identity(Example e);

        /** The name a dropped row is listed by in the report, beside its line (a path). */
        String name(int line, String text);
    }

    /** Rows whose text is the example itself. */
    public static CleanResult clean(RawData raw, boolean dropDuplicates) {
        return clean(raw, dropDuplicates, null);
    }

    public static CleanResult clean(RawData raw, boolean dropDuplicates, Content content) {
        Map<DropReason, List<Integer>> dropped = new EnumMap<>(DropReason.class);
        Map<Integer, String> names = new HashMap<>();
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
                Example e = new Example(row.text().strip(), row.label().strip(), row.line());
                DropReason bad = content == null ? null : content.check(e);
                if (bad == null) valid.add(e);
                else drop(dropped, bad, e.line());
            }
            if (content != null && row.text() != null) names.put(row.line(), content.name(row.line(), row.text().strip()));
        }

        List<Example> kept = valid;
        if (dropDuplicates) {
            Map<String, Set<String>> labelsByText = new HashMap<>();
            java.util.function.Function<Example, String> identity = content == null ? Example::text : content::identity;
            for (Example e : valid) labelsByText.computeIfAbsent(identity.apply(e), t -> new HashSet<>()).add(e.label());
            Set<String> seen = new HashSet<>();
            kept = new ArrayList<>();
            for (Example e : valid) {
                if (labelsByText.get(identity.apply(e)).size() > 1) {
                    drop(dropped, DropReason.CONFLICTING_DUPLICATE, e.line());
                } else if (!seen.add(identity.apply(e))) {
                    drop(dropped, DropReason.EXACT_DUPLICATE, e.line());
                } else {
                    kept.add(e);
                }
            }
        }

        Map<DropReason, CleaningReport.Dropped> drops = new EnumMap<>(DropReason.class);
        dropped.forEach((reason, lines) -> {
            List<Integer> sorted = lines.stream().sorted().limit(CleaningReport.MAX_EXAMPLE_LINES).toList();
            List<String> named = content == null ? List.of()
                    : sorted.stream().map(l -> names.getOrDefault(l, "line " + l)).toList();
            drops.put(reason, new CleaningReport.Dropped(lines.size(), sorted, named));
        });
        int rowsIn = raw.rows().size() + raw.badLines().size();
        return new CleanResult(kept, new CleaningReport(rowsIn, kept.size(), drops));
    }

    private static void drop(Map<DropReason, List<Integer>> dropped, DropReason reason, int line) {
        dropped.computeIfAbsent(reason, r -> new ArrayList<>()).add(line);
    }
}
