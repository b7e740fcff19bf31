package dev.finetune4j.tune;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/** Independent uniform draws (log-uniform for log parameters). */
public final class RandomSampler implements Sampler {
    @Override
    public Map<String, Object> sample(SearchSpace space, List<Trial> trials, Direction direction, Random rng) {
        Map<String, Object> config = new LinkedHashMap<>();
        for (SearchSpace.Param p : space.params()) {
            if (p.activeIn(config)) config.put(p.name(), draw(p, rng));
        }
        return config;
    }

    static Object draw(SearchSpace.Param p, Random rng) {
        if (p instanceof SearchSpace.Uniform u) return u.low() + rng.nextDouble() * (u.high() - u.low());
        if (p instanceof SearchSpace.LogUniform l) {
            return Math.exp(Math.log(l.low()) + rng.nextDouble() * (Math.log(l.high()) - Math.log(l.low())));
        }
        if (p instanceof SearchSpace.IntRange r) {
            if (!r.log()) return r.low() + (long) Math.floor(rng.nextDouble() * (r.high() - r.low() + 1));
            double lo = Math.log(r.low() - 0.5 < 0.5 ? 0.5 : r.low() - 0.5), hi = Math.log(r.high() + 0.5);
            long v = Math.round(Math.exp(lo + rng.nextDouble() * (hi - lo)));
            return Math.max(r.low(), Math.min(r.high(), v));
        }
        SearchSpace.Choice c = (SearchSpace.Choice) p;
        return c.values().get(rng.nextInt(c.values().size()));
    }
}
