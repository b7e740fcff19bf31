package dev.finetune4j.tune;

import java.io.PrintStream;
import java.util.List;
import java.util.Map;

/**
 * The driver's side of {@link TrialCoordinator}: records attempts, intermediate values and results
 * in the study store and asks the pruner, after every intermediate value, whether the trial goes on.
 */
public final class StudyCoordinator implements TrialCoordinator {
    private final StudyStore store;
    private final Pruner pruner;
    private final SearchConfig config;
    private final PrintStream log;
    private final Budget budget;
    private final double reserve;

    public StudyCoordinator(StudyStore store, Pruner pruner, SearchConfig config, PrintStream log) {
        this(store, pruner, config, log, null, 0);
    }

    /**
     * With a budget: a trial that reports once less than {@code reserve} seconds are left stops at
     * that evaluation, so the study overruns its share by at most one evaluation.
     */
    public StudyCoordinator(StudyStore store, Pruner pruner, SearchConfig config, PrintStream log, Budget budget,
            double reserve) {
        this.store = store;
        this.pruner = pruner;
        this.config = config;
        this.log = log;
        this.budget = budget;
        this.reserve = reserve;
    }

    @Override
    public boolean claim(int trial, String attempt) {
        boolean mine = store.claim(trial, attempt);
        if (!mine) log.printf("trial %d: already finished; attempt %s does not run it again%n", trial, attempt);
        return mine;
    }

    @Override
    public boolean report(int trial, String attempt, long step, double value) {
        synchronized (store) { // one pruning decision at a time sees every value reported before it
            if (!store.report(trial, attempt, step, value)) return false;
            if (budget != null && budget.remaining() < reserve) {
                log.printf("trial %d: stopped after evaluation %d: the budget is spent (%s)%n", trial, step, budget);
                return false;
            }
            List<Trial> all = store.trials();
            Trial now = all.stream().filter(t -> t.number() == trial).findFirst().orElseThrow();
            return !pruner.prune(now, step, all, config.direction());
        }
    }

    @Override
    public void finish(int trial, String attempt, TrialOutcome o) {
        if (!store.finish(trial, attempt, o)) {
            log.printf("trial %d: result of superseded attempt %s ignored%n", trial, attempt);
            return;
        }
        Map<String, Object> params = params(trial);
        switch (o.state()) {
            case COMPLETE -> log.printf("trial %d: %s = %.4f in %.0f s  %s%n", trial, config.metric(), o.value(),
                    o.seconds(), params);
            case PRUNED -> log.printf("trial %d: pruned after %d evaluation(s) (%.4f)  %s%n", trial, o.evaluations(),
                    o.value() == null ? Double.NaN : o.value(), params);
            default -> log.printf("trial %d: failed: %s%n", trial, o.error());
        }
    }

    /** For a trial its backend could not run at all (e.g. a Spark job that failed every retry). */
    public void backendFailed(int trial, Throwable error) {
        Throwable cause = error.getCause() != null && error instanceof java.util.concurrent.CompletionException
                ? error.getCause() : error;
        String message = cause.getMessage() == null ? cause.toString() : cause.getMessage();
        if (store.failIfRunning(trial, message)) log.printf("trial %d: failed to run: %s%n", trial, message);
    }

    private Map<String, Object> params(int trial) {
        return store.trials().stream().filter(t -> t.number() == trial).findFirst().map(Trial::params).orElse(Map.of());
    }
}
