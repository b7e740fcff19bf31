package dev.finetune4j.train;

/**
 * Thrown by a {@link TrainingListener} to end a run on purpose (a tuning trial the pruner gave up
 * on): not an error. The run's model and tensors are released as the exception unwinds.
 */
public final class StopTraining extends RuntimeException {
    public StopTraining(String reason) {
        super(reason, null, false, false);
    }
}
