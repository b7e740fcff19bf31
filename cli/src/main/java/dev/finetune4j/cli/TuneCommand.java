package dev.finetune4j.cli;

import dev.finetune4j.UserError;
import dev.finetune4j.track.RunStore;
import dev.finetune4j.tune.LocalBackend;
import dev.finetune4j.tune.Study;
import dev.finetune4j.tune.TrialBackend;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.ServiceLoader;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "tune", mixinStandardHelpOptions = true,
        description = {"Search hyperparameters as the tune file's search: section says (grid, random or TPE; median or"
                + " ASHA pruning), then train the best trial in full.",
                "Running the same command again continues the study: finished trials are kept, interrupted ones rerun."})
final class TuneCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "TUNE_FILE", description = "a recipe with a search: section (YAML)")
    Path tuneFile;

    @Option(names = {"-o", "--output"}, paramLabel = "DIR", description = "where the study lives (default: runs/<name>-tune)")
    Path output;

    @Option(names = "--trials", paramLabel = "N", description = "the trial budget (default: search.trials)")
    Integer trials;

    @Option(names = "--parallel", paramLabel = "N", description = "trials at once (default: 1 locally; on Spark, as"
            + " many as the cluster has task slots)")
    Integer parallel;

    @Option(names = "--backend", paramLabel = "NAME", defaultValue = "local",
            description = "where trials run: local (threads of this process) or spark (one Spark task per trial)")
    String backend;

    @Option(names = "--master", paramLabel = "URL", description = "the Spark master, e.g. spark://host:7077"
            + " (default: local[*], Spark inside this process)")
    String master;

    @Option(names = "--no-best", description = "do not train the best trial in full at the end")
    boolean noBest;

    @Option(names = "--set", paramLabel = "KEY=VALUE", description = "override a recipe key for every trial")
    List<String> overrides = new ArrayList<>();

    @Override
    public Integer call() {
        Study study = new Study(tuneFile, overrides, System.out).trackRunsIn(RunStore.defaultFile());
        String name = dev.finetune4j.recipe.RecipeLoader.loadTuneBase(tuneFile,
                overrides.stream().filter(o -> !o.startsWith("search.")).toList()).name();
        Path out = output != null ? output : Path.of("runs", name + "-tune");
        System.out.printf("tune %s -> %s%n", tuneFile, out);
        Study.Outcome o;
        try (TrialBackend trialBackend = openBackend()) {
            o = study.run(out, trials, trialBackend, !noBest);
        }
        System.out.println();
        System.out.print(Study.table(o.leaderboard(), 10));
        System.out.printf("%nwrote %s, %s%s%n", out.resolve("leaderboard.csv"), out.resolve("best-recipe.yaml"),
                noBest || o.bestTrial() == null ? "" : ", " + out.resolve("best"));
        return 0;
    }

    private TrialBackend openBackend() {
        if (backend.equals("local")) {
            if (master != null) throw new UserError("--master is for --backend spark; local trials need no master");
            return new LocalBackend(parallel == null ? 1 : parallel);
        }
        List<String> known = new ArrayList<>(List.of("local"));
        for (TrialBackend.Provider p : ServiceLoader.load(TrialBackend.Provider.class)) {
            if (p.name().equals(backend)) return p.open(master, parallel == null ? 0 : parallel, System.out);
            known.add(p.name());
        }
        if (backend.equals("spark")) {
            throw new UserError("--backend spark: the Spark module is not on the classpath; run through ./ft4j, which"
                    + " builds and adds it (module spark/, ~150 MB of Spark jars from Maven Central on first use)");
        }
        throw new UserError("--backend " + backend + ": unknown; use one of " + known);
    }
}
