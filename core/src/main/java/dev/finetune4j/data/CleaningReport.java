package dev.finetune4j.data;

import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * What cleaning did: rows in and out, and for every {@link DropReason} how many rows it dropped with
 * up to {@value #MAX_EXAMPLE_LINES} of their line numbers, and of their names where rows have one
 * (an image's path). {@code rowsIn == rowsOut + dropped()}.
 */
public record CleaningReport(int rowsIn, int rowsOut, Map<DropReason, Dropped> drops) {
    public static final int MAX_EXAMPLE_LINES = 5;

    /**
     * Rows dropped for one reason: the count, the first few line numbers (ascending) and, for rows
     * that have names, theirs (same rows, same order; else empty).
     */
    public record Dropped(int count, List<Integer> exampleLines, List<String> exampleNames) {
        public Dropped {
            exampleLines = List.copyOf(exampleLines);
            exampleNames = List.copyOf(exampleNames);
        }

        public Dropped(int count, List<Integer> exampleLines) {
            this(count, exampleLines, List.of());
        }
    }

    public CleaningReport {
        EnumMap<DropReason, Dropped> all = new EnumMap<>(DropReason.class);
        for (DropReason r : DropReason.values()) all.put(r, drops.getOrDefault(r, new Dropped(0, List.of())));
        drops = Collections.unmodifiableMap(all);
        if (rowsIn != rowsOut + all.values().stream().mapToInt(Dropped::count).sum()) {
            throw new IllegalArgumentException("rows in " + rowsIn + " != rows out " + rowsOut + " + dropped " + all);
        }
    }

    public int dropped() {
        return rowsIn - rowsOut;
    }

    public int count(DropReason reason) {
        return drops.get(reason).count();
    }

    /** A console table; lists only the reasons that dropped something. */
    public String toText() {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format("cleaning: %d rows in, %d kept, %d dropped%n", rowsIn, rowsOut, dropped()));
        if (dropped() == 0) return sb.toString();
        int width = 0;
        for (DropReason r : DropReason.values()) width = Math.max(width, r.description().length());
        boolean named = drops.values().stream().anyMatch(d -> !d.exampleNames().isEmpty());
        sb.append(String.format("  %-" + width + "s  %6s  %s%n", "reason", "rows", named ? "e.g." : "e.g. lines"));
        for (DropReason r : DropReason.values()) {
            Dropped d = drops.get(r);
            if (d.count() == 0) continue;
            String lines = d.exampleNames().isEmpty()
                    ? d.exampleLines().stream().map(String::valueOf).collect(Collectors.joining(", "))
                    : String.join(", ", d.exampleNames());
            if (d.count() > d.exampleLines().size()) lines += ", ...";
            sb.append(String.format("  %-" + width + "s  %6d  %s%n", r.description(), d.count(), lines));
        }
        return sb.toString();
    }

    /**
     * For JSON: {@code {rows_in, rows_out, dropped: {reason_key: {count, description, example_lines[, examples]}}}};
     * the reasons about files (images) only when they dropped something.
     */
    public Map<String, Object> toMap() {
        Map<String, Object> dropped = new LinkedHashMap<>();
        for (DropReason r : DropReason.values()) {
            Dropped d = drops.get(r);
            if (r.aboutFiles() && d.count() == 0) continue;
            Map<String, Object> entry = new LinkedHashMap<>();
            entry.put("count", d.count());
            entry.put("description", r.description());
            entry.put("example_lines", new ArrayList<>(d.exampleLines()));
            if (!d.exampleNames().isEmpty()) entry.put("examples", new ArrayList<>(d.exampleNames()));
            dropped.put(r.key(), entry);
        }
        Map<String, Object> map = new LinkedHashMap<>();
        map.put("rows_in", rowsIn);
        map.put("rows_out", rowsOut);
        map.put("dropped", dropped);
        return map;
    }
}
