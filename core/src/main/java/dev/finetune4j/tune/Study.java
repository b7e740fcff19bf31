package dev.finetune4j.tune;

import ai.djl.pytorch.jni.JniUtils;
import dev.finetune4j.TensorRuntime;
import dev.finetune4j.UserError;
import dev.finetune4j.pipeline.FineTune;
import dev.finetune4j.recipe.Recipe;
import dev.finetune4j.recipe.RecipeLoader;
import dev.finetune4j.recipe.Strategy;
import dev.finetune4j.track.Provenance;
import dev.finetune4j.track.RunStore;
import dev.finetune4j.train.TrainingListener;
import dev.finetune4j.util.AtomicFiles;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;

/**
 * Runs a tuning study: samples trials, trains each as an ordinary recipe with the trial's parameters
 * as overrides (on threads of this JVM or on a {@link TrialBackend} such as Spark), reports every
 * validation evaluation to the pruner (a pruned trial stops at once and frees its model), and
 * records everything in the study store, so that running the same command again continues the
 * study. Ends by training the best trial's recipe in full (test evaluation and model export) into
 * {@code best/}.
 */
public final class Study {
    public record Outcome(Path outputDir, List<Map<String, Object>> leaderboard, Integer bestTrial, Double bestValue,
            long epochsTrained) {}

    private final Path tuneFile;
    private final List<String> overrides;
    private final SearchConfig config;
    private final PrintStream log;
    private Path runStore;
    private Budget budget;
    private double reserve;
    private double firstTrialEstimate;
    private boolean keepModels;
    private List<Map<String, Object>> firstTrials = List.of();

    public Study(Path tuneFile, List<String> overrides, PrintStream log) {
        this.tuneFile = tuneFile;
        this.overrides = overrides.stream().filter(o -> !o.startsWith("search.")).toList();
        this.config = SearchConfig.load(tuneFile, overrides);
        this.log = log;
    }

    /** Records every trial and the best run in this run store (see {@link RunStore}). */
    public Study trackRunsIn(Path runStoreFile) {
        this.runStore = runStoreFile;
        return this;
    }

    /**
     * Ends the study within {@code budget}, keeping {@code reserve} seconds for what follows it: no
     * trial starts unless it is expected to finish in time (at first {@code firstTrialEstimate}
     * seconds, then the mean of the trials so far), and a running trial stops at its first evaluation
     * after the time is up.
     */
    public Study within(Budget budget, double reserve, double firstTrialEstimate) {
        this.budget = budget;
        this.reserve = reserve;
        this.firstTrialEstimate = firstTrialEstimate;
        return this;
    }

    /** Trials test and export their models (in {@code trials/N/}), so that the best needs no training again. */
    public Study keepingModels() {
        this.keepModels = true;
        return this;
    }

    /**
     * The study's first trials, before the sampler's: settings known to work, so that a short study
     * is never worse than them (Optuna's enqueue_trial). Only for a study that has no trials yet.
     */
    public Study startingWith(List<Map<String, Object>> params) {
        this.firstTrials = List.copyOf(params);
        return this;
    }

    /** Whether another trial may start: always without a budget; with one, when the expected trial fits. */
    static boolean mayStart(Budget budget, double reserve, double firstTrialEstimate, List<Double> finishedSeconds,
            int running) {
        if (budget == null) return true;
        double expected = finishedSeconds.isEmpty() ? firstTrialEstimate
                : finishedSeconds.stream().mapToDouble(Double::doubleValue).average().orElseThrow();
        // what follows retrains a trial: once trials have run, the longest of them says how long that takes
        double kept = finishedSeconds.isEmpty() ? reserve
                : Math.min(reserve, 1.1 * finishedSeconds.stream().mapToDouble(Double::doubleValue).max().orElseThrow());
        // trials already running use the same cores: the new one shares them until they end
        return budget.fits(expected * (running + 1), kept);
    }

    public SearchConfig config() {
        return config;
    }

