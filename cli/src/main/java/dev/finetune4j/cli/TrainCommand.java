package dev.finetune4j.cli;

import dev.finetune4j.pipeline.FineTune;
import dev.finetune4j.recipe.Recipe;
import dev.finetune4j.recipe.RecipeLoader;
import dev.finetune4j.track.RunStore;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
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

    @Override
    public Integer call() {
        Recipe recipe = RecipeLoader.load(recipeFile, overrides);
        Path out = output != null ? output : Path.of("runs", recipe.name());
        System.out.printf("recipe %s -> %s%n", recipeFile, out);
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
        System.out.printf("%nwrote %s, %s, %s, %s%n", out.resolve("metrics.json"), out.resolve("run.json"),
                out.resolve("model"), out.resolve("report/report.html"));
        return 0;
    }
}
