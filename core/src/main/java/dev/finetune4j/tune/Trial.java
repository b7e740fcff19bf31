package dev.finetune4j.tune;

import java.util.Map;
import java.util.TreeMap;

/**
 * One trial of a study: its parameters, state, final value and the intermediate values it
 * reported (by step: an epoch or an evaluation), as samplers and pruners see it.
 */
public record Trial(int number, Map<String, Object> params, State state, Double value, Map<Long, Double> intermediate) {
    public enum State { WAITING, RUNNING, COMPLETE, PRUNED, FAILED }

    public Trial {
        params = Map.copyOf(params);
        intermediate = java.util.Collections.unmodifiableMap(new TreeMap<>(intermediate));
    }

    /** The step of the last intermediate value, or null. */
    public Long lastStep() {
        return intermediate.isEmpty() ? null : java.util.Collections.max(intermediate.keySet());
    }

    /** The last intermediate value, or null. */
    public Double lastIntermediate() {
        return intermediate.isEmpty() ? null : intermediate.get(lastStep());
    }
}
