package dev.finetune4j.data;

import dev.finetune4j.UserError;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Splits examples into train/validation/test with each label's share kept in every part.
 *
 * <p>Per label with n examples (labels taken in {@link LabelSet} order), the examples are shuffled
 * with a {@link Random} seeded from (seed, label name), then cut: validation gets
 * {@code round(n * validationFraction)}, test {@code round(n * testFraction)} (half rounds up), train
 * the rest. When n >= 3, a part with a non-zero fraction gets at least one example of the label.
 * Train always keeps at least one, taken back from test first, then validation. So a part's count
 * for a label is within 1 of {@code n * fraction}, except when n is tiny. Each part is returned
 * in input order. Same examples, fractions and seed give the same split on any JVM.
 */
public final class StratifiedSplit {
    private StratifiedSplit() {}

    public static Split split(List<Example> examples, double validationFraction, double testFraction, long seed) {
        checkFraction("validation", validationFraction);
        checkFraction("test", testFraction);
        if (validationFraction + testFraction >= 1.0) {
            throw new UserError("validation fraction " + validationFraction + " + test fraction " + testFraction
                    + " leave nothing to train on; their sum must be below 1");
        }
        Map<String, List<Integer>> byLabel = new LinkedHashMap<>();
        for (String label : LabelSet.sorted(examples.stream().map(Example::label).distinct().toList())) {
            byLabel.put(label, new ArrayList<>());
        }
        for (int i = 0; i < examples.size(); i++) byLabel.get(examples.get(i).label()).add(i);

        List<Integer> train = new ArrayList<>();
        List<Integer> validation = new ArrayList<>();
        List<Integer> test = new ArrayList<>();
        for (Map.Entry<String, List<Integer>> entry : byLabel.entrySet()) {
            List<Integer> indices = entry.getValue();
            Collections.shuffle(indices, new Random(mix(seed, entry.getKey())));
            int n = indices.size();
            int nVal = partSize(n, validationFraction);
            int nTest = partSize(n, testFraction);
            while (nVal + nTest > n - 1 && nVal + nTest > 0) {
                if (nTest > 0) nTest--; else nVal--;
            }
            validation.addAll(indices.subList(0, nVal));
            test.addAll(indices.subList(nVal, nVal + nTest));
            train.addAll(indices.subList(nVal + nTest, n));
        }
        return new Split(pick(examples, train), pick(examples, validation), pick(examples, test));
    }

    private static int partSize(int n, double fraction) {
        if (fraction == 0) return 0;
        int size = (int) Math.round(n * fraction);
        return n >= 3 ? Math.max(1, size) : size;
    }

    private static void checkFraction(String name, double f) {
        if (!(f >= 0 && f < 1)) {
            throw new UserError(name + " fraction must be at least 0 and below 1, got " + f);
        }
    }

    private static long mix(long seed, String label) {
        long h = seed * 0x9E3779B97F4A7C15L + label.hashCode();
        h ^= h >>> 33;
        h *= 0xff51afd7ed558ccdL;
        h ^= h >>> 33;
        return h;
    }

    private static List<Example> pick(List<Example> examples, List<Integer> indices) {
        return indices.stream().sorted(Comparator.naturalOrder()).map(examples::get).toList();
    }
}
