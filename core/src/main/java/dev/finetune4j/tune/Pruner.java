package dev.finetune4j.tune;

import java.util.List;

/** Decides whether a running trial that has just reported an intermediate value should stop. */
public interface Pruner {
    /**
     * @param trial the running trial, its intermediate values including the one just reported at {@code step}
     * @param trials every trial of the study (others' intermediate values are the comparison)
     */
    boolean prune(Trial trial, long step, List<Trial> trials, Direction direction);

    Pruner NONE = (trial, step, trials, direction) -> false;
}
