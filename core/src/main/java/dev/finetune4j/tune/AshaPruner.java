package dev.finetune4j.tune;

import java.util.ArrayList;
import java.util.List;

/**
 * Asynchronous successive halving (Li et al. 2020), as Optuna's SuccessiveHalvingPruner: rungs sit at
 * steps {@code minResource * reductionFactor^k} (epochs here). A trial reaching a rung continues only
 * if its value there is within the top {@code 1 / reductionFactor} of all values recorded at that
 * rung so far; while fewer than {@code reductionFactor} trials have reached it, only a value at
 * least as good as the best so far continues. No trial ever waits for others.
 */
public record AshaPruner(long minResource, int reductionFactor) implements Pruner {
    public AshaPruner {
        if (minResource < 1 || reductionFactor < 2) throw new IllegalArgumentException("minResource >= 1, reductionFactor >= 2");
    }

    /** Whether {@code step} is a rung. */
    public boolean isRung(long step) {
        for (long r = minResource; r <= step; r *= reductionFactor) if (r == step) return true;
        return false;
    }

    @Override
    public boolean prune(Trial trial, long step, List<Trial> trials, Direction direction) {
        if (!isRung(step)) return false;
        Double value = trial.intermediate().get(step);
        if (value == null || value.isNaN()) return value != null;
        List<Double> losses = new ArrayList<>();
        losses.add(direction.loss(value));
        for (Trial t : trials) {
            if (t.number() == trial.number()) continue;
            Double v = t.intermediate().get(step);
            if (v != null && !v.isNaN()) losses.add(direction.loss(v));
        }
        losses.sort(null);
        int cutoff = Math.max(0, losses.size() / reductionFactor - 1);
        return direction.loss(value) > losses.get(cutoff);
    }
}
