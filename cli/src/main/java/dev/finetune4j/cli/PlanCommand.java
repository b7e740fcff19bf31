package dev.finetune4j.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.finetune4j.UserError;
import dev.finetune4j.recipe.Recipe;
import dev.finetune4j.recipe.RecipeLoader;
import dev.finetune4j.util.AtomicFiles;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
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

@Command(name = "plan", mixinStandardHelpOptions = true,
        description = {"Before training: per strategy, the estimated wall time and peak memory of the recipe on this"
                + " machine, from a probe of a few training steps (each in a JVM of its own), and with --memory the"
                + " batch size and gradient accumulation that fit while keeping the effective batch."})
final class PlanCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "RECIPE", description = "the recipe (YAML)")
    Path recipeFile;

    @Option(names = "--strategies", split = ",", paramLabel = "LIST",
            description = "strategies to probe (default: the recipe's, full and lora)")
    List<String> strategies;

    @Option(names = "--memory", paramLabel = "SIZE", description = "memory the run may use, e.g. 8g or 6000m")
    String memory;

    @Option(names = "--steps", defaultValue = "4", description = "training steps per probe (default: ${DEFAULT-VALUE})")
    int steps;

    @Option(names = "--output", paramLabel = "FILE", description = "also write the plan as JSON here")
    Path output;

    @Option(names = "--set", paramLabel = "KEY=VALUE", description = "override a recipe key, as for train")
    List<String> overrides = new ArrayList<>();

    @Override
    public Integer call() throws IOException {
        Recipe recipe = RecipeLoader.load(recipeFile, overrides);
        Long limitMb = memory == null ? null : megabytes(memory);
        List<String> probed = strategies != null ? strategies : new ArrayList<>(new java.util.LinkedHashSet<>(
                List.of(recipe.strategy().type().recipeName(), "full", "lora")));
        probed.remove("feature-extraction");
        Path work = Files.createTempDirectory("ft4j-plan-");
        System.out.printf("plan %s: %d probe step(s) per strategy, each in a JVM of its own%n", recipeFile, steps);
        Map<String, Object> out = new LinkedHashMap<>();
        try {
            System.out.printf("%-18s %8s %9s %12s %10s  %s%n", "strategy", "steps", "ex/s", "est. time", "peak MB", "");
            for (String s : probed) {
                JsonNode p = probe(work, s, recipe.train().batchSize(), recipe.train().gradientAccumulationSteps());
                double seconds = estimateSeconds(recipe, p);
                long peak = p.path("peak_rss_mb").asLong();
                String fits = limitMb == null ? "" : peak <= limitMb ? "fits " + memory : fit(work, s, recipe, p, limitMb);
                System.out.printf(Locale.ROOT, "%-18s %8d %9.1f %12s %10d  %s%n", s, p.path("total_steps").asLong(),
                        p.path("examples_per_second").asDouble(), duration(seconds), peak, fits);
                Map<String, Object> row = new LinkedHashMap<>(AtomicFiles.JSON.convertValue(p, Map.class));
                row.put("estimated_seconds", seconds);
                row.put("memory_advice", fits);
                out.put(s, row);
            }
            System.out.println("feature-extraction: one inference pass over train and validation (about a third of a"
                    + " full epoch's time) and seconds for the head; memory below full fine-tuning's (no gradients"
                    + " through the body)");
            System.out.println("estimates: steps x batch / (examples/s after the first step) + evaluations at a third of"
                    + " the training cost per example + start-up; early stopping may end a run sooner");
        } finally {
            AtomicFiles.deleteRecursively(work);
        }
        if (output != null) {
            AtomicFiles.writeJson(output, out);
            System.out.println("wrote " + output);
        }
        return 0;
    }

    /** Runs one probe in a child JVM with the recipe's strategy (and batch) replaced. */
    private JsonNode probe(Path work, String strategy, int batch, int accumulation) throws IOException {
        Path dir = work.resolve(strategy + "-" + batch);
        List<String> command = new ArrayList<>();
        command.add(ProcessHandle.current().info().command().orElse("java"));
        command.addAll(ManagementFactory.getRuntimeMXBean().getInputArguments());
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add(Ft4j.class.getName());
        command.addAll(List.of("train", recipeFile.toString(), "--probe", Integer.toString(steps), "--output",
                dir.toString(), "--set", "strategy.type=" + strategy, "--set", "train.batch_size=" + batch, "--set",
                "train.gradient_accumulation_steps=" + accumulation));
        for (String o : overrides) command.addAll(List.of("--set", o));
        Path log = work.resolve(strategy + "-" + batch + ".log");
        Process process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        try {
            int code = process.waitFor();
            if (code != 0 || !Files.isRegularFile(dir.resolve("probe.json"))) {
                List<String> lines = Files.readAllLines(log);
                throw new UserError("the " + strategy + " probe failed: "
                        + String.join("\n", lines.subList(Math.max(0, lines.size() - 5), lines.size())));
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new UserError("interrupted");
        }
        return AtomicFiles.JSON.readTree(dir.resolve("probe.json").toFile());
    }

    static double estimateSeconds(Recipe recipe, JsonNode p) {
        double speed = p.path("examples_per_second").asDouble();
        long steps = p.path("total_steps").asLong();
        int epochs = p.path("epochs").asInt();
        int train = p.path("train_examples").asInt();
        double vf = recipe.data().validationFraction();
        double tf = recipe.data().testFraction();
        double validation = recipe.data().validation() == null ? train * vf / Math.max(0.05, 1 - vf - tf) : train * 0.1;
        double training = steps * (double) p.path("effective_batch_size").asInt() / speed;
        double evaluations = (epochs * validation + validation + train * (recipe.eval().hardestExamples() > 0 ? 1 : 0))
                / (3 * speed);
        return p.path("seconds_to_first_step").asDouble() + training + evaluations;
    }

    /**
     * The batch that fits {@code limitMb}: memory taken as linear in the batch, from the probe at the
     * recipe's batch and one at half of it; gradient accumulation keeps the effective batch.
     */
    private String fit(Path work, String strategy, Recipe recipe, JsonNode full, long limitMb) throws IOException {
        int batch = recipe.train().batchSize();
        int effective = recipe.train().effectiveBatchSize();
        if (batch < 2) return "does not fit " + memory + " even at batch 1";
        JsonNode half = probe(work, strategy, batch / 2, Math.max(1, effective / (batch / 2)));
        double perExample = (full.path("peak_rss_mb").asDouble() - half.path("peak_rss_mb").asDouble()) / (batch - batch / 2);
        double base = full.path("peak_rss_mb").asDouble() - perExample * batch;
        for (int b = batch / 2; b >= 1; b /= 2) {
            if (base + perExample * b <= limitMb && effective % b == 0) {
                return String.format(Locale.ROOT, "over %s: train.batch_size %d with train.gradient_accumulation_steps %d"
                        + " (effective batch %d, ~%.0f MB)", memory, b, effective / b, effective, base + perExample * b);
            }
        }
        return String.format(Locale.ROOT, "does not fit %s: ~%.0f MB before any batch; set a smaller data.max_length or"
                + " strategy lora", memory, base);
    }

    static long megabytes(String size) {
        String s = size.strip().toLowerCase(Locale.ROOT);
        try {
            if (s.endsWith("g")) return Math.round(Double.parseDouble(s.substring(0, s.length() - 1)) * 1024);
            if (s.endsWith("m")) return Math.round(Double.parseDouble(s.substring(0, s.length() - 1)));
        } catch (NumberFormatException e) {
            // the message below says how to write it
        }
        throw new UserError("--memory '" + size + "': write it as 8g or 6000m");
    }

    private static String duration(double seconds) {
        long s = Math.round(seconds);
        return s >= 3600 ? String.format("%dh%02dm", s / 3600, s % 3600 / 60) : String.format("%dm%02ds", s / 60, s % 60);
    }
}
