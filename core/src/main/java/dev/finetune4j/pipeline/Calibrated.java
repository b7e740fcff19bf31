package dev.finetune4j.pipeline;

import com.fasterxml.jackson.databind.JsonNode;
import dev.finetune4j.eval.Calibration;
import dev.finetune4j.eval.Metric;
import dev.finetune4j.recipe.EvalConfig;
import dev.finetune4j.train.Evaluator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * How a trained model's probabilities become answers: a temperature that calibrates them (1: as
 * the model gives them) and, for binary tasks, the threshold on the positive class's probability
 * (null: the most probable class). Fitted on validation by {@link #fit}, stored with the export
 * under {@code finetune4j.calibration}, and applied by every {@link Predictor} that
 * {@link Modalities#load} returns.
 */
public record Calibrated(double temperature, Double threshold) {
    public static final Calibrated NONE = new Calibrated(1, null);

    public Calibrated {
        if (!(temperature > 0) || Double.isInfinite(temperature)) {
            throw new IllegalArgumentException("temperature must be a positive number, got " + temperature);
        }
        if (threshold != null && !(threshold > 0 && threshold < 1)) {
            throw new IllegalArgumentException("threshold must be in (0, 1), got " + threshold);
        }
    }

    /**
     * The temperature (when {@code eval.calibrate}) and threshold (binary tasks, when
     * {@code eval.tune_threshold}) that suit {@code probabilities} of validation examples with labels
     * {@code gold}; the threshold maximises {@code metric}, chosen on the calibrated probabilities.
     */
    public static Calibrated fit(EvalConfig eval, Metric metric, float[][] probabilities, int[] gold, List<String> labels) {
        if (probabilities.length == 0) return NONE;
        double t = eval.calibrate() ? Calibration.fitTemperature(probabilities, gold) : 1;
        Double threshold = eval.tuneThreshold() && labels.size() == 2
                ? Calibration.tuneThreshold(Calibration.scale(probabilities, t), gold, labels, metric) : null;
        return new Calibrated(t, threshold == null || threshold == 0.5 ? null : threshold);
    }

    /** What an export's {@code finetune4j.calibration} says; {@link #NONE} when it is missing. */
    public static Calibrated of(JsonNode calibration) {
        if (calibration == null || !calibration.isObject()) return NONE;
        JsonNode threshold = calibration.path("threshold");
        return new Calibrated(calibration.path("temperature").asDouble(1),
                threshold.isNumber() ? threshold.asDouble() : null);
    }

    public boolean isIdentity() {
        return temperature == 1 && threshold == null;
    }

    public float[][] probabilities(float[][] raw) {
        return Calibration.scale(raw, temperature);
    }

    /** The predicted class of each row of calibrated probabilities. */
    public int[] decide(float[][] calibrated) {
        return threshold == null ? Evaluator.argmax(calibrated) : Calibration.decide(calibrated, threshold);
    }

    /** For the export's config.json. */
    public Map<String, Object> toMap(List<String> labels) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("temperature", temperature);
        m.put("threshold", threshold);
        if (threshold != null) m.put("positive_label", labels.get(1));
        return m;
    }
}
