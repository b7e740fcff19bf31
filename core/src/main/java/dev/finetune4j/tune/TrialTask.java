package dev.finetune4j.tune;

import ai.djl.pytorch.jni.JniUtils;
import dev.finetune4j.TensorRuntime;
import dev.finetune4j.UserError;
import dev.finetune4j.eval.ClassificationReport;
import dev.finetune4j.eval.Metric;
import dev.finetune4j.pipeline.FineTune;
import dev.finetune4j.recipe.Recipe;
import dev.finetune4j.recipe.RecipeLoader;
import dev.finetune4j.track.RunStore;
import dev.finetune4j.train.StopTraining;
import dev.finetune4j.train.TrainingListener;
import dev.finetune4j.util.AtomicFiles;
import dev.finetune4j.util.FaultPoints;
import dev.finetune4j.util.ProcessMemory;
import java.io.IOException;
import java.io.PrintStream;
import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One trial as a unit of work that runs wherever the tune file, data and model can be read at the
 * same paths: a thread of the study's JVM or a Spark executor. It trains the tune file's recipe with
 * the trial's parameters as overrides (no test evaluation, no export, no checkpoints), reports every
 * validation evaluation and stops as soon as the coordinator says so, freeing the model at once.
 *
 * @param tuneFile absolute path of the tune file
 * @param overrides the command line's {@code --set} overrides (not {@code search.*})
 * @param outputDir absolute path of the study's output directory: the trial writes {@code trials/N/}
 *     and shares feature-extraction features through {@code features/}
 * @param metric e.g. {@code validation.macro_f1}
 * @param runStore the run store file every trial is recorded in, or null
 * @param keepModel test and export the trial's model in {@code trials/N/} (ft4j auto keeps the best
 *     trial's instead of training it again)
 */
public record TrialTask(String tuneFile, List<String> overrides, int number, Map<String, Object> params,
        String outputDir, String metric, String runStore, boolean keepModel) implements Serializable {

    public TrialTask {
        overrides = new ArrayList<>(overrides); // serializable, unlike List.of / Map.copyOf
        params = new LinkedHashMap<>(params);
    }

    /** The trial's recipe: the tune file with the study's overrides and then the trial's parameters. */
    public static Recipe recipe(Path tuneFile, List<String> overrides, Map<String, Object> params) {
        List<String> o = new ArrayList<>(overrides);
        params.forEach((k, v) -> o.add(k + "=" + v));
        return RecipeLoader.loadTuneBase(tuneFile, o);
    }

    /** Claims the trial, runs it and records how it ended, unless an earlier attempt already finished it. */
    public void runAttempt(String attempt, int threads, TrialCoordinator coordinator) {
        if (!coordinator.claim(number, attempt)) return;
        TrialOutcome outcome = run(threads, attempt, (step, value) -> coordinator.report(number, attempt, step, value));
        coordinator.finish(number, attempt, outcome);
        FaultPoints.reached(FaultPoints.TRIAL_FINISHED);
    }

    /** Reports an intermediate value; false: stop. */
    public interface Reporter {
        boolean report(long step, double value);
    }

    /** Trains the trial; failures become a FAILED outcome (an out-of-memory error is rethrown). */
    public TrialOutcome run(int threads, String worker, Reporter reporter) {
        TensorRuntime.start(threads);
        JniUtils.setNumThreads(threads); // OpenMP's thread count is per calling thread
        Path dir = Path.of(outputDir, "trials", Integer.toString(number));
        Metric m = Metric.parse(metric.substring("validation.".length()));
        long t0 = System.nanoTime();
        List<Double> values = new ArrayList<>();
        try {
            AtomicFiles.deleteRecursively(dir); // a retried trial starts afresh
            Recipe recipe = recipe(Path.of(tuneFile), overrides, params);
            Files.createDirectories(dir);
            TrainingListener listener = new TrainingListener() {
                long totalSteps = -1;

                @Override
                public void onStart(long steps, int epochs, int trainExamples) {
                    totalSteps = steps;
                }

                @Override
                public void onEvaluation(Evaluation e) {
                    double v = m.value(e.report());
                    values.add(v);
                    // the n-th evaluation: an epoch unless eval_every_steps is set
                    boolean goOn = reporter.report(values.size(), v);
                    // After the last evaluation there is nothing left to save: the trial completes.
                    if (!goOn && e.step() < totalSteps && !e.stopping()) throw new StopTraining("pruned");
                }
            };
            try (PrintStream trialLog = new PrintStream(Files.newOutputStream(dir.resolve("train.log")), true,
                    StandardCharsets.UTF_8);
                    RunStore runs = openRunStore(trialLog)) {
                FineTune run = new FineTune(recipe, trialLog);
                Path features = Path.of(outputDir, "features");
                FineTune.Outcome o = (keepModel ? run.forTrialKeepingModel(features) : run.forTrial(features))
                        .trackIn(runs, outputDir, number).run(dir, listener);
                ClassificationReport validation = o.validation();
                if (validation == null) {
                    throw new UserError("the recipe has no validation split: set data.validation_fraction");
                }
                return outcome(Trial.State.COMPLETE, m.value(validation), null, t0, values, worker);
            }
        } catch (StopTraining s) {
            return outcome(Trial.State.PRUNED, values.isEmpty() ? null : values.get(values.size() - 1), null, t0, values,
                    worker);
        } catch (RuntimeException | IOException | Error e) {
            if (e instanceof OutOfMemoryError) throw (Error) e;
            String message = e.getMessage() == null ? e.toString() : e.getMessage();
            return outcome(Trial.State.FAILED, null, message, t0, values, worker);
        }
    }

    /**
     * The run store, or null when there is none or it cannot be opened here (an executor that does
     * not share the driver's disk): the trial still runs and reports to the study.
     */
    private RunStore openRunStore(PrintStream trialLog) {
        if (runStore == null) return null;
        try {
            return new RunStore(Path.of(runStore));
        } catch (UserError e) {
            trialLog.println("note: this trial is not recorded in the run store: " + e.getMessage());
            return null;
        }
    }

    private static TrialOutcome outcome(Trial.State state, Double value, String error, long t0, List<Double> values,
            String worker) {
        // A trial leaves hundreds of MB of garbage (weights read, tokenized texts, features). Without a
        // collection between trials G1 grows the heap toward its maximum (a quarter of the machine's
        // memory) over a study; a full collection also shrinks the committed heap, and the memory
        // figures below are then what the next trial starts from. Costs ~0.1 s.
        System.gc();
        return new TrialOutcome(state, value, error, (System.nanoTime() - t0) / 1e9, ProcessMemory.rssMb(),
                ProcessMemory.heapCommittedMb(),
                values.size(), worker);
    }
}
