package dev.finetune4j.tune;

/**
 * What a running trial talks to: the study's driver, in this JVM or over the network. Every call
 * names the attempt, so that a retried or duplicated attempt (a Spark task re-run after its
 * executor was lost) cannot record a trial twice: only the attempt that claimed the trial last
 * may report and finish it.
 */
public interface TrialCoordinator {
    /**
     * Takes the trial for this attempt. False when the trial is already finished (an earlier attempt
     * recorded it): the attempt must not run it again.
     */
    boolean claim(int trial, String attempt);

    /**
     * Records an intermediate value and returns whether the trial should go on: false when the
     * pruner stops it, or when another attempt has claimed it since.
     */
    boolean report(int trial, String attempt, long step, double value);

    /** Records how the trial ended; ignored unless {@code attempt} holds the trial. */
    void finish(int trial, String attempt, TrialOutcome outcome);
}
