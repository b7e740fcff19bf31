package dev.finetune4j.tune;

import dev.finetune4j.UserError;
import dev.finetune4j.pipeline.FineTune;
import dev.finetune4j.pipeline.Modalities;
import dev.finetune4j.pipeline.Modality;
import dev.finetune4j.recipe.Recipe;
import dev.finetune4j.recipe.RecipeLoader;
import dev.finetune4j.train.SteadySpeed;
import dev.finetune4j.train.TrainingListener;
import dev.finetune4j.util.AtomicFiles;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * {@code ft4j auto}: fine-tunes a model for a task and a data file within a wall-clock budget.
 *
 * <ol>
 *   <li>takes the task's default body from the catalogue ({@link Modality#autoModel});
 *   <li>measures the machine with a probe of a few training steps, and plans: how long an epoch,
 *       the linear probe and a trial take, and what is kept back for the final run;
 *   <li>trains the linear probe (a head on the frozen body's features: cheap, and the bar to beat);
 *   <li>runs a TPE study with ASHA pruning over strategy (full or LoRA), learning rate, LoRA rank,
 *       warmup, weight decay and the modality's own keys, starting from two settings practice found
 *       good ({@link #startingPoints}); it starts a trial only when it fits and stops a running one at
 *       its first evaluation once the budget is spent; every trial is tested and exported, so the
 *       best needs no training again;
 *   <li>keeps the better of the best trial and the linear probe (by validation macro F1) in
 *       {@code DIR/model}, with its recipe in {@code DIR/best-recipe.yaml}.
 * </ol>
 *
 * Running it again with the same output directory resumes: the time already spent counts, and the
 * probe, the linear probe and finished trials are not run again.
 */
public final class AutoFineTune {
    /** Epochs a trial may train (ASHA's rungs: 1 and 3). */
    static final int TRIAL_EPOCHS = 3;
    static final int PROBE_STEPS = 4;
    /** What follows the study: copying the winner's model and writing the records. */
    static final double FINAL_SECONDS = 10;
    /** Start-up of a run (reading the model and data) on top of its epochs, measured by the probe. */
    static final double MIN_OVERHEAD_SECONDS = 5;

    /** What the probe measured and what follows from it. */
    public record Plan(double trainExamplesPerSecond, double overheadSeconds, int trainExamples, int validationExamples,
            double epochSeconds, double linearProbeSeconds, double trialSeconds, double finalSeconds) {
        /**
         * @param evaluated examples a run scores besides training and validation (the test split):
         *     a trial is tested and exported, so that the best one is kept as it is
         */
        public static Plan of(double trainExamplesPerSecond, double overheadSeconds, int trainExamples,
                int validationExamples, int evaluated) {
            // an inference pass costs about a third of a training step per example (no backward pass)
            double inference = 1 / (3 * trainExamplesPerSecond);
            double epoch = trainExamples / trainExamplesPerSecond + validationExamples * inference;
            double overhead = Math.max(MIN_OVERHEAD_SECONDS, overheadSeconds);
            double linear = overhead + (trainExamples + validationExamples + evaluated) * inference;
            double trial = overhead + TRIAL_EPOCHS * epoch + evaluated * inference;
            return new Plan(trainExamplesPerSecond, overhead, trainExamples, validationExamples, epoch, linear, trial,
                    FINAL_SECONDS);
        }

        /** How many trials of full length fit in {@code seconds}, beside what follows them. */
        public int trialsIn(double seconds) {
            return (int) Math.max(0, Math.floor((seconds - finalSeconds) / trialSeconds));
        }

        Map<String, Object> toMap() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("train_examples_per_second", trainExamplesPerSecond);
            m.put("overhead_seconds", overheadSeconds);
            m.put("train_examples", trainExamples);
            m.put("validation_examples", validationExamples);
            m.put("epoch_seconds", epochSeconds);
            m.put("linear_probe_seconds", linearProbeSeconds);
            m.put("trial_seconds", trialSeconds);
            m.put("final_seconds", finalSeconds);
            return m;
        }
    }

    /** How the job ended. */
    public record Outcome(Path outputDir, String winner, double validationMacroF1, Double testMacroF1,
            Double linearProbeValidation, Double studyBestValidation, double spentSeconds, double budgetSeconds) {}

    private final String task;
    private final Path data;
    private Path test;
    private final String model;
    private final double budgetSeconds;
    private final PrintStream log;
    private final LongSupplier clock;

    /** @param model a catalogue id or model directory, or null for the task's default body */
    public AutoFineTune(String task, Path data, String model, double budgetSeconds, PrintStream log) {
        this(task, data, model, budgetSeconds, log, System::nanoTime);
    }

    AutoFineTune(String task, Path data, String model, double budgetSeconds, PrintStream log, LongSupplier clock) {
        this.task = task;
        this.data = data.toAbsolutePath().normalize();
        this.model = model;
        this.budgetSeconds = budgetSeconds;
        this.log = log;
        this.clock = clock;
    }

    /** Evaluates on this file instead of a test split drawn from the data (data.test). */
    public AutoFineTune testingOn(Path testFile) {
        this.test = testFile == null ? null : testFile.toAbsolutePath().normalize();
        return this;
    }

    public Outcome run(Path out) {
        out = out.toAbsolutePath().normalize();
        Modality<?> modality = Modalities.forTask(task);
        if (!Files.isRegularFile(data) && !(modality.readsFolders() && Files.isDirectory(data))) {
            throw new UserError("--data " + data + ": no such file — pass a labelled data file (JSONL, CSV or TSV)"
                    + (modality.readsFolders() ? " or a folder with one sub-folder per class" : ""));
        }
        Map<String, Object> state = readState(out);
        double spentBefore = ((Number) state.getOrDefault("spent_seconds", 0.0)).doubleValue();
        Budget budget = new Budget(budgetSeconds, spentBefore, clock);
        if (spentBefore > 0) log.printf("auto: resuming in %s (%.0f s of the budget spent before)%n", out, spentBefore);
        String body = model != null ? model : modality.autoModel();
        if (model == null) log.printf("auto: body %s (%s)%n", body, modality.autoModelReason());
        Path base = writeBase(out, body);
        ScheduledExecutorService saver = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "auto-budget");
            t.setDaemon(true);
            return t;
        });
        Path outDir = out;
        saver.scheduleAtFixedRate(() -> saveSpent(outDir, state, budget), 5, 5, TimeUnit.SECONDS);
        try {
            Plan plan = probe(out, base, state, budget);
            log.printf(Locale.ROOT, "auto: plan: %.1f training examples/s; an epoch of %d examples ~%.0f s; linear probe"
                    + " ~%.0f s; a trial of up to %d epochs, tested and exported, ~%.0f s; %d full-length trial(s) fit in"
                    + " the %.0f s left after the linear probe (ASHA stops poor trials early, so more may run)%n",
                    plan.trainExamplesPerSecond(), plan.trainExamples(), plan.epochSeconds(), plan.linearProbeSeconds(),
                    TRIAL_EPOCHS, plan.trialSeconds(), plan.trialsIn(budget.remaining() - plan.linearProbeSeconds()),
                    Math.max(0, budget.remaining() - plan.linearProbeSeconds()));
            state.put("plan", plan.toMap());
            if (!state.containsKey("linear_probe") && !budget.fits(plan.linearProbeSeconds(), 0)) {
                throw new UserError(String.format(Locale.ROOT, "--budget: %.0f s are left, but the linear probe alone"
                        + " needs about %.0f s on this machine and a fine-tuning trial %.0f s more: give --budget %.0fm"
                        + " or more", budget.remaining(), plan.linearProbeSeconds(), plan.trialSeconds(),
                        Math.ceil((budget.spent() + plan.linearProbeSeconds() + plan.trialSeconds() + plan.finalSeconds())
                                / 60)));
            }

            Map<String, Object> linear = linearProbe(out, base, state);
            double linearValidation = ((Number) linear.get("validation_macro_f1")).doubleValue();
            saveSpent(out, state, budget);

            Study.Outcome study = null;
            if (budget.fits(plan.trialSeconds(), plan.finalSeconds())) {
                Path search = writeSearch(out, base, modality);
                study = new Study(search, List.of(), log).within(budget, plan.finalSeconds(), plan.trialSeconds())
                        .keepingModels().startingWith(startingPoints(modality)).run(out.resolve("study"), 1000, 1, false);
            } else {
                log.printf(Locale.ROOT, "auto: %.0f s left: too little for a trial (~%.0f s); keeping the linear probe%n",
                        budget.remaining(), plan.trialSeconds());
            }
            saveSpent(out, state, budget);

            String winner = "linear-probe";
            Path winnerDir = out.resolve("linear-probe");
            Double studyBest = study == null ? null : study.bestValue();
            if (studyBest != null && studyBest > linearValidation) {
                winner = "trial " + study.bestTrial();
                winnerDir = out.resolve("study/trials/" + study.bestTrial());
                log.printf(Locale.ROOT, "auto: trial %d (validation macro_f1 %.4f) beats the linear probe (%.4f)%n",
                        study.bestTrial(), studyBest, linearValidation);
            } else if (studyBest != null) {
                log.printf(Locale.ROOT, "auto: the best trial (validation macro_f1 %.4f) does not beat the linear probe"
                        + " (%.4f): keeping the linear probe%n", studyBest, linearValidation);
            }
            if (study != null) dropLosingModels(out.resolve("study/trials"), winnerDir);
            return finish(out, state, budget, winner, winnerDir, linearValidation, studyBest);
        } finally {
            saver.shutdownNow();
            saveSpent(out, state, budget);
        }
    }

    private Outcome finish(Path out, Map<String, Object> state, Budget budget, String winner, Path winnerDir,
            double linearValidation, Double studyBest) {
        Map<String, Object> metrics = readJson(winnerDir.resolve("metrics.json"));
        double validation = splitMacroF1(metrics, "validation");
        Double test = metrics.get("test") == null ? null : splitMacroF1(metrics, "test");
        copyDirectory(winnerDir.resolve("model"), out.resolve("model"));
        Map<String, Object> runJson = readJson(winnerDir.resolve("run.json"));
        AtomicFiles.writeString(out.resolve("best-recipe.yaml"), "# ft4j auto: the " + winner + " recipe, validation"
                + " macro_f1 " + validation + "\n" + RecipeLoader.toYaml(castMap(runJson.get("recipe"))));
        state.put("winner", winner);
        state.put("winner_dir", winnerDir.toString());
        state.put("validation_macro_f1", validation);
        state.put("test_macro_f1", test);
        state.put("linear_probe_validation_macro_f1", linearValidation);
        state.put("study_best_validation_macro_f1", studyBest);
        saveSpent(out, state, budget);
        log.printf(Locale.ROOT, "auto: %s wins (validation macro_f1 %.4f%s); exported to %s; %.0f s of the %.0f s budget"
                + " spent%n", winner, validation, test == null ? "" : String.format(Locale.ROOT, ", test %.4f", test),
                out.resolve("model"), budget.spent(), budget.seconds());
        return new Outcome(out, winner, validation, test, linearValidation, studyBest, budget.spent(), budget.seconds());
    }

    /** The recipe every phase starts from: the task, the body and the data; the rest chosen by the run. */
    private Path writeBase(Path out, String body) {
        Map<String, Object> recipe = new LinkedHashMap<>();
        String stem = data.getFileName().toString().replaceFirst("\\.[^.]+$", "");
        recipe.put("name", stem + "-auto");
        recipe.put("task", task);
        Path asPath = data.getParent() == null ? null : data.getParent().resolve(body);
        recipe.put("model", asPath != null && Files.exists(asPath) ? asPath.toString() : body);
        recipe.put("seed", 42);
        Map<String, Object> files = new LinkedHashMap<>();
        files.put("train", data.toString());
        if (test != null) files.put("test", test.toString());
        recipe.put("data", files);
        recipe.put("strategy", Map.of("type", "full"));
        recipe.put("eval", Map.of("hardest_examples", 0));
        Path file = out.resolve("base.yaml");
        AtomicFiles.writeString(file, RecipeLoader.toYaml(recipe));
        return file;
    }

    /** A few training steps of the base recipe: the machine's speed, the run's start-up cost and the data's size. */
    private Plan probe(Path out, Path base, Map<String, Object> state, Budget budget) {
        @SuppressWarnings("unchecked")
        Map<String, Object> known = (Map<String, Object>) state.get("probe");
        if (known == null) {
            log.printf("auto: probe: %d training steps to measure this machine%n", PROBE_STEPS);
            SteadySpeed sizes = new SteadySpeed();
            double t0 = budget.spent();
            Recipe recipe = RecipeLoader.load(base, List.of("train.max_steps=" + PROBE_STEPS, "name=probe"));
            FineTune.Outcome o = new FineTune(recipe, Study.quietLog(out.resolve("probe.log"))).forTrial(null)
                    .run(out.resolve("probe"), sizes);
            double wall = budget.spent() - t0;
            known = new LinkedHashMap<>();
            known.put("train_examples_per_second", sizes.examplesPerSecond() > 0 ? sizes.examplesPerSecond()
                    : o.training().examplesPerSecond());
            known.put("overhead_seconds", Math.max(0, wall - o.training().trainSeconds()));
            known.put("train_examples", sizes.trainExamples());
            known.put("validation_examples", o.validation() == null ? 0 : o.validation().n());
            state.put("probe", known);
            saveSpent(out, state, budget);
        }
        int validation = ((Number) known.get("validation_examples")).intValue();
        if (validation == 0) throw new UserError("--data " + data + ": too few examples for a validation split");
        // the test split is as large as the validation split (both default to a tenth)
        return Plan.of(((Number) known.get("train_examples_per_second")).doubleValue(),
                ((Number) known.get("overhead_seconds")).doubleValue(), ((Number) known.get("train_examples")).intValue(),
                validation, validation);
    }

    private Map<String, Object> linearProbe(Path out, Path base, Map<String, Object> state) {
        Path dir = out.resolve("linear-probe");
        if (!Files.isRegularFile(dir.resolve("metrics.json")) || !Files.isDirectory(dir.resolve("model"))) {
            log.println("auto: linear probe: a head on the frozen body's features (the bar the study must beat)");
            AtomicFiles.deleteRecursively(dir);
            Recipe recipe = RecipeLoader.load(base, List.of("strategy.type=feature-extraction", "name=linear-probe"));
            new FineTune(recipe, Study.quietLog(out.resolve("linear-probe.log"))).run(dir, TrainingListener.none());
        }
        Map<String, Object> metrics = readJson(dir.resolve("metrics.json"));
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("validation_macro_f1", splitMacroF1(metrics, "validation"));
        m.put("test_macro_f1", metrics.get("test") == null ? null : splitMacroF1(metrics, "test"));
        log.printf(Locale.ROOT, "auto: linear probe: validation macro_f1 %.4f%n", m.get("validation_macro_f1"));
        state.put("linear_probe", m);
        return m;
    }

    /**
     * The study's first trials, settings that practice found good: full fine-tuning at 1e-4 and LoRA
     * (rank 8) at 1e-3, warmup 0.1, weight decay 0.01, and each of the modality's own keys at its first
     * value. A study that runs only these is still as good as the defaults.
     */
    static List<Map<String, Object>> startingPoints(Modality<?> modality) {
        Map<String, Object> shared = new LinkedHashMap<>();
        shared.put("train.warmup_ratio", 0.1);
        shared.put("train.weight_decay", 0.01);
        modality.autoSearchSpace().forEach((k, v) -> shared.put(k, ((List<?>) ((Map<?, ?>) v).get("values")).get(0)));
        Map<String, Object> full = new LinkedHashMap<>();
        full.put("strategy.type", "full");
        full.put("train.learning_rate", 1e-4);
        full.putAll(shared);
        Map<String, Object> lora = new LinkedHashMap<>();
        lora.put("strategy.type", "lora");
        lora.put("strategy.rank", 8);
        lora.put("train.learning_rate", 1e-3);
        lora.putAll(shared);
        return List.of(full, lora);
    }

    /** Deletes the exported models of every trial but the winner's (about 90 MB each for MiniLM). */
    private static void dropLosingModels(Path trials, Path winnerDir) {
        if (!Files.isDirectory(trials)) return;
        try (java.util.stream.Stream<Path> dirs = Files.list(trials)) {
            for (Path d : dirs.toList()) {
                if (!d.equals(winnerDir)) AtomicFiles.deleteRecursively(d.resolve("model"));
            }
        } catch (IOException e) {
            throw new UserError("cannot tidy " + trials + ": " + e.getMessage(), e);
        }
    }

    /** The tune file: the base recipe for {@value #TRIAL_EPOCHS} epochs, pruned by ASHA, and the search space. */
    private Path writeSearch(Path out, Path base, Modality<?> modality) {
        Map<String, Object> recipe = readYaml(base);
        recipe.put("name", recipe.get("name") + "-study");
        recipe.put("train", Map.of("epochs", TRIAL_EPOCHS, "early_stopping", false));
        Map<String, Object> space = new LinkedHashMap<>();
        space.put("strategy.type", Map.of("type", "choice", "values", List.of("full", "lora")));
        space.put("strategy.rank", Map.of("type", "choice", "values", List.of(8, 16), "when",
                Map.of("strategy.type", List.of("lora"))));
        space.put("train.learning_rate", Map.of("type", "log_uniform", "low", 2e-5, "high", 2e-3));
        space.put("train.warmup_ratio", Map.of("type", "uniform", "low", 0.0, "high", 0.2));
        space.put("train.weight_decay", Map.of("type", "uniform", "low", 0.0, "high", 0.1));
        space.putAll(modality.autoSearchSpace());
        Map<String, Object> search = new LinkedHashMap<>();
        search.put("metric", "validation.macro_f1");
        search.put("direction", "maximize");
        search.put("sampler", "tpe");
        search.put("pruner", "asha");
        search.put("asha", Map.of("min_resource", 1, "reduction_factor", 3));
        search.put("trials", 1000);
        search.put("seed", 0);
        search.put("space", space);
        recipe.put("search", search);
        Path file = out.resolve("search.yaml");
        if (!Files.exists(file)) AtomicFiles.writeString(file, RecipeLoader.toYaml(recipe)); // a resumed study keeps its file
        return file;
    }

    private static double bestTrialSeconds(Study.Outcome study) {
        return study.leaderboard().stream().filter(r -> study.bestTrial().equals(r.get("number")))
                .map(r -> (Double) r.get("seconds")).filter(java.util.Objects::nonNull).findFirst().orElse(0.0) * 1.1;
    }

    @SuppressWarnings("unchecked")
    private static double splitMacroF1(Map<String, Object> metrics, String split) {
        Map<String, Object> s = (Map<String, Object>) metrics.get(split);
        if (s == null) throw new IllegalStateException("metrics.json has no " + split + " section");
        return ((Number) s.get("macro_f1")).doubleValue();
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> castMap(Object o) {
        return (Map<String, Object>) o;
    }

    private static Map<String, Object> readState(Path out) {
        Path file = out.resolve("auto.json");
        return Files.isRegularFile(file) ? readJson(file) : new LinkedHashMap<>();
    }

    private static synchronized void saveSpent(Path out, Map<String, Object> state, Budget budget) {
        state.put("budget_seconds", budget.seconds());
        state.put("spent_seconds", budget.spent());
        AtomicFiles.writeJson(out.resolve("auto.json"), state);
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> readJson(Path file) {
        try {
            return new LinkedHashMap<>(AtomicFiles.JSON.readValue(file.toFile(), Map.class));
        } catch (IOException e) {
            throw new UserError(file + ": cannot read (" + e.getMessage() + ") — delete it to start that phase again");
        }
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> readYaml(Path file) {
        try {
            return new LinkedHashMap<>(new com.fasterxml.jackson.databind.ObjectMapper(
                    new com.fasterxml.jackson.dataformat.yaml.YAMLFactory()).readValue(file.toFile(), Map.class));
        } catch (IOException e) {
            throw new UserError(file + ": cannot read: " + e.getMessage());
        }
    }

    private static void copyDirectory(Path from, Path to) {
        Path staged = AtomicFiles.stagingDirectory(to);
        try (java.util.stream.Stream<Path> files = Files.list(from)) {
            for (Path f : files.toList()) AtomicFiles.copy(f, staged.resolve(f.getFileName().toString()));
            AtomicFiles.replaceDirectory(staged, to);
        } catch (IOException e) {
            AtomicFiles.deleteRecursively(staged);
            throw AtomicFiles.writeFailed(to, e);
        }
    }
}
