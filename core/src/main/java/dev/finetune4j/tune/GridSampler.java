package dev.finetune4j.tune;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

/**
 * Every point of a finite space once, in an order shuffled by the study's seed (so that a study cut
 * short by its budget still covers the space evenly); null once all have been proposed.
 */
public final class GridSampler implements Sampler {
    private final long seed;

    public GridSampler(long seed) {
        this.seed = seed;
    }

    @Override
    public Map<String, Object> sample(SearchSpace space, List<Trial> trials, Direction direction, Random rng) {
        List<Map<String, Object>> grid = new ArrayList<>(space.grid());
        Collections.shuffle(grid, new Random(seed));
        Set<Map<String, Object>> used = new HashSet<>();
        for (Trial t : trials) used.add(normalise(t.params()));
        for (Map<String, Object> point : grid) if (!used.contains(normalise(point))) return point;
        return null;
    }

    /** Numbers compare by value whatever their boxed type (a store may give back a Long as an Integer). */
    private static Map<String, Object> normalise(Map<String, Object> params) {
        Map<String, Object> m = new java.util.HashMap<>();
        params.forEach((k, v) -> m.put(k, v instanceof Number n ? (Object) n.doubleValue() : v));
        return m;
    }
}
