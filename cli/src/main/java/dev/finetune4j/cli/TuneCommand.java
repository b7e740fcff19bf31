package dev.finetune4j.cli;

import dev.finetune4j.tune.Study;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
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

    @Option(names = "--parallel", paramLabel = "N", defaultValue = "1", description = "trials at once (default: 1)")
    int parallel;

    @Option(names = "--no-best", description = "do not train the best trial in full at the end")
    boolean noBest;

    @Option(names = "--set", paramLabel = "KEY=VALUE", description = "override a recipe key for every trial")
    List<String> overrides = new ArrayList<>();

    @Override
    public Integer call() {
        Study study = new Study(tuneFile, overrides, System.out);
        String name = dev.finetune4j.recipe.RecipeLoader.load(tuneFile,
                overrides.stream().filter(o -> !o.startsWith("search.")).toList()).name();
        Path out = output != null ? output : Path.of("runs", name + "-tune");
        System.out.printf("tune %s -> %s%n", tuneFile, out);
        Study.Outcome o = study.run(out, trials, parallel, !noBest);
        System.out.println();
        System.out.print(Study.table(o.leaderboard(), 10));
        System.out.printf("%nwrote %s, %s%s%n", out.resolve("leaderboard.csv"), out.resolve("best-recipe.yaml"),
                noBest || o.bestTrial() == null ? "" : ", " + out.resolve("best"));
        return 0;
    }
}
