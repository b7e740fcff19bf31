package dev.finetune4j.tune;

import java.util.List;
import java.util.Map;
import java.util.Random;

/** Proposes the next trial's parameters from the trials so far. */
public interface Sampler {
    /**
     * @param trials every trial so far, any state
     * @return the parameters (only active ones), or null when the sampler has nothing left (a finished grid)
     */
    Map<String, Object> sample(SearchSpace space, List<Trial> trials, Direction direction, Random rng);
}