    /**
     * Runs the study on this machine.
     *
     * @param trialsOverride null: the file's {@code search.trials}
     * @param parallel trials at once in this JVM, each with cores / parallel tensor threads
     * @param trainBest whether to finish with a full run of the best trial's recipe
     */
    public Outcome run(Path outputDir, Integer trialsOverride, int parallel, boolean trainBest) {
        try (LocalBackend local = new LocalBackend(parallel)) {
            return run(outputDir, trialsOverride, local, trainBest);
        }
    }

    /** Runs the study with its trials on {@code backend} (which the caller closes). */
    public Outcome run(Path outputDir, Integer trialsOverride, TrialBackend backend, boolean trainBest) {
        Recipe base = RecipeLoader.loadTuneBase(tuneFile, overrides); // the base recipe must be valid before any trial starts
        outputDir = outputDir.toAbsolutePath().normalize();
        int trialBudget = trialsOverride != null ? trialsOverride : config.trials();
        Sampler sampler = config.newSampler();
        Pruner pruner = config.newPruner();
        try (StudyStore store = new StudyStore(outputDir.resolve("study.db"))) {
            store.bind(fingerprint(), config.toString());
            int requeued = store.requeueInterrupted();
            if (requeued > 0) log.printf("study: %d trial(s) interrupted last time will run again%n", requeued);
            long done = store.trials().stream().filter(t -> t.state() != Trial.State.WAITING).count();
            log.printf("study: %s sampler, %s pruner, %d of %d trials done, metric %s (%s); trials run %s%n",
                    config.sampler(), config.pruner(), done, trialBudget, config.metric(),
                    config.direction().name().toLowerCase(), backend.description());
            StudyCoordinator coordinator = new StudyCoordinator(store, pruner, config, log, budget, reserve);
            Random rng = new Random(config.seed() * 31 + store.trials().size());
            List<CompletableFuture<Void>> running = new ArrayList<>();
            String tunePath = tuneFile.toAbsolutePath().normalize().toString();
            // With a frozen body the first trial computes the features every later trial loads: run it
            // alone, or every trial started beside it computes them again.
            boolean warmingUp = base.strategy().type() == Strategy.FEATURE_EXTRACTION
                    && config.space().params().stream().noneMatch(p -> p.name().startsWith("strategy"))
                    && !hasFiles(outputDir.resolve("features"));
            if (warmingUp && backend.slots() > 1) log.println("study: the first trial runs alone: it computes the frozen body's features");
            while (true) {
                running.removeIf(CompletableFuture::isDone);
                if (warmingUp && running.isEmpty() && store.trials().stream().anyMatch(t -> t.state() != Trial.State.WAITING
                        && t.state() != Trial.State.RUNNING)) {
                    warmingUp = false;
                }
                if (running.size() >= (warmingUp ? 1 : Math.max(1, backend.slots()))) {
                    sleep();
                    continue;
                }
                Trial next;
                synchronized (store) {
                    if (!mayStart(budget, reserve, firstTrialEstimate, finishedSeconds(store),
                            running.size())) {
                        log.printf("study: no more trials: %s, %.0f s kept for what follows%n", budget, reserve);
                        break;
                    }
                    next = store.startWaiting();
                    if (next == null) {
                        long started = store.trials().stream().filter(t -> t.state() != Trial.State.WAITING).count();
                        if (started >= trialBudget) break;
                        int made = store.trials().size();
                        Map<String, Object> params = made < firstTrials.size() ? firstTrials.get(made)
                                : sampler.sample(config.space(), store.trials(), config.direction(), rng);
                        if (params == null) {
                            log.println("study: the grid is exhausted");
                            break;
                        }
                        next = store.start(params);
                    }
                }
                int number = next.number();
                TrialTask task = new TrialTask(tunePath, overrides, number, next.params(), outputDir.toString(),
                        config.metric(), runStore == null ? null : runStore.toAbsolutePath().normalize().toString(),
                        keepModels);
                running.add(backend.submit(task, coordinator).whenComplete((ok, error) -> {
                    if (error != null) coordinator.backendFailed(number, error);
                }));
            }
            for (CompletableFuture<Void> f : running) {
                try {
                    f.join();
                } catch (java.util.concurrent.CompletionException e) {
                    // recorded as a failed trial by whenComplete
                }
            }
            List<Map<String, Object>> board = leaderboard(store);
            writeResults(outputDir, board);
            AtomicFiles.writeJson(outputDir.resolve("summary.json"), summary(board, store));
            StudyPlots.write(outputDir, store.trials(), config);
            Map<String, Object> best = board.stream().filter(r -> "COMPLETE".equals(r.get("state"))).findFirst().orElse(null);
            long epochs = epochsTrained(store);
            if (best == null) {
                log.println("study: no trial completed");
                return new Outcome(outputDir, board, null, null, epochs);
            }
            @SuppressWarnings("unchecked")
            Recipe bestRecipe = recipeFor((Map<String, Object>) best.get("params"));
            AtomicFiles.writeString(outputDir.resolve("best-recipe.yaml"), "# trial " + best.get("number") + " of "
                    + tuneFile + ": " + config.metric() + " = " + best.get("value") + "\n"
                    + RecipeLoader.toYaml(bestRecipe.portable()));
            if (trainBest) {
                log.printf("study: training the best trial (%s) in full into %s%n", best.get("number"), outputDir.resolve("best"));
                AtomicFiles.deleteRecursively(outputDir.resolve("best"));
                TensorRuntime.start(0);
                JniUtils.setNumThreads(Runtime.getRuntime().availableProcessors()); // trials may have set fewer
                try (RunStore runs = runStore == null ? null : new RunStore(runStore)) {
                    new FineTune(bestRecipe, quietLog(outputDir.resolve("best.log"))).trackIn(runs, outputDir.toString(), null)
                            .run(outputDir.resolve("best"), TrainingListener.none());
                }
            }
            return new Outcome(outputDir, board, (Integer) best.get("number"), (Double) best.get("value"), epochs);
        }
    }

