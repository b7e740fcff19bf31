package dev.finetune4j.pipeline;

import dev.finetune4j.recipe.Recipe;
import dev.finetune4j.train.StopTraining;
import dev.finetune4j.train.TrainingListener;
import dev.finetune4j.util.AtomicFiles;
import dev.finetune4j.util.ProcessMemory;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A few training steps of a recipe, stopped on purpose: how many steps the whole run would take, how
 * fast this machine trains it after the first (warm-up) step, and the process's peak memory. What
 * {@code ft4j plan} estimates a run from; it runs each probe in a fresh JVM so that the peak is that
 * recipe's alone.
 */
public final class Probe {
    /** What a probe measured. {@code peakRssMb}: the whole process, model and data included. */
    public record Measured(long totalSteps, int epochs, int trainExamples, int batchSize, int effectiveBatchSize,
            double examplesPerSecond, double secondsToFirstStep, long peakRssMb) {
        public Map<String, Object> toMap() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("total_steps", totalSteps);
            m.put("epochs", epochs);
            m.put("train_examples", trainExamples);
            m.put("batch_size", batchSize);
            m.put("effective_batch_size", effectiveBatchSize);
            m.put("examples_per_second", examplesPerSecond);
            m.put("seconds_to_first_step", secondsToFirstStep);
            m.put("peak_rss_mb", peakRssMb);
            return m;
        }
    }

    private Probe() {}

    /** Trains {@code steps} (at least 2) steps of {@code recipe} in {@code dir} and writes {@code probe.json} there. */
    public static Measured run(Recipe recipe, int steps, Path dir, PrintStream log) {
        if (steps < 2) throw new IllegalArgumentException("a probe needs at least 2 steps: the first one warms up");
        long t0 = System.nanoTime();
        long[] total = new long[1];
        int[] epochs = new int[1];
        int[] examples = new int[1];
        long[] firstEnd = new long[1];
        long[] seenAfterFirst = new long[1];
        double[] speed = new double[1];
        TrainingListener listener = new TrainingListener() {
            @Override
            public void onStart(long totalSteps, int e, int trainExamples) {
                total[0] = totalSteps;
                epochs[0] = e;
                examples[0] = trainExamples;
            }

            @Override
            public void onStep(Step step) {
                long now = System.nanoTime();
                if (step.step() == 1) {
                    firstEnd[0] = now;
                    seenAfterFirst[0] = step.examplesSeen();
                } else {
                    speed[0] = (step.examplesSeen() - seenAfterFirst[0]) / ((now - firstEnd[0]) / 1e9);
                }
                if (step.step() >= steps) throw new StopTraining("probe");
            }
        };
        try {
            new FineTune(recipe, log).forTrial(null).run(dir, listener);
        } catch (StopTraining expected) {
            // the probe ends here on purpose
        }
        if (total[0] == 0) throw new IllegalStateException("the probe did not reach its first training step");
        Measured m = new Measured(total[0], epochs[0], examples[0], recipe.train().batchSize(),
                recipe.train().effectiveBatchSize(), speed[0], (firstEnd[0] - t0) / 1e9, ProcessMemory.peakRssMb());
        AtomicFiles.writeJson(dir.resolve("probe.json"), m.toMap());
        return m;
    }
}
