package dev.finetune4j.train;

/**
 * Listens to a run for what its first steps say about the whole: the steps, epochs and training
 * examples it plans, and its training speed after the first step, which pays for warming up
 * (allocations, kernel choice) and would make any estimate too slow.
 */
public class SteadySpeed implements TrainingListener {
    private long totalSteps;
    private int epochs;
    private int trainExamples;
    private long firstStepEndNanos;
    private long examplesAfterFirst;
    private double examplesPerSecond;

    @Override
    public void onStart(long totalSteps, int epochs, int trainExamples) {
        this.totalSteps = totalSteps;
        this.epochs = epochs;
        this.trainExamples = trainExamples;
    }

    @Override
    public void onStep(Step step) {
        long now = System.nanoTime();
        if (step.step() == 1) {
            firstStepEndNanos = now;
            examplesAfterFirst = step.examplesSeen();
        } else {
            examplesPerSecond = (step.examplesSeen() - examplesAfterFirst) / ((now - firstStepEndNanos) / 1e9);
        }
    }

    /** 0 until the run has started. */
    public long totalSteps() {
        return totalSteps;
    }

    public int epochs() {
        return epochs;
    }

    public int trainExamples() {
        return trainExamples;
    }

    /** When the first step ended ({@link System#nanoTime}), 0 before. */
    public long firstStepEndNanos() {
        return firstStepEndNanos;
    }

    /** Training examples per second after the first step; 0 until a second step has run. */
    public double examplesPerSecond() {
        return examplesPerSecond;
    }
}
