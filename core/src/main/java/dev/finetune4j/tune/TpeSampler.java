package dev.finetune4j.tune;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Tree-structured Parzen Estimator (Bergstra et al. 2011), as Optuna's independent TPE: after
 * {@code startupTrials} random trials, the finished trials are split into the best
 * {@code gamma(n) = min(ceil(0.1 n), 25)} ("good") and the rest ("bad"); for each parameter a
 * Parzen estimator is fitted to each group (truncated Gaussians at the observations with
 * neighbour-distance bandwidths plus a broad prior; weighted counts for categories), and the one of
 * {@code candidates} draws from the good estimator that maximises {@code l(x) / g(x)} is chosen.
 * Log parameters live in log space, integers are rounded and scored by their mass. A conditional
 * parameter learns only from the trials in which it existed. Pruned trials count as bad.
 */
public final class TpeSampler implements Sampler {
    private final int startupTrials;
    private final int candidates;
    private final double priorWeight = 1.0;
    private final RandomSampler random = new RandomSampler();

    public TpeSampler() {
        this(10, 24);
    }

    public TpeSampler(int startupTrials, int candidates) {
        if (startupTrials < 1 || candidates < 1) throw new IllegalArgumentException("startupTrials and candidates must be >= 1");
        this.startupTrials = startupTrials;
        this.candidates = candidates;
    }

    @Override
    public Map<String, Object> sample(SearchSpace space, List<Trial> trials, Direction direction, Random rng) {
        List<Trial> ranked = rank(trials, direction);
        long complete = trials.stream().filter(t -> t.state() == Trial.State.COMPLETE && t.value() != null).count();
        if (complete < startupTrials) return random.sample(space, trials, direction, rng);
        Map<String, Object> config = new LinkedHashMap<>();
        for (SearchSpace.Param p : space.params()) {
            if (!p.activeIn(config)) continue;
            List<Trial> having = ranked.stream().filter(t -> t.params().containsKey(p.name())).toList();
            if (having.size() < 2) {
                config.put(p.name(), RandomSampler.draw(p, rng));
                continue;
            }
            int nGood = Math.min((int) Math.ceil(0.1 * having.size()), 25);
            List<Trial> good = having.subList(0, nGood), bad = having.subList(nGood, having.size());
            config.put(p.name(), p instanceof SearchSpace.Choice c ? sampleChoice(c, good, bad, rng)
                    : sampleNumber(p, good, bad, rng));
        }
        return config;
    }

    /** Finished trials best first (by loss), then pruned ones (those that got further first); others dropped. */
    static List<Trial> rank(List<Trial> trials, Direction direction) {
        List<Trial> complete = new ArrayList<>(), pruned = new ArrayList<>();
        for (Trial t : trials) {
            if (t.state() == Trial.State.COMPLETE && t.value() != null && Double.isFinite(t.value())) complete.add(t);
            else if (t.state() == Trial.State.PRUNED && t.lastIntermediate() != null) pruned.add(t);
        }
        complete.sort(Comparator.comparingDouble((Trial t) -> direction.loss(t.value())).thenComparingInt(Trial::number));
        pruned.sort(Comparator.comparingLong((Trial t) -> -t.lastStep())
                .thenComparingDouble(t -> direction.loss(t.lastIntermediate())));
        List<Trial> out = new ArrayList<>(complete);
        out.addAll(pruned);
        return out;
    }

    // ------------------------------------------------------------------ categorical

