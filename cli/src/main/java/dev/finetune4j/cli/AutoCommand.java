package dev.finetune4j.cli;

import dev.finetune4j.tune.AutoFineTune;
import dev.finetune4j.tune.Budget;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "auto", mixinStandardHelpOptions = true,
        description = {"Fine-tune a model for a task and a data file within a time budget: measures this machine, trains"
                + " a linear probe on the frozen body, searches strategy, learning rate and the rest (TPE with ASHA"
                + " pruning) in the time left, and exports the better of the best trial and the linear probe.",
                "Running the same command again resumes: the time already spent counts."})
final class AutoCommand implements Callable<Integer> {
    @Option(names = "--task", required = true, description = "e.g. text-classification")
    String task;

    @Option(names = "--data", required = true, paramLabel = "FILE", description = "labelled data (JSONL, CSV or TSV)")
    Path data;

    @Option(names = "--test", paramLabel = "FILE", description = "held-out labelled data to test on (default: a"
            + " tenth of --data, stratified)")
    Path test;

    @Option(names = "--budget", required = true, paramLabel = "TIME", description = "wall-clock budget: 20m, 90s, 1h30m")
    String budget;

    @Option(names = "--model", paramLabel = "ID|DIR", description = "the body (default: the task's default body)")
    String model;

    @Option(names = {"-o", "--output"}, paramLabel = "DIR", description = "where to write (default: runs/<data name>-auto)")
    Path output;

    @Override
    public Integer call() {
        double seconds = Budget.parse(budget, "--budget");
        String stem = data.getFileName().toString().replaceFirst("\\.[^.]+$", "");
        Path out = output != null ? output : Path.of("runs", stem + "-auto");
        System.out.printf("auto %s on %s, budget %s -> %s%n", task, data, budget, out);
        new AutoFineTune(task, data, model, seconds, System.out).testingOn(test).run(out);
        System.out.printf("wrote %s, %s, %s%n", out.resolve("model"), out.resolve("best-recipe.yaml"),
                out.resolve("auto.json"));
        return 0;
    }
}
