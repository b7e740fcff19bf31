package dev.finetune4j.track;

import dev.finetune4j.eval.ClassificationReport;
import dev.finetune4j.train.TrainingListener;
import dev.finetune4j.train.TrainingResult;
import dev.finetune4j.util.ProcessMemory;
import java.util.ArrayList;
import java.util.List;

/**
 * Records a run's metrics as it trains: per step the train loss, learning rate, gradient norm,
 * examples/s and resident memory; per epoch the mean train loss; per evaluation the validation
 * loss, accuracy and F1s. Values are
 * written in batches (every {@value #FLUSH_MILLIS} ms, at each evaluation and at the end), so a
 * dashboard sees a live run within seconds without a transaction per step.
 */
public final class RunRecorder implements TrainingListener {
    static final long FLUSH_MILLIS = 2_000;

    private final RunStore store;
    private final String run;
    private final List<RunStore.Point> pending = new ArrayList<>();
    private final List<RunStore.Point> all = new ArrayList<>();
    private long lastFlush = System.currentTimeMillis();
    private int epoch = -1;
    private long epochLastStep;
    private double epochLossSum;
    private int epochSteps;

    /** {@code store} null: keep the points in memory only (for the run's report). */
    public RunRecorder(RunStore store, String run) {
        this.store = store;
        this.run = run;
    }

    public String run() {
        return run;
    }

    /** Everything recorded so far, in order (for the run's report). */
    public synchronized List<RunStore.Point> points() {
        return List.copyOf(all);
    }

    @Override
    public synchronized void onStep(Step s) {
        long now = System.currentTimeMillis();
        int epoch = s.epoch() + 1;
        if (epoch != this.epoch) endEpoch(now);
        this.epoch = epoch;
        epochLastStep = s.step();
        if (Double.isFinite(s.loss())) {
            epochLossSum += s.loss();
            epochSteps++;
        }
        add(s.step(), epoch, "train.loss", s.loss(), now);
        add(s.step(), epoch, "train.learning_rate", s.learningRate(), now);
        add(s.step(), epoch, "train.grad_norm", s.gradNorm(), now);
        add(s.step(), epoch, "train.examples_per_second", s.examplesPerSecond(), now);
        add(s.step(), epoch, "process.rss_mb", ProcessMemory.rssMb(), now);
        if (now - lastFlush >= FLUSH_MILLIS) flush();
    }

    @Override
    public synchronized void onEvaluation(Evaluation e) {
        long now = System.currentTimeMillis();
        ClassificationReport r = e.report();
        int epoch = e.epoch() + 1;
        add(e.step(), epoch, "validation.loss", r.loss() == null ? Double.NaN : r.loss(), now);
        add(e.step(), epoch, "validation.accuracy", r.accuracy(), now);
        add(e.step(), epoch, "validation.macro_f1", r.macro().f1(), now);
        add(e.step(), epoch, "validation.weighted_f1", r.weighted().f1(), now);
        flush();
    }

    @Override
    public synchronized void onEnd(TrainingResult result) {
        endEpoch(System.currentTimeMillis());
        flush();
    }

    /** The finished epoch's mean train loss, at its last step ({@code train.epoch_loss}). */
    private void endEpoch(long now) {
        if (epoch > 0 && epochSteps > 0) add(epochLastStep, epoch, "train.epoch_loss", epochLossSum / epochSteps, now);
        epochLossSum = 0;
        epochSteps = 0;
    }

    /** Writes what is pending; also call it when training stops without {@link #onEnd} (an error, a pruned trial). */
    public synchronized void flush() {
        if (store != null) store.record(run, pending);
        pending.clear();
        lastFlush = System.currentTimeMillis();
    }

    private void add(long step, int epoch, String key, double value, long now) {
        RunStore.Point p = new RunStore.Point(step, epoch, key, value, now);
        pending.add(p);
        all.add(p);
    }
}
