package dev.finetune4j.serve;

import dev.finetune4j.pipeline.Predictor.Prediction;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The last {@code size} predictions the server made: the share of each predicted label and the
 * distribution of the confidence (the top label's probability), for {@code GET /v1/stats}. A drift
 * in either, against what the model showed on its test split, says that the traffic has moved away
 * from the training data and a new fine-tune may be due.
 */
final class PredictionWindow {
    static final int DEFAULT_SIZE = 1000;
    /** Below this confidence a prediction counts as uncertain. */
    static final double LOW_CONFIDENCE = 0.6;

    private final String[] labels;
    private final double[] confidence;
    private long seen;

    PredictionWindow(int size) {
        if (size < 1) throw new IllegalArgumentException("window size must be >= 1, got " + size);
        labels = new String[size];
        confidence = new double[size];
    }

    synchronized void record(List<Prediction> predictions) {
        for (Prediction p : predictions) {
            int at = (int) (seen++ % labels.length);
            labels[at] = p.label();
            confidence[at] = p.scores().values().stream().mapToDouble(Double::doubleValue).max().orElse(Double.NaN);
        }
    }

    synchronized Map<String, Object> snapshot() {
        int n = (int) Math.min(seen, labels.length);
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("size", labels.length);
        m.put("n", n);
        Map<String, Integer> counts = new TreeMap<>();
        for (int i = 0; i < n; i++) counts.merge(labels[i], 1, Integer::sum);
        Map<String, Object> shares = new LinkedHashMap<>();
        counts.forEach((label, c) -> shares.put(label, (double) c / n));
        m.put("labels", shares);
        double[] c = Arrays.copyOf(confidence, n);
        Arrays.sort(c);
        Map<String, Object> conf = new LinkedHashMap<>();
        conf.put("mean", n == 0 ? null : Arrays.stream(c).average().orElseThrow());
        conf.put("p10", n == 0 ? null : c[(int) Math.floor(0.1 * (n - 1))]);
        conf.put("p50", n == 0 ? null : c[(int) Math.floor(0.5 * (n - 1))]);
        int low = 0;
        for (double v : c) if (v < LOW_CONFIDENCE) low++;
        conf.put("below_" + LOW_CONFIDENCE, n == 0 ? null : (double) low / n);
        m.put("confidence", conf);
        return m;
    }
}
