package dev.finetune4j.bench;

import dev.finetune4j.tune.Direction;
import dev.finetune4j.tune.GridSampler;
import dev.finetune4j.tune.RandomSampler;
import dev.finetune4j.tune.Sampler;
import dev.finetune4j.tune.SearchSpace;
import dev.finetune4j.tune.TpeSampler;
import dev.finetune4j.tune.Trial;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Supplier;
import java.util.function.ToDoubleFunction;

/**
 * Samplers on standard test functions at equal budgets over many seeds: the median (and quartiles)
 * of the best value found, and how often TPE beats random on the same seed.
 *
 * <pre>  SamplerBench [SEEDS=20] [BUDGET=50,100]</pre>
 */
public final class SamplerBench {
    record Problem(String name, SearchSpace space, SearchSpace gridSpace, ToDoubleFunction<Map<String, Object>> f,
            double optimum) {}

    public static void main(String[] args) {
        int seeds = args.length > 0 ? Integer.parseInt(args[0]) : 20;
        int[] budgets = args.length > 1 ? Arrays.stream(args[1].split(",")).mapToInt(Integer::parseInt).toArray()
                : new int[] {50, 100};
        System.out.println("| function (optimum) | budget | sampler | median best | 25% / 75% | TPE better than random (seeds) |");
        System.out.println("| --- | ---: | --- | ---: | ---: | ---: |");
        for (Problem p : problems()) {
            for (int budget : budgets) {
                double[] rnd = run(p, p.space(), RandomSampler::new, budget, seeds);
                double[] tpe = run(p, p.space(), TpeSampler::new, budget, seeds);
                double[] grid = runGrid(p, budget, seeds);
                int wins = 0;
                for (int s = 0; s < seeds; s++) if (tpe[s] < rnd[s]) wins++;
                row(p, budget, "random", rnd, "");
                row(p, budget, "tpe", tpe, wins + " / " + seeds);
                row(p, budget, "grid", grid, "");
            }
        }
    }

    static void row(Problem p, int budget, String sampler, double[] best, String extra) {
        double[] q = quartiles(best);
        System.out.printf("| %s (%.4f) | %d | %s | %.4f | %.4f / %.4f | %s |%n", p.name(), p.optimum(), budget, sampler,
                q[1], q[0], q[2], extra);
    }

    /** Grid search visits its points in an order shuffled by the seed: a budget below the grid's size sees a random subset. */
    static double[] runGrid(Problem p, int budget, int seeds) {
        double[] best = new double[seeds];
        for (int seed = 0; seed < seeds; seed++) {
            final long s = seed;
            best[seed] = run(p, p.gridSpace(), () -> new GridSampler(1000L + s), budget, 1)[0];
        }
        return best;
    }

    static double[] run(Problem p, SearchSpace space, Supplier<Sampler> sampler, int budget, int seeds) {
        double[] best = new double[seeds];
        for (int seed = 0; seed < seeds; seed++) {
            Sampler s = sampler.get();
            List<Trial> trials = new ArrayList<>();
            Random rng = new Random(1000L + seed);
            double b = Double.POSITIVE_INFINITY;
            for (int i = 0; i < budget; i++) {
                Map<String, Object> x = s.sample(space, trials, Direction.MINIMIZE, rng);
                if (x == null) break;
                double y = p.f().applyAsDouble(x);
                trials.add(new Trial(i, x, Trial.State.COMPLETE, y, Map.of()));
                b = Math.min(b, y);
            }
            best[seed] = b;
        }
        return best;
    }

