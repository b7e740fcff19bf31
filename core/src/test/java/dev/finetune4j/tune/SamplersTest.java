package dev.finetune4j.tune;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.ToDoubleFunction;
import org.junit.jupiter.api.Test;

class SamplersTest {
    static final SearchSpace.Condition LORA = new SearchSpace.Condition("strategy.type", List.of("lora"));
    static final SearchSpace MIXED = new SearchSpace(List.of(
            new SearchSpace.LogUniform("train.learning_rate", 1e-5, 1e-2, null),
            new SearchSpace.Choice("strategy.type", List.of("full", "lora"), null),
            new SearchSpace.IntRange("strategy.rank", 2, 32, true, LORA),
            new SearchSpace.Uniform("train.warmup_ratio", 0.0, 0.3, null)));

    /** Minimises f with the sampler for {@code budget} trials; returns the best value. */
    static double minimise(Sampler sampler, SearchSpace space, ToDoubleFunction<Map<String, Object>> f, int budget, long seed) {
        List<Trial> trials = new ArrayList<>();
        Random rng = new Random(seed);
        double best = Double.POSITIVE_INFINITY;
        for (int i = 0; i < budget; i++) {
            Map<String, Object> x = sampler.sample(space, trials, Direction.MINIMIZE, rng);
            if (x == null) break;
            double y = f.applyAsDouble(x);
            trials.add(new Trial(i, x, Trial.State.COMPLETE, y, Map.of()));
            best = Math.min(best, y);
        }
        return best;
    }

    @Test
    void conditionalParametersExistOnlyWhereTheirConditionHolds() {
        Random rng = new Random(1);
        for (int i = 0; i < 200; i++) {
            Map<String, Object> x = new RandomSampler().sample(MIXED, List.of(), Direction.MINIMIZE, rng);
            assertThat(x.containsKey("strategy.rank")).isEqualTo(x.get("strategy.type").equals("lora"));
            double lr = (Double) x.get("train.learning_rate");
            assertThat(lr).isBetween(1e-5, 1e-2);
            if (x.containsKey("strategy.rank")) assertThat((Long) x.get("strategy.rank")).isBetween(2L, 32L);
        }
    }

    @Test
    void logUniformIsUniformInTheExponent() {
        Random rng = new Random(2);
        int below = 0, n = 4000;
        SearchSpace s = new SearchSpace(List.of(new SearchSpace.LogUniform("lr", 1e-5, 1e-1, null)));
        for (int i = 0; i < n; i++) if ((Double) new RandomSampler().sample(s, List.of(), Direction.MINIMIZE, rng).get("lr") < 1e-3) below++;
        assertThat(below / (double) n).isCloseTo(0.5, org.assertj.core.data.Offset.offset(0.03));
    }

    @Test
    void gridVisitsEveryPointOnceThenStops() {
        SearchSpace s = new SearchSpace(List.of(
                new SearchSpace.Choice("strategy.type", List.of("full", "lora"), null),
                new SearchSpace.Choice("strategy.rank", List.of(4, 8, 16), LORA),
                new SearchSpace.IntRange("train.epochs", 1, 2, false, null)));
        assertThat(s.grid()).hasSize((1 + 3) * 2);
        List<Trial> trials = new ArrayList<>();
        GridSampler grid = new GridSampler(3);
        Map<String, Object> x;
        while ((x = grid.sample(s, trials, Direction.MAXIMIZE, new Random())) != null) {
            trials.add(new Trial(trials.size(), x, Trial.State.COMPLETE, 0.0, Map.of()));
        }
        assertThat(trials).hasSize(8);
        assertThat(new HashSet<>(trials.stream().map(Trial::params).toList())).hasSize(8);
    }

    @Test
    void tpeBeatsRandomOnAQuadraticBowlAcrossSeeds() {
        SearchSpace s = new SearchSpace(List.of(new SearchSpace.Uniform("x", -5, 5, null),
                new SearchSpace.Uniform("y", -5, 5, null)));
        ToDoubleFunction<Map<String, Object>> bowl = p -> sq((Double) p.get("x") - 1.3) + sq((Double) p.get("y") + 2.1);
        double[] tpe = new double[15], rnd = new double[15];
        for (int seed = 0; seed < 15; seed++) {
            tpe[seed] = minimise(new TpeSampler(), s, bowl, 60, seed);
            rnd[seed] = minimise(new RandomSampler(), s, bowl, 60, seed);
        }
        assertThat(median(tpe)).isLessThan(median(rnd) / 3);
    }

    @Test
    void tpeLearnsWhichCategoryAndWhichConditionalValueAreGood() {
        // Best: lora with rank near 8 and lr near 1e-3.
        ToDoubleFunction<Map<String, Object>> f = p -> {
            double lr = Math.log10((Double) p.get("train.learning_rate"));
            double v = sq(lr + 3);
            if (p.get("strategy.type").equals("lora")) v += sq(Math.log(((Long) p.get("strategy.rank")) / 8.0));
            else v += 2;
            return v;
        };
        List<Trial> trials = new ArrayList<>();
        Random rng = new Random(4);
        TpeSampler tpe = new TpeSampler();
        int loraLate = 0;
        for (int i = 0; i < 60; i++) {
            Map<String, Object> x = tpe.sample(MIXED, trials, Direction.MINIMIZE, rng);
            if (i >= 30 && x.get("strategy.type").equals("lora")) loraLate++;
            trials.add(new Trial(i, x, Trial.State.COMPLETE, f.applyAsDouble(x), Map.of()));
        }
        assertThat(loraLate).as("later trials mostly pick the better category").isGreaterThan(22);
        double best = trials.stream().mapToDouble(Trial::value).min().orElseThrow();
        assertThat(best).isLessThan(0.1);
    }

    @Test
    void samplersAreReproducibleForASeed() {
        for (Sampler s : List.of(new RandomSampler(), new TpeSampler(5, 24))) {
            List<Map<String, Object>> a = run(s, 30, 9), b = run(s, 30, 9);
            assertThat(a).isEqualTo(b);
        }
    }

    private static List<Map<String, Object>> run(Sampler s, int n, long seed) {
        List<Trial> trials = new ArrayList<>();
        Random rng = new Random(seed);
        List<Map<String, Object>> xs = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            Map<String, Object> x = s.sample(MIXED, trials, Direction.MAXIMIZE, rng);
            xs.add(x);
            trials.add(new Trial(i, x, Trial.State.COMPLETE, (double) x.toString().hashCode() % 97, Map.of()));
        }
        return xs;
    }

    @Test
    void errorFunctionMatchesKnownValues() {
        assertThat(TpeSampler.phi(0)).isCloseTo(0.5, org.assertj.core.data.Offset.offset(1e-7));
        assertThat(TpeSampler.phi(1.959963985)).isCloseTo(0.975, org.assertj.core.data.Offset.offset(1e-6));
        assertThat(TpeSampler.phi(-3)).isCloseTo(0.0013498980, org.assertj.core.data.Offset.offset(1e-7));
    }

    static double sq(double x) {
        return x * x;
    }

    static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : 0.5 * (s[s.length / 2 - 1] + s[s.length / 2]);
    }
}
