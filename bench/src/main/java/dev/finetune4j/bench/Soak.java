package dev.finetune4j.bench;

import dev.finetune4j.pipeline.FineTune;
import dev.finetune4j.recipe.Recipe;
import dev.finetune4j.recipe.RecipeLoader;
import dev.finetune4j.train.TrainingListener;
import dev.finetune4j.util.AtomicFiles;
import dev.finetune4j.util.ProcessMemory;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Memory soak: resident memory over one long run (RSS every 25 optimizer steps) and over many
 * runs back to back in one JVM (RSS after each run), with the real MiniLM on the spam example.
 *
 * <pre>
 *   Soak RECIPE STEPS RUNS RUN_STEPS OUT_DIR [--set key=value ...]
 * </pre>
 *
 * Prints JSON lines: {"phase":"long","step":N,"rss_mb":M} and {"phase":"runs","run":i,"rss_mb":M,
 * "heap_mb":H,"seconds":S}, then a summary line per phase.
 */
public final class Soak {
    public static void main(String[] args) throws Exception {
        Path recipeFile = Path.of(args[0]);
        int steps = Integer.parseInt(args[1]), runs = Integer.parseInt(args[2]), runSteps = Integer.parseInt(args[3]);
        Path out = Path.of(args[4]);
        List<String> overrides = new ArrayList<>();
        for (int i = 5; i + 1 < args.length; i += 2) if (args[i].equals("--set")) overrides.add(args[i + 1]);
        PrintStream quiet = new PrintStream(OutputStream.nullOutputStream());

        // One long run: RSS every 25 steps.
        List<String> longOverrides = new ArrayList<>(overrides);
        longOverrides.add("train.max_steps=" + steps);
        Recipe longRecipe = RecipeLoader.load(recipeFile, longOverrides);
        List<long[]> curve = new ArrayList<>();
        TrainingListener rss = new TrainingListener() {
            @Override
            public void onStep(Step s) {
                if (s.step() % 25 == 0) {
                    long mb = ProcessMemory.rssMb();
                    curve.add(new long[] {s.step(), mb});
                    System.out.printf("{\"phase\":\"long\",\"step\":%d,\"rss_mb\":%d}%n", s.step(), mb);
                }
            }
        };
        long t0 = System.nanoTime();
        new FineTune(longRecipe, quiet).run(fresh(out.resolve("long")), rss);
        double longSeconds = (System.nanoTime() - t0) / 1e9;

        // Many short runs in this JVM: RSS after each.
        List<String> shortOverrides = new ArrayList<>(overrides);
        shortOverrides.add("train.max_steps=" + runSteps);
        Recipe shortRecipe = RecipeLoader.load(recipeFile, shortOverrides);
        List<Long> perRun = new ArrayList<>();
        for (int r = 1; r <= runs; r++) {
            long s0 = System.nanoTime();
            new FineTune(shortRecipe, quiet).run(fresh(out.resolve("run")), TrainingListener.none());
            System.gc();
            long mb = ProcessMemory.rssMb();
            long heap = (Runtime.getRuntime().totalMemory() - Runtime.getRuntime().freeMemory()) >> 20;
            perRun.add(mb);
            System.out.printf("{\"phase\":\"runs\",\"run\":%d,\"rss_mb\":%d,\"heap_mb\":%d,\"seconds\":%.1f}%n", r, mb,
                    heap, (System.nanoTime() - s0) / 1e9);
        }

        // Growth is measured from after warm-up (step 100 / run 2): allocator pools fill first.
        long at100 = curve.stream().filter(c -> c[0] >= 100).findFirst().map(c -> c[1]).orElse(-1L);
        long last = curve.isEmpty() ? -1 : curve.get(curve.size() - 1)[1];
        long max = curve.stream().mapToLong(c -> c[1]).max().orElse(-1);
        System.out.printf("{\"summary\":\"long\",\"steps\":%d,\"seconds\":%.0f,\"rss_at_100_mb\":%d,\"rss_last_mb\":%d,"
                + "\"rss_max_mb\":%d,\"growth_after_100_mb\":%d}%n", steps, longSeconds, at100, last, max, last - at100);
        if (perRun.size() >= 2) {
            System.out.printf("{\"summary\":\"runs\",\"runs\":%d,\"rss_after_run_2_mb\":%d,\"rss_after_last_mb\":%d,"
                    + "\"rss_max_mb\":%d,\"growth_after_run_2_mb\":%d}%n", runs, perRun.get(1), perRun.get(perRun.size() - 1),
                    perRun.stream().mapToLong(Long::longValue).max().orElse(-1),
                    perRun.get(perRun.size() - 1) - perRun.get(1));
        }
    }

    private static Path fresh(Path dir) {
        AtomicFiles.deleteRecursively(dir);
        return dir;
    }
}
