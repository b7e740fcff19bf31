package dev.finetune4j.eval;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.finetune4j.UserError;
import java.util.List;
import org.junit.jupiter.api.Test;

class MetricTest {
    @Test
    void higherIsBetterNeedsToBeatBestByMoreThanMinDelta() {
        assertThat(Metric.ACCURACY.isImprovement(0.81, 0.80, 0.0)).isTrue();
        assertThat(Metric.ACCURACY.isImprovement(0.80, 0.80, 0.0)).isFalse();
        assertThat(Metric.ACCURACY.isImprovement(0.79, 0.80, 0.0)).isFalse();
        assertThat(Metric.MACRO_F1.isImprovement(0.805, 0.80, 0.01)).isFalse();
        assertThat(Metric.MACRO_F1.isImprovement(0.82, 0.80, 0.01)).isTrue();
    }

    @Test
    void lowerIsBetterForLoss() {
        assertThat(Metric.LOSS.higherIsBetter()).isFalse();
        assertThat(Metric.LOSS.isImprovement(0.30, 0.40, 0.0)).isTrue();
        assertThat(Metric.LOSS.isImprovement(0.40, 0.40, 0.0)).isFalse();
        assertThat(Metric.LOSS.isImprovement(0.50, 0.40, 0.0)).isFalse();
        assertThat(Metric.LOSS.isImprovement(0.395, 0.40, 0.01)).isFalse();
        assertThat(Metric.LOSS.isImprovement(0.38, 0.40, 0.01)).isTrue();
    }

    @Test
    void worstValueAndNaNHandling() {
        for (Metric m : Metric.values()) {
            assertThat(m.isImprovement(0.5, m.worstValue(), 0.0)).as(m.key()).isTrue();
            assertThat(m.isImprovement(0.5, Double.NaN, 0.0)).as(m.key()).isTrue();
            assertThat(m.isImprovement(Double.NaN, 0.5, 0.0)).as(m.key()).isFalse();
        }
        assertThatThrownBy(() -> Metric.ACCURACY.isImprovement(1, 0, -0.1)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void parseAcceptsKeysCaseInsensitively() {
        assertThat(Metric.parse("accuracy")).isEqualTo(Metric.ACCURACY);
        assertThat(Metric.parse(" Macro-F1 ")).isEqualTo(Metric.MACRO_F1);
        assertThat(Metric.parse("weighted_f1")).isEqualTo(Metric.WEIGHTED_F1);
        assertThat(Metric.parse("LOSS")).isEqualTo(Metric.LOSS);
        assertThat(Metric.parse("roc_auc")).isEqualTo(Metric.ROC_AUC);
        for (Metric m : Metric.values()) assertThat(Metric.parse(m.key())).isEqualTo(m);
    }

    @Test
    void parseListsAllowedNamesOnError() {
        assertThatThrownBy(() -> Metric.parse("f1"))
                .isInstanceOf(UserError.class)
                .hasMessage("unknown metric 'f1'; allowed: accuracy, macro_f1, weighted_f1, loss, roc_auc");
    }

    @Test
    void valueReadsTheReport() {
        float[][] p = {{0.9f, 0.1f}, {0.6f, 0.4f}, {0.65f, 0.35f}, {0.2f, 0.8f}};
        ClassificationReport r = ClassificationMetrics.compute(new int[] {0, 0, 1, 1}, new int[] {0, 0, 0, 1}, p, List.of("ham", "spam"));
        assertThat(Metric.ACCURACY.value(r)).isEqualTo(0.75);
        assertThat(Metric.MACRO_F1.value(r)).isEqualTo(r.macro().f1());
        assertThat(Metric.WEIGHTED_F1.value(r)).isEqualTo(r.weighted().f1());
        assertThat(Metric.ROC_AUC.value(r)).isEqualTo(0.75);
        assertThat(Metric.LOSS.value(r)).isEqualTo(r.loss());
        assertThat(r.toMap()).containsKeys(Metric.ACCURACY.key(), Metric.MACRO_F1.key(), Metric.WEIGHTED_F1.key(),
                Metric.LOSS.key(), Metric.ROC_AUC.key());
    }

    @Test
    void missingValuesAreReportedClearly() {
        ClassificationReport noProbs = ClassificationMetrics.compute(new int[] {0, 1, 2}, new int[] {0, 1, 1}, List.of("a", "b", "c"));
        assertThat(Metric.ROC_AUC.isAvailable(noProbs)).isFalse();
        assertThat(Metric.LOSS.isAvailable(noProbs)).isFalse();
        assertThat(Metric.ACCURACY.isAvailable(noProbs)).isTrue();
        assertThatThrownBy(() -> Metric.ROC_AUC.value(noProbs)).hasMessageContaining("2 classes only");
        assertThatThrownBy(() -> Metric.LOSS.value(noProbs)).hasMessageContaining("no probabilities");
    }
}
