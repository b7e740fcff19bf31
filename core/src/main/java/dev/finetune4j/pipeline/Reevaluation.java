package dev.finetune4j.pipeline;

import com.fasterxml.jackson.databind.JsonNode;
import dev.finetune4j.eval.Bootstrap;
import dev.finetune4j.eval.Calibration;
import dev.finetune4j.eval.Metric;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * An exported model measured on newly labelled data ({@code ft4j eval}), beside the test metrics
 * recorded when it was exported. A new fine-tune is due when the recorded macro F1 lies above the
 * 95 % bootstrap interval of the new data's: the model is doing worse on it than chance alone
 * explains (the data has drifted, or is unlike the training data).
 */
public record Reevaluation(Predictor.Scored scored, Double recordedMacroF1, Bootstrap.Interval interval) {
    /** @param finetune4j the export's {@code config.json} section {@code finetune4j} (its {@code metrics.test}) */
    public static Reevaluation of(Predictor.Scored scored, JsonNode finetune4j) {
        JsonNode recorded = finetune4j == null ? null : finetune4j.path("metrics").path("test").get("macro_f1");
        return new Reevaluation(scored, recorded == null || !recorded.isNumber() ? null : recorded.asDouble(),
                Bootstrap.interval(scored.report(), Metric.MACRO_F1, 0));
    }

    public double ece() {
        return Calibration.expectedCalibrationError(scored.probabilities(), scored.gold());
    }

    public boolean fineTuneDue() {
        return recordedMacroF1 != null && recordedMacroF1 > interval.high();
    }

    /** What to tell the user, one line. */
    public String verdict() {
        double now = scored.report().macro().f1();
        String measured = String.format(Locale.ROOT, "macro_f1 %.4f on these %d examples (95%% interval %.4f to %.4f)",
                now, interval.n(), interval.low(), interval.high());
        if (recordedMacroF1 == null) return measured + "; the export records no test metrics to compare with";
        String vs = String.format(Locale.ROOT, "%s vs %.4f on the test split at export", measured, recordedMacroF1);
        if (fineTuneDue()) {
            return vs + ": worse than chance explains — fine-tune again with this data"
                    + " (ft4j train with the export as model and train.rehearsal to keep the old data in)";
        }
        return vs + ": within what chance explains; no new fine-tune is needed yet";
    }

    /** {@code ft4j eval --output}: the {@code test} section as training writes it, calibration, and the comparison. */
    public Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("test", scored.report().toMap());
        Map<String, Object> calibration = new LinkedHashMap<>();
        calibration.put("ece", ece());
        calibration.put("reliability", Calibration.binsMap(Calibration.reliability(scored.probabilities(), scored.gold())));
        m.put("calibration", calibration);
        Map<String, Object> compared = new LinkedHashMap<>();
        compared.put("recorded_test_macro_f1", recordedMacroF1);
        compared.put("macro_f1", scored.report().macro().f1());
        compared.put("interval", Diagnostics.intervalMap(interval));
        compared.put("fine_tune_due", fineTuneDue());
        compared.put("verdict", verdict());
        m.put("compared_with_export", compared);
        return m;
    }
}