    static List<Problem> problems() {
        List<Problem> out = new ArrayList<>();
        // Branin on [-5, 10] x [0, 15]; three global minima of 0.397887.
        out.add(new Problem("Branin", space(2, new double[] {-5, 0}, new double[] {10, 15}),
                gridSpace(2, new double[] {-5, 0}, new double[] {10, 15}, 7), x -> {
                    double a = d(x, 0), b = d(x, 1);
                    double t = b - 5.1 / (4 * Math.PI * Math.PI) * a * a + 5 / Math.PI * a - 6;
                    return t * t + 10 * (1 - 1 / (8 * Math.PI)) * Math.cos(a) + 10;
                }, 0.397887));
        // Hartmann-6 on [0, 1]^6; minimum -3.32237.
        double[] lo = new double[6], hi = new double[6];
        Arrays.fill(hi, 1);
        out.add(new Problem("Hartmann-6", space(6, lo, hi), gridSpace(6, lo, hi, 2), SamplerBench::hartmann6, -3.32237));
        // Mixed: an integer (layers to freeze, 0..12), a categorical (optimizer-like, 4 options), a
        // log-uniform rate and a conditional integer, shaped like a fine-tuning space.
        SearchSpace.Condition lora = new SearchSpace.Condition("kind", List.of("lora"));
        SearchSpace mixed = new SearchSpace(List.of(
                new SearchSpace.LogUniform("lr", 1e-6, 1e-1, null),
                new SearchSpace.IntRange("freeze", 0, 12, false, null),
                new SearchSpace.Choice("kind", List.of("full", "partial", "lora", "frozen"), null),
                new SearchSpace.IntRange("rank", 1, 64, true, lora)));
        SearchSpace mixedGrid = new SearchSpace(List.of(
                new SearchSpace.Choice("lr", List.of(1e-5, 1e-4, 1e-3, 1e-2), null),
                new SearchSpace.Choice("freeze", List.of(0L, 4L, 8L), null),
                new SearchSpace.Choice("kind", List.of("full", "partial", "lora", "frozen"), null),
                new SearchSpace.Choice("rank", List.of(4L, 16L), lora)));
        out.add(new Problem("Mixed int/categorical/conditional", mixed, mixedGrid, x -> {
            double lr = Math.log10((Double) x.get("lr"));
            double v = Math.pow(lr + 3.3, 2) + 0.05 * Math.pow(((Number) x.get("freeze")).doubleValue() - 5, 2);
            switch ((String) x.get("kind")) {
                case "lora" -> v += 0.3 * Math.pow(Math.log(((Number) x.get("rank")).doubleValue() / 12.0), 2);
                case "partial" -> v += 0.4;
                case "full" -> v += 0.6;
                default -> v += 2.0;
            }
            return v;
        }, 0.0));
        return out;
    }

    static double hartmann6(Map<String, Object> x) {
        double[] alpha = {1.0, 1.2, 3.0, 3.2};
        double[][] a = {{10, 3, 17, 3.5, 1.7, 8}, {0.05, 10, 17, 0.1, 8, 14}, {3, 3.5, 1.7, 10, 17, 8}, {17, 8, 0.05, 10, 0.1, 14}};
        double[][] p = {{1312, 1696, 5569, 124, 8283, 5886}, {2329, 4135, 8307, 3736, 1004, 9991},
                {2348, 1451, 3522, 2883, 3047, 6650}, {4047, 8828, 8732, 5743, 1091, 381}};
        double sum = 0;
        for (int i = 0; i < 4; i++) {
            double inner = 0;
            for (int j = 0; j < 6; j++) inner += a[i][j] * Math.pow(d(x, j) - p[i][j] * 1e-4, 2);
            sum += alpha[i] * Math.exp(-inner);
        }
        return -sum;
    }

    static double d(Map<String, Object> x, int i) {
        return ((Number) x.get("x" + i)).doubleValue();
    }

    static SearchSpace space(int n, double[] lo, double[] hi) {
        List<SearchSpace.Param> ps = new ArrayList<>();
        for (int i = 0; i < n; i++) ps.add(new SearchSpace.Uniform("x" + i, lo[i], hi[i], null));
        return new SearchSpace(ps);
    }

    /** An evenly spaced grid with {@code points} values per axis (cell centres), for grid search. */
    static SearchSpace gridSpace(int n, double[] lo, double[] hi, int points) {
        List<SearchSpace.Param> ps = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            List<Object> v = new ArrayList<>();
            for (int k = 0; k < points; k++) v.add(lo[i] + (k + 0.5) * (hi[i] - lo[i]) / points);
            ps.add(new SearchSpace.Choice("x" + i, v, null));
        }
        return new SearchSpace(ps);
    }

    static double[] quartiles(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return new double[] {at(s, 0.25), at(s, 0.5), at(s, 0.75)};
    }

    static double at(double[] sorted, double q) {
        double pos = q * (sorted.length - 1);
        int i = (int) Math.floor(pos);
        double f = pos - i;
        return i + 1 < sorted.length ? sorted[i] * (1 - f) + sorted[i + 1] * f : sorted[i];
    }
}
