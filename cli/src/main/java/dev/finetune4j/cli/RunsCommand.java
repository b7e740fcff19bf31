package dev.finetune4j.cli;

import dev.finetune4j.UserError;
import dev.finetune4j.recipe.RecipeLoader;
import dev.finetune4j.track.RecipeDiff;
import dev.finetune4j.track.RunStore;
import dev.finetune4j.util.AtomicFiles;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "runs", mixinStandardHelpOptions = true,
        description = {"List the recorded runs (every ft4j train and every tuning trial), newest first.",
                "The store is $FT4J_RUNS/runs.db, else runs/runs.db."},
        subcommands = {RunsCommand.Show.class, RunsCommand.Compare.class, RunsCommand.Export.class})
final class RunsCommand implements Callable<Integer> {
    /** --store, shared by the subcommands. */
    static final class StoreOption {
        @Option(names = "--store", paramLabel = "FILE", description = "the run store (default: $FT4J_RUNS/runs.db or runs/runs.db)")
        Path store;

        RunStore open() {
            Path file = store != null ? store : RunStore.defaultFile();
            if (!Files.isRegularFile(file)) {
                throw new UserError("no run store at " + file + ": runs are recorded there by `ft4j train` and `ft4j tune`;"
                        + " run one first, or point --store (or FT4J_RUNS) at the directory that has runs.db");
            }
            return new RunStore(file);
        }
    }

    @Mixin
    StoreOption store;

    @Option(names = "--status", paramLabel = "S", description = "only runs with this status: running, finished, failed, killed, pruned")
    String status;

    @Option(names = "--kind", paramLabel = "K", description = "only train runs or tuning trials: train, trial")
    String kind;

    @Option(names = "--name", paramLabel = "TEXT", description = "only runs whose name contains TEXT")
    String name;

    @Option(names = "--sort", paramLabel = "METRIC", description = "sort by a summary metric, best first, e.g. test.macro_f1"
            + " or validation.loss (losses sort ascending)")
    String sort;

    @Option(names = "--limit", paramLabel = "N", defaultValue = "50", description = "at most N rows (default: ${DEFAULT-VALUE})")
    int limit;

    @Option(names = "--json", description = "print JSON instead of a table")
    boolean json;

    @Override
    public Integer call() throws Exception {
        List<RunStore.Run> runs;
        try (RunStore s = store.open()) {
            runs = new ArrayList<>(s.runs());
        }
        if (status != null) {
            RunStore.Status st = parseStatus(status);
            runs.removeIf(r -> r.status() != st);
        }
        if (kind != null) runs.removeIf(r -> !r.kind().equalsIgnoreCase(kind));
        if (name != null) runs.removeIf(r -> !r.name().contains(name));
        String column = sort != null ? sort : "test.macro_f1";
        if (sort != null) {
            boolean lowerIsBetter = sort.endsWith("loss");
            Comparator<RunStore.Run> bySort = Comparator.comparing(r -> metric(r, sort),
                    Comparator.nullsLast(lowerIsBetter ? Comparator.<Double>naturalOrder() : Comparator.<Double>reverseOrder()));
            runs.sort(bySort);
        }
        if (runs.size() > limit) runs = runs.subList(0, limit);
        if (json) {
            System.out.println(AtomicFiles.JSON.writeValueAsString(runs));
            return 0;
        }
        if (runs.isEmpty()) {
            System.out.println("no runs match");
            return 0;
        }
        int idWidth = runs.stream().mapToInt(r -> r.id().length()).max().orElse(2);
        String row = "%-" + idWidth + "s  %-8s %-9s %-20s %9s %14s %20s%n";
        System.out.printf(row, "id", "kind", "status", "started (UTC)", "duration", column, "validation.macro_f1");
        for (RunStore.Run r : runs) {
            System.out.printf(row, r.id(), r.kind(), r.status().name().toLowerCase(),
                    r.startedAt().substring(0, 19).replace('T', ' '), duration(r), fmt(metric(r, column)),
                    fmt(metric(r, "validation.macro_f1")));
        }
        return 0;
    }

