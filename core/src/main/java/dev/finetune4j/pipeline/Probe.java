package dev.finetune4j.pipeline;

import dev.finetune4j.recipe.Recipe;
import dev.finetune4j.train.SteadySpeed;
import dev.finetune4j.train.StopTraining;
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
        SteadySpeed listener = new SteadySpeed() {
            @Override
            public void onStep(Step step) {
                super.onStep(step);
                if (step.step() >= steps) throw new StopTraining("probe");
            }
        };
        try {
            new FineTune(recipe, log).forTrial(null).run(dir, listener);
        } catch (StopTraining expected) {
            // the probe ends here on purpose
        }
        if (listener.totalSteps() == 0) throw new IllegalStateException("the probe did not reach its first training step");
        Measured m = new Measured(listener.totalSteps(), listener.epochs(), listener.trainExamples(),
                recipe.train().batchSize(), recipe.train().effectiveBatchSize(), listener.examplesPerSecond(),
                (listener.firstStepEndNanos() - t0) / 1e9, ProcessMemory.peakRssMb());
        AtomicFiles.writeJson(dir.resolve("probe.json"), m.toMap());
        return m;
    }
}