    private Object sampleChoice(SearchSpace.Choice c, List<Trial> good, List<Trial> bad, Random rng) {
        double[] l = categoryWeights(c, good), g = categoryWeights(c, bad);
        int best = -1;
        double bestScore = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < candidates; i++) {
            int k = drawIndex(l, rng);
            double score = Math.log(l[k]) - Math.log(g[k]);
            if (score > bestScore) {
                bestScore = score;
                best = k;
            }
        }
        return c.values().get(best);
    }

    private double[] categoryWeights(SearchSpace.Choice c, List<Trial> observed) {
        double[] w = new double[c.values().size()];
        Arrays.fill(w, priorWeight / w.length);
        double[] ow = observationWeights(observed.size());
        for (int i = 0; i < observed.size(); i++) {
            int k = indexOf(c.values(), observed.get(i).params().get(c.name()));
            if (k >= 0) w[k] += ow[i];
        }
        double sum = Arrays.stream(w).sum();
        for (int k = 0; k < w.length; k++) w[k] /= sum;
        return w;
    }

    private static int indexOf(List<Object> values, Object v) {
        for (int i = 0; i < values.size(); i++) {
            Object a = values.get(i);
            if (a.equals(v) || (a instanceof Number x && v instanceof Number y && x.doubleValue() == y.doubleValue())) return i;
        }
        return -1;
    }

    // ------------------------------------------------------------------ numerical

    /** Where a numerical parameter lives for the estimator: bounds in (possibly log) space, discreteness. */
    private record Axis(double low, double high, boolean log, boolean integer, long intLow, long intHigh) {
        static Axis of(SearchSpace.Param p) {
            if (p instanceof SearchSpace.Uniform u) return new Axis(u.low(), u.high(), false, false, 0, 0);
            if (p instanceof SearchSpace.LogUniform l) return new Axis(Math.log(l.low()), Math.log(l.high()), true, false, 0, 0);
            SearchSpace.IntRange r = (SearchSpace.IntRange) p;
            if (r.log()) {
                return new Axis(Math.log(Math.max(0.5, r.low() - 0.5)), Math.log(r.high() + 0.5), true, true, r.low(), r.high());
            }
            return new Axis(r.low() - 0.5, r.high() + 0.5, false, true, r.low(), r.high());
        }

        double toAxis(Object v) {
            double x = ((Number) v).doubleValue();
            return log ? Math.log(x) : x;
        }

        Object fromAxis(double x) {
            double v = log ? Math.exp(x) : x;
            if (!integer) return Math.min(log ? Math.exp(high) : high, Math.max(log ? Math.exp(low) : low, v));
            return Math.max(intLow, Math.min(intHigh, Math.round(v)));
        }

        /** The interval of axis values that round to the integer {@code k}. */
        double[] cell(long k) {
            double a = k - 0.5, b = k + 0.5;
            return log ? new double[] {Math.log(Math.max(a, 1e-12)), Math.log(b)} : new double[] {a, b};
        }
    }

    private record Mixture(double[] mu, double[] sigma, double[] weight, double low, double high) {
        double sample(Random rng) {
            int k = drawIndex(weight, rng);
            for (int tries = 0; tries < 100; tries++) {
                double x = mu[k] + sigma[k] * rng.nextGaussian();
                if (x >= low && x <= high) return x;
            }
            return Math.min(high, Math.max(low, mu[k]));
        }

        /** log of the density at x, or of the mass of [a, b] when {@code cell} is given. */
        double logProbability(double x, double[] cell) {
            double p = 0;
            for (int k = 0; k < mu.length; k++) {
                double z = phi((high - mu[k]) / sigma[k]) - phi((low - mu[k]) / sigma[k]);
                if (z <= 0) continue;
                double part = cell == null
                        ? Math.exp(-0.5 * sq((x - mu[k]) / sigma[k])) / (sigma[k] * Math.sqrt(2 * Math.PI))
                        : phi((Math.min(cell[1], high) - mu[k]) / sigma[k]) - phi((Math.max(cell[0], low) - mu[k]) / sigma[k]);
                p += weight[k] * part / z;
            }
            return Math.log(Math.max(p, 1e-300));
        }
    }

    private Object sampleNumber(SearchSpace.Param p, List<Trial> good, List<Trial> bad, Random rng) {
        Axis axis = Axis.of(p);
        Mixture l = mixture(axis, good, p.name()), g = mixture(axis, bad, p.name());
        double best = Double.NaN, bestScore = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < candidates; i++) {
            double x = l.sample(rng);
            double[] cell = null;
            if (axis.integer()) {
                x = axis.toAxis(axis.fromAxis(x));
                cell = axis.cell(((Number) axis.fromAxis(x)).longValue());
            }
            double score = l.logProbability(x, cell) - g.logProbability(x, cell);
            if (score > bestScore) {
                bestScore = score;
                best = x;
            }
        }
        return axis.fromAxis(best);
    }

    private Mixture mixture(Axis axis, List<Trial> observed, String name) {
        int n = observed.size();
        double[] obs = new double[n];
        for (int i = 0; i < n; i++) obs[i] = axis.toAxis(observed.get(i).params().get(name));
        double[] ow = observationWeights(n);
        double low = axis.low(), high = axis.high(), priorMu = 0.5 * (low + high), priorSigma = high - low;
        // Sorted observations with the prior inserted; bandwidth = distance to the farther neighbour.
        Integer[] order = new Integer[n];
        for (int i = 0; i < n; i++) order[i] = i;
        Arrays.sort(order, Comparator.comparingDouble(i -> obs[i]));
        int m = n + 1;
        double[] mu = new double[m], w = new double[m], sigma = new double[m];
        int priorPos = 0;
        while (priorPos < n && obs[order[priorPos]] < priorMu) priorPos++;
        for (int i = 0, j = 0; i < m; i++) {
            if (i == priorPos) {
                mu[i] = priorMu;
                w[i] = priorWeight;
            } else {
                mu[i] = obs[order[j]];
                w[i] = ow[order[j]];
                j++;
            }
        }
        double minSigma = (high - low) / Math.min(100.0, 1.0 + m), maxSigma = high - low;
        for (int i = 0; i < m; i++) {
            double left = i == 0 ? Double.NaN : mu[i] - mu[i - 1];
            double right = i == m - 1 ? Double.NaN : mu[i + 1] - mu[i];
            double s = Double.isNaN(left) ? right : Double.isNaN(right) ? left : Math.max(left, right);
            if (Double.isNaN(s)) s = maxSigma;
            sigma[i] = Math.min(maxSigma, Math.max(minSigma, s));
        }
        sigma[priorPos] = priorSigma;
        double sum = Arrays.stream(w).sum();
        for (int i = 0; i < m; i++) w[i] /= sum;
        return new Mixture(mu, sigma, w, low, high);
    }

    /** Every observation weighs the same (Optuna down-weights observations older than the newest 25; studies here are small). */
    private static double[] observationWeights(int n) {
        double[] w = new double[n];
        Arrays.fill(w, 1.0);
        return w;
    }

    private static int drawIndex(double[] weights, Random rng) {
        double u = rng.nextDouble(), acc = 0;
        for (int i = 0; i < weights.length; i++) {
            acc += weights[i];
            if (u < acc) return i;
        }
        return weights.length - 1;
    }

    private static double sq(double x) {
        return x * x;
    }

    /** The standard normal CDF. */
    static double phi(double x) {
        return 0.5 * erfc(-x / Math.sqrt(2));
    }

    /** Complementary error function, fractional error below 1.2e-7 (Numerical Recipes' Chebyshev fit). */
    static double erfc(double x) {
        double z = Math.abs(x), t = 1 / (1 + 0.5 * z);
        double r = t * Math.exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418
                + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223
                + t * 0.17087277)))))))));
        return x >= 0 ? r : 2 - r;
    }
}