    /** summary.json: trials per state, the best value, evaluations run, memory after the first and last trial. */
    private Map<String, Object> summary(List<Map<String, Object>> board, StudyStore store) {
        Map<String, Object> summary = new LinkedHashMap<>();
        summary.put("sampler", config.sampler());
        summary.put("pruner", config.pruner());
        summary.put("metric", config.metric());
        for (Trial.State st : Trial.State.values()) {
            summary.put(st.name().toLowerCase(), board.stream().filter(r -> st.name().equals(r.get("state"))).count());
        }
        summary.put("best_value", board.isEmpty() ? null : board.get(0).get("value"));
        summary.put("evaluations_run", epochsTrained(store));
        List<Map<String, Object>> byNumber = board.stream().sorted(Comparator.comparingInt(r -> (Integer) r.get("number")))
                .toList();
        List<Long> rss = byNumber.stream().map(r -> (Long) r.get("rss_mb_after")).filter(java.util.Objects::nonNull).toList();
        summary.put("rss_mb_after_first_trial", rss.isEmpty() ? null : rss.get(0));
        summary.put("rss_mb_after_last_trial", rss.isEmpty() ? null : rss.get(rss.size() - 1));
        summary.put("rss_mb_max_after_trial", rss.stream().mapToLong(Long::longValue).max().orElse(-1));
        List<Long> heap = byNumber.stream().map(r -> (Long) r.get("heap_mb_after")).filter(java.util.Objects::nonNull)
                .toList();
        summary.put("heap_mb_after_first_trial", heap.isEmpty() ? null : heap.get(0));
        summary.put("heap_mb_after_last_trial", heap.isEmpty() ? null : heap.get(heap.size() - 1));
        summary.put("trial_seconds", board.stream().mapToDouble(r -> r.get("seconds") == null ? 0 : (Double) r.get("seconds")).sum());
        return summary;
    }

    private static boolean hasFiles(Path dir) {
        try (java.util.stream.Stream<Path> files = Files.list(dir)) {
            return files.findAny().isPresent();
        } catch (IOException e) {
            return false;
        }
    }

