package dev.finetune4j.tune;

import java.util.ArrayList;
import java.util.List;

/**
 * Stops a trial whose intermediate value at a step is worse than the median of the finished
 * trials' values at the same step (Optuna's MedianPruner): nothing is pruned before
 * {@code startupTrials} trials have finished, nor before step {@code warmupSteps}.
 */
public record MedianPruner(int startupTrials, long warmupSteps) implements Pruner {
    public MedianPruner {
        if (startupTrials < 0 || warmupSteps < 0) throw new IllegalArgumentException("must be >= 0");
    }

    @Override
    public boolean prune(Trial trial, long step, List<Trial> trials, Direction direction) {
        if (step < warmupSteps) return false;
        Double value = trial.intermediate().get(step);
        if (value == null || value.isNaN()) return value != null;
        List<Double> others = new ArrayList<>();
        int finished = 0;
        for (Trial t : trials) {
            if (t.number() == trial.number() || t.state() != Trial.State.COMPLETE) continue;
            finished++;
            Double v = t.intermediate().get(step);
            if (v != null && !v.isNaN()) others.add(v);
        }
        if (finished < startupTrials || others.isEmpty()) return false;
        others.sort(null);
        int n = others.size();
        double median = n % 2 == 1 ? others.get(n / 2) : 0.5 * (others.get(n / 2 - 1) + others.get(n / 2));
        return direction.better(median, value);
    }
}
