package dev.finetune4j.serve;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.finetune4j.pipeline.Predictor.Prediction;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PredictionWindowTest {
    private static Prediction p(String label, double top) {
        return new Prediction(label, Map.of(label, top, "other", 1 - top));
    }

    @Test
    void theWindowKeepsTheLastPredictionsOnly() {
        PredictionWindow w = new PredictionWindow(3);
        w.record(List.of(p("ham", 0.9), p("ham", 0.95)));
        w.record(List.of(p("spam", 0.55), p("spam", 0.7))); // the first ham drops out
        Map<String, Object> s = w.snapshot();
        assertThat(s).containsEntry("n", 3).containsEntry("size", 3);
        @SuppressWarnings("unchecked")
        Map<String, Object> labels = (Map<String, Object>) s.get("labels");
        assertThat((double) labels.get("spam")).isCloseTo(2 / 3.0, within(1e-12));
        assertThat((double) labels.get("ham")).isCloseTo(1 / 3.0, within(1e-12));
        @SuppressWarnings("unchecked")
        Map<String, Object> confidence = (Map<String, Object>) s.get("confidence");
        assertThat((double) confidence.get("mean")).isCloseTo((0.95 + 0.55 + 0.7) / 3, within(1e-12));
        assertThat((double) confidence.get("below_0.6")).isCloseTo(1 / 3.0, within(1e-12));
        assertThat((double) confidence.get("p10")).isEqualTo(0.55);
    }
}
