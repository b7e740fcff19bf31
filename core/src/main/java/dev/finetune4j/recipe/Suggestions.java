package dev.finetune4j.recipe;

import java.util.Collection;
import java.util.Locale;
import java.util.Optional;

/** "Did you mean" for misspelt keys and values. */
final class Suggestions {
    private Suggestions() {}

    /**
     * Abbreviations people type for keys of other training tools; they are short enough to be a
     * small edit away from unrelated keys ({@code lr} vs {@code l2}), so they are looked up first.
     */
    private static final java.util.Map<String, String> ABBREVIATIONS = java.util.Map.of(
            "lr", "learning_rate", "bs", "batch_size", "wd", "weight_decay", "epoch", "epochs",
            "optimiser", "optimizer", "warmup", "warmup_ratio", "max_len", "max_length", "maxlen", "max_length");

    /** The candidate closest to {@code word}, if it is close enough to be a plausible typo. */
    static Optional<String> closest(String word, Collection<String> candidates) {
        String w = word.toLowerCase(Locale.ROOT);
        String expanded = ABBREVIATIONS.get(w);
        if (expanded != null && candidates.contains(expanded)) return Optional.of(expanded);
        String best = null;
        int bestDistance = Integer.MAX_VALUE;
        for (String candidate : candidates) {
            int d = distance(w, candidate.toLowerCase(Locale.ROOT));
            if (d < bestDistance) {
                best = candidate;
                bestDistance = d;
            }
        }
        int allowed = Math.max(2, word.length() / 3);
        return best != null && bestDistance <= allowed ? Optional.of(best) : Optional.empty();
    }

    /** Optimal string alignment distance: Levenshtein plus swapping two neighbouring letters. */
    static int distance(String a, String b) {
        int[][] d = new int[a.length() + 1][b.length() + 1];
        for (int i = 0; i <= a.length(); i++) {
            d[i][0] = i;
        }
        for (int j = 0; j <= b.length(); j++) {
            d[0][j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            for (int j = 1; j <= b.length(); j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                d[i][j] = Math.min(Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1), d[i - 1][j - 1] + cost);
                if (i > 1 && j > 1 && a.charAt(i - 1) == b.charAt(j - 2) && a.charAt(i - 2) == b.charAt(j - 1)) {
                    d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
                }
            }
        }
        return d[a.length()][b.length()];
    }
}