    static RunStore.Status parseStatus(String s) {
        try {
            return RunStore.Status.valueOf(s.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new UserError("--status " + s + ": unknown; use running, finished, failed, killed or pruned");
        }
    }

    static Double metric(RunStore.Run r, String key) {
        if (r.summary() == null) return null;
        Object v = r.summary().get(key);
        return v instanceof Number n ? n.doubleValue() : null;
    }

    static String fmt(Object v) {
        if (v == null) return "-";
        if (v instanceof Double d) return String.format(Locale.ROOT, "%.4f", d);
        return String.valueOf(v);
    }

    static String duration(RunStore.Run r) {
        Double seconds = r.seconds();
        if (seconds == null) return "-";
        long s = seconds.longValue();
        return s >= 3600 ? String.format("%dh%02dm", s / 3600, s / 60 % 60) : String.format("%dm%02ds", s / 60, s % 60);
    }

    static RunStore.Run find(RunStore s, String id) {
        return s.find(id).orElseThrow(() -> new UserError("no run '" + id + "' in " + s.file()
                + ": `ft4j runs` lists the ids (a unique prefix is enough)"));
    }

    @Command(name = "show", mixinStandardHelpOptions = true, description = "One run: status, summary metrics, the last"
            + " value of every recorded metric, artifacts, the recipe and provenance.")
    static final class Show implements Callable<Integer> {
        @Mixin
        StoreOption store;

        @Parameters(index = "0", paramLabel = "ID", description = "a run id (a unique prefix is enough)")
        String id;

        @Option(names = "--json", description = "print JSON")
        boolean json;

        @Override
        public Integer call() throws Exception {
            try (RunStore s = store.open()) {
                RunStore.Run r = find(s, id);
                List<RunStore.Point> points = s.points(r.id());
                Map<String, RunStore.Point> last = new TreeMap<>();
                Map<String, Integer> counts = new TreeMap<>();
                for (RunStore.Point p : points) {
                    last.merge(p.key(), p, (a, b) -> b.step() >= a.step() ? b : a);
                    counts.merge(p.key(), 1, Integer::sum);
                }
                if (json) {
                    Map<String, Object> m = new LinkedHashMap<>();
                    m.put("run", r);
                    m.put("metrics", points);
                    System.out.println(AtomicFiles.JSON.writeValueAsString(m));
                    return 0;
                }
                System.out.printf("run       %s%nname      %s (%s)%nstatus    %s%s%nstarted   %s%nfinished  %s (%s)%n"
                                + "output    %s%n", r.id(), r.name(), r.kind(), r.status().name().toLowerCase(),
                        r.error() == null ? "" : ": " + r.error(), r.startedAt(), r.finishedAt() == null ? "-" : r.finishedAt(),
                        duration(r), r.outputDir());
                if (r.study() != null) {
                    System.out.printf("study     %s%s%n", r.study(), r.trial() == null ? " (best run)" : ", trial " + r.trial());
                }
                if (r.summary() != null && !r.summary().isEmpty()) {
                    System.out.println("\nsummary");
                    r.summary().forEach((k, v) -> System.out.printf("  %-32s %s%n", k, fmt(v)));
                }
                if (!last.isEmpty()) {
                    System.out.println("\nrecorded metrics (last value, at step; values recorded)");
                    last.forEach((k, p) -> System.out.printf("  %-32s %-12s step %-7d %d%n", k, fmt(p.value()), p.step(),
                            counts.get(k)));
                }
                if (r.artifacts() != null && !r.artifacts().isEmpty()) {
                    System.out.println("\nartifacts");
                    r.artifacts().forEach((k, v) -> System.out.printf("  %-24s %s%n", k, v));
                }
                if (r.recipe() != null) System.out.println("\nrecipe\n" + indent(RecipeLoader.toYaml(r.recipe())));
                if (r.provenance() != null) System.out.println("provenance\n" + indent(RecipeLoader.toYaml(r.provenance())));
            }
            return 0;
        }

        private static String indent(String s) {
            return "  " + s.strip().replace("\n", "\n  ") + "\n";
        }
    }

    @Command(name = "compare", mixinStandardHelpOptions = true, description = "Runs side by side: the recipe keys that"
            + " differ between them (all with --all) and their summary metrics.")
    static final class Compare implements Callable<Integer> {
        @Mixin
        StoreOption store;

        @Parameters(arity = "2..*", paramLabel = "ID", description = "two or more run ids (unique prefixes are enough)")
        List<String> ids;

        @Option(names = "--all", description = "show every recipe key, not only those that differ")
        boolean all;

        @Override
        public Integer call() {
            List<RunStore.Run> runs = new ArrayList<>();
            try (RunStore s = store.open()) {
                for (String id : ids) runs.add(find(s, id));
            }
            List<RecipeDiff> diffs = RecipeDiff.of(runs);
            int w = Math.max(24, diffs.stream().mapToInt(d -> d.key().length()).max().orElse(0) + 2);
            StringBuilder header = new StringBuilder(String.format("%-" + w + "s", ""));
            for (RunStore.Run r : runs) header.append(String.format(" %-22s", abbreviate(r.id(), 22)));
            System.out.println(header);
            System.out.println("parameters" + (all ? "" : " (only those that differ)"));
            List<RecipeDiff> shown = diffs.stream().filter(d -> all || d.differs()).toList();
            for (RecipeDiff d : shown) System.out.println(row(w, d.key(), d.values()));
            if (shown.isEmpty()) System.out.println("  (the recipes are identical)");
            Set<String> metrics = new LinkedHashSet<>();
            runs.forEach(r -> {
                if (r.summary() != null) metrics.addAll(r.summary().keySet());
            });
            System.out.println("metrics");
            for (String m : metrics) {
                System.out.println(row(w, m, runs.stream().map(r -> r.summary() == null ? null : r.summary().get(m)).toList()));
            }
            System.out.println(row(w, "status", runs.stream().map(r -> (Object) r.status().name().toLowerCase()).toList()));
            return 0;
        }

        /** A label, then one value per run in columns of 22. */
        private static String row(int labelWidth, String label, List<Object> values) {
            StringBuilder line = new StringBuilder(String.format("  %-" + (labelWidth - 2) + "s", label));
            for (Object v : values) line.append(String.format(" %-22s", abbreviate(fmt(v), 22)));
            return line.toString();
        }

        private static String abbreviate(String s, int n) {
            return s.length() <= n ? s : s.substring(0, n - 1) + "~";
        }
    }

    @Command(name = "export", mixinStandardHelpOptions = true, description = "Write a run's recorded metrics as TensorBoard"
            + " event files into DIR/<run id>/ (then: tensorboard --logdir DIR).")
    static final class Export implements Callable<Integer> {
        @Mixin
        StoreOption store;

        @Parameters(arity = "1..*", paramLabel = "ID", description = "run ids (unique prefixes are enough)")
        List<String> ids;

        @Option(names = "--tensorboard", required = true, paramLabel = "DIR", description = "the TensorBoard log directory")
        Path dir;

        @Override
        public Integer call() throws Exception {
            try (RunStore s = store.open()) {
                for (String id : ids) {
                    RunStore.Run r = find(s, id);
                    Path runDir = dir.resolve(r.id());
                    // TensorBoard merges every event file in a run's directory: an earlier export would show twice
                    if (Files.isDirectory(runDir)) {
                        try (var old = Files.list(runDir)) {
                            for (Path f : old.filter(f -> f.getFileName().toString().endsWith(".ft4j")).toList()) Files.delete(f);
                        }
                    }
                    List<dev.finetune4j.track.TensorBoardWriter.Scalar> scalars = new ArrayList<>();
                    for (RunStore.Point p : s.points(r.id())) {
                        if (!Double.isFinite(p.value())) continue;
                        scalars.add(new dev.finetune4j.track.TensorBoardWriter.Scalar(p.key().replace('.', '/'), p.step(),
                                p.timeMillis() / 1000.0, (float) p.value()));
                    }
                    Path file = dev.finetune4j.track.TensorBoardWriter.write(runDir, scalars);
                    System.out.printf("%s: %d values -> %s%n", r.id(), scalars.size(), file);
                }
            }
            System.out.printf("view with: tensorboard --logdir %s%n", dir);
            return 0;
        }
    }
}