    private Recipe recipeFor(Map<String, Object> params) {
        return TrialTask.recipe(tuneFile, overrides, params);
    }

    private String fingerprint() {
        try {
            return Provenance.sha256((Files.readString(tuneFile) + "\n" + String.join("\n", overrides))
                    .getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UserError(tuneFile + ": cannot read: " + e.getMessage(), e);
        }
    }

    /** Complete trials best first, then pruned, failed and others by number. */
    List<Map<String, Object>> leaderboard(StudyStore store) {
        List<Map<String, Object>> rows = new ArrayList<>(store.rows());
        Comparator<Map<String, Object>> order = Comparator.comparingInt(r -> switch ((String) r.get("state")) {
            case "COMPLETE" -> 0;
            case "PRUNED" -> 1;
            case "FAILED" -> 2;
            default -> 3;
        });
        order = order.thenComparingDouble(r -> r.get("value") == null ? Double.POSITIVE_INFINITY
                : config.direction().loss((Double) r.get("value")));
        rows.sort(order.thenComparingInt(r -> (Integer) r.get("number")));
        return rows;
    }

    private static List<Double> finishedSeconds(StudyStore store) {
        return store.rows().stream().filter(r -> !"WAITING".equals(r.get("state")) && !"RUNNING".equals(r.get("state")))
                .map(r -> (Double) r.get("seconds")).filter(java.util.Objects::nonNull).toList();
    }

    private static long epochsTrained(StudyStore store) {
        long n = 0;
        for (Trial t : store.trials()) n += t.intermediate().size();
        return n;
    }

    private void writeResults(Path outputDir, List<Map<String, Object>> board) {
        AtomicFiles.writeJson(outputDir.resolve("leaderboard.json"), board);
        List<String> keys = config.space().params().stream().map(SearchSpace.Param::name).toList();
        StringBuilder csv = new StringBuilder("rank,trial,state,value,seconds");
        for (String k : keys) csv.append(',').append(k);
        csv.append(",error\n");
        int rank = 1;
        for (Map<String, Object> r : board) {
            @SuppressWarnings("unchecked")
            Map<String, Object> params = (Map<String, Object>) r.get("params");
            csv.append(rank++).append(',').append(r.get("number")).append(',').append(r.get("state")).append(',')
                    .append(r.get("value") == null ? "" : r.get("value")).append(',')
                    .append(r.get("seconds") == null ? "" : String.format("%.1f", (Double) r.get("seconds")));
            for (String k : keys) csv.append(',').append(params.getOrDefault(k, ""));
            String err = r.get("error") == null ? "" : ((String) r.get("error")).replace('"', '\'');
            csv.append(",\"").append(err).append("\"\n");
        }
        AtomicFiles.writeString(outputDir.resolve("leaderboard.csv"), csv.toString());
    }

    /** A log file for a run whose output the console does not show. */
    static PrintStream quietLog(Path file) throws UserError {
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
            return new PrintStream(Files.newOutputStream(file), true, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw AtomicFiles.writeFailed(file, e);
        }
    }

    private static double seconds(long t0) {
        return (System.nanoTime() - t0) / 1e9;
    }

    private static void sleep() {
        try {
            Thread.sleep(50);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** A short table of the top rows for the console. */
    public static String table(List<Map<String, Object>> board, int top) {
        StringBuilder sb = new StringBuilder(String.format("%-5s %-6s %-9s %-10s %8s  %s%n", "rank", "trial", "state",
                "value", "seconds", "parameters"));
        int rank = 1;
        for (Map<String, Object> r : board) {
            if (rank > top) break;
            sb.append(String.format("%-5d %-6s %-9s %-10s %8s  %s%n", rank++, r.get("number"), r.get("state"),
                    r.get("value") == null ? "-" : String.format("%.4f", (Double) r.get("value")),
                    r.get("seconds") == null ? "-" : String.format("%.0f", (Double) r.get("seconds")), r.get("params")));
        }
        return sb.toString();
    }
}
