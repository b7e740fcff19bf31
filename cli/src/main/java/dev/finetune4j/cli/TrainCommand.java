package dev.finetune4j.cli;

import dev.finetune4j.UserError;
import dev.finetune4j.eval.AcrossSeeds;
import dev.finetune4j.pipeline.FineTune;
import dev.finetune4j.pipeline.Probe;
import dev.finetune4j.recipe.Recipe;
import dev.finetune4j.recipe.RecipeLoader;
import dev.finetune4j.track.RunStore;
import dev.finetune4j.util.AtomicFiles;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "train", mixinStandardHelpOptions = true,
        description = "Fine-tune a model as a recipe says, evaluate it on held-out data and export it.")
final class TrainCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "RECIPE", description = "the recipe (YAML)")
    Path recipeFile;

    @Option(names = {"-o", "--output"}, paramLabel = "DIR", description = "where to write (default: runs/<recipe name>)")
    Path output;

    @Option(names = "--set", paramLabel = "KEY=VALUE", description = "override a recipe key, e.g. train.epochs=1")
    List<String> overrides = new ArrayList<>();

    @Option(names = "--resume", description = "continue the interrupted run in the output directory from its newest"
            + " good checkpoint (starts afresh when there is none)")
    boolean resume;

    @Option(names = "--seeds", paramLabel = "N", defaultValue = "1", description = "run N times, with seeds seed, seed+1,"
            + " ... (each draws its own split and initial head), into DIR/seed-S/, and report every test metric's mean"
            + " and 95%% interval in DIR/seeds.json (default: ${DEFAULT-VALUE})")
    int seeds;

    /** For {@code ft4j plan}, which runs each probe in a JVM of its own. */
    @Option(names = "--probe", hidden = true, paramLabel = "STEPS")
    Integer probe;

    @Override
    public Integer call() {
        Recipe recipe = RecipeLoader.load(recipeFile, overrides);
        Path out = output != null ? output : Path.of("runs", recipe.name());
        if (probe != null) {
            Probe.run(recipe, probe, out, new java.io.PrintStream(java.io.OutputStream.nullOutputStream()));
            return 0;
        }
        if (seeds < 1) throw new UserError("--seeds must be at least 1, got " + seeds);
        if (seeds > 1) return acrossSeeds(recipe, out);
        System.out.printf("recipe %s -> %s%n", recipeFile, out);
        train(recipe, out);
        System.out.printf("%nwrote %s, %s, %s, %s%n", out.resolve("metrics.json"), out.resolve("run.json"),
                out.resolve("model"), out.resolve("report/report.html"));
        return 0;
    }

    private int acrossSeeds(Recipe recipe, Path out) {
        List<Map<String, Object>> tests = new ArrayList<>();
        List<Long> used = new ArrayList<>();
        for (int k = 0; k < seeds; k++) {
            long seed = recipe.seed() + k;
            Path dir = out.resolve("seed-" + seed);
            System.out.printf("%nrecipe %s, seed %d (%d of %d) -> %s%n", recipeFile, seed, k + 1, seeds, dir);
            FineTune.Outcome o = train(recipe.with(Map.of("seed", seed)), dir);
            if (o.test() == null) throw new UserError("--seeds reports test metrics, but the recipe has no test split:"
                    + " set data.test or data.test_fraction");
            tests.add(o.test().toMap());
            used.add(seed);
        }
        Map<String, AcrossSeeds.Summary> summary = AcrossSeeds.ofSections(tests);
        System.out.printf("%ntest metrics over %d seeds %s: mean, 95%% interval of the mean (Student t)%n", seeds, used);
        Map<String, Object> metrics = new LinkedHashMap<>();
        summary.forEach((k, s) -> {
            System.out.printf(Locale.ROOT, "  %-22s %.4f  (%.4f to %.4f; sd %.4f)%n", k, s.mean(), s.low(), s.high(), s.std());
            metrics.put(k, s.toMap());
        });
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("seeds", used);
        json.put("runs", used.stream().map(s -> out.resolve("seed-" + s).toString()).toList());
        json.put("test", metrics);
        AtomicFiles.writeJson(out.resolve("seeds.json"), json);
        System.out.printf("%nwrote %s%n", out.resolve("seeds.json"));
        return 0;
    }

    private FineTune.Outcome train(Recipe recipe, Path out) {
        FineTune.Outcome outcome;
        try (RunStore runs = new RunStore(RunStore.defaultFile())) {
            outcome = new FineTune(recipe, System.out).trackIn(runs, null, null).run(out, new ConsoleProgress(System.out),
                    resume);
        }
        if (outcome.validation() != null) {
            System.out.println(recipe.train().earlyStopping() != null ? "\nvalidation (best weights):"
                    : "\nvalidation (last step's weights):");
            System.out.println(outcome.validation().toTable());
        }
        if (outcome.test() != null) {
            System.out.println("\ntest (held out):");
            System.out.println(outcome.test().toTable());
        }
        return outcome;
    }
}
