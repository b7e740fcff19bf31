package dev.finetune4j.eval;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class AcrossSeedsTest {
    @Test
    void theIntervalIsStudentsTOnTheMean() {
        // mean 0.9, sample sd 0.02 (values 0.88, 0.90, 0.92), t(0.975, 2) = 4.303: half-width 4.303 * 0.02 / sqrt(3)
        AcrossSeeds.Summary s = AcrossSeeds.of("macro_f1", List.of(0.88, 0.90, 0.92));
        assertThat(s.mean()).isCloseTo(0.90, within(1e-12));
        assertThat(s.std()).isCloseTo(0.02, within(1e-12));
        assertThat(s.high() - s.mean()).isCloseTo(4.303 * 0.02 / Math.sqrt(3), within(1e-12));
        assertThat(s.low()).isCloseTo(0.90 - 0.049690, within(1e-5));
        assertThat(AcrossSeeds.of("x", List.of(0.5)).low()).as("one run has no interval").isNull();
        assertThat(AcrossSeeds.t975(100)).isCloseTo(1.984, within(0.001));
    }

    @Test
    void everyMetricTheSectionsShareIsSummarisedWithEachClasssF1() {
        Map<String, Object> a = Map.of("accuracy", 0.9, "macro_f1", 0.8, "n", 100, "roc_auc", 0.95,
                "per_class", Map.of("ham", Map.of("f1", 0.7), "spam", Map.of("f1", 0.9)));
        Map<String, Object> b = Map.of("accuracy", 0.7, "macro_f1", 0.6, "n", 100,
                "per_class", Map.of("ham", Map.of("f1", 0.5), "spam", Map.of("f1", 0.7)));
        Map<String, AcrossSeeds.Summary> s = AcrossSeeds.ofSections(List.of(a, b));
        assertThat(s).containsKeys("accuracy", "macro_f1", "f1[ham]", "f1[spam]").doesNotContainKeys("n", "roc_auc");
        assertThat(s.get("accuracy").mean()).isCloseTo(0.8, within(1e-12));
        assertThat(s.get("f1[ham]").values()).containsExactly(0.7, 0.5);
    }
}
