package dev.finetune4j.eval;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.List;
import java.util.Map;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.Test;

class ClassificationMetricsTest {
    private static final Offset<Double> EPS = within(1e-4);

    /** scikit-learn's classification_report docs example. */
    @Test
    void matchesScikitLearnReportExample() {
        int[] gold = {0, 1, 2, 2, 2};
        int[] pred = {0, 0, 2, 2, 1};
        ClassificationReport r = ClassificationMetrics.compute(gold, pred, List.of("class 0", "class 1", "class 2"));

        assertThat(r.n()).isEqualTo(5);
        assertThat(r.accuracy()).isCloseTo(0.6, EPS);
        assertThat(r.perClass()).extracting(ClassificationReport.ClassStats::precision)
                .containsExactly(0.5, 0.0, 1.0);
        assertThat(r.perClass().get(0).recall()).isCloseTo(1.0, EPS);
        assertThat(r.perClass().get(1).recall()).isCloseTo(0.0, EPS);
        assertThat(r.perClass().get(2).recall()).isCloseTo(0.6667, EPS);
        assertThat(r.perClass().get(0).f1()).isCloseTo(0.6667, EPS);
        assertThat(r.perClass().get(1).f1()).isCloseTo(0.0, EPS);
        assertThat(r.perClass().get(2).f1()).isCloseTo(0.8, EPS);
        assertThat(r.perClass()).extracting(ClassificationReport.ClassStats::support).containsExactly(1, 1, 3);

        assertThat(r.macro().precision()).isCloseTo(0.5, EPS);
        assertThat(r.macro().recall()).isCloseTo(0.5556, EPS);
        assertThat(r.macro().f1()).isCloseTo(0.4889, EPS);
        assertThat(r.weighted().precision()).isCloseTo(0.7, EPS);
        assertThat(r.weighted().recall()).isCloseTo(0.6, EPS);
        assertThat(r.weighted().f1()).isCloseTo(0.6133, EPS);

        assertThat(r.confusionMatrix()).isDeepEqualTo(new int[][] {{1, 0, 0}, {1, 0, 0}, {0, 1, 2}});
        assertThat(r.count(2, 1)).isEqualTo(1);
        assertThat(r.rocAuc()).isNull();
        assertThat(r.loss()).isNull();
    }

    @Test
    void classNeverPredictedAndClassAbsentFromGoldScoreZeroAndCountInMacro() {
        // "b" occurs in gold but is never predicted; "c" is predicted but never in gold; "d" occurs nowhere.
        int[] gold = {0, 0, 1, 1};
        int[] pred = {0, 0, 0, 2};
        ClassificationReport r = ClassificationMetrics.compute(gold, pred, List.of("a", "b", "c", "d"));

        assertThat(r.stats("a").precision()).isCloseTo(2.0 / 3, EPS);
        assertThat(r.stats("a").recall()).isCloseTo(1.0, EPS);
        assertThat(r.stats("a").f1()).isCloseTo(0.8, EPS);
        for (String l : List.of("b", "c", "d")) {
            assertThat(r.stats(l).precision()).as(l).isZero();
            assertThat(r.stats(l).recall()).as(l).isZero();
            assertThat(r.stats(l).f1()).as(l).isZero();
        }
        assertThat(r.stats("c").support()).isZero();
        assertThat(r.stats("d").support()).isZero();
        // macro over all 4 labels, weighted by support (only a and b have support)
        assertThat(r.macro().f1()).isCloseTo(0.8 / 4, EPS);
        assertThat(r.macro().precision()).isCloseTo((2.0 / 3) / 4, EPS);
        assertThat(r.weighted().f1()).isCloseTo(0.8 * 2 / 4, EPS);
        assertThat(r.accuracy()).isCloseTo(0.5, EPS);
    }

    @Test
    void perfectPredictionsScoreOne() {
        int[] y = {0, 1, 1, 0, 1};
        ClassificationReport r = ClassificationMetrics.compute(y, y, List.of("ham", "spam"));
        assertThat(r.accuracy()).isEqualTo(1.0);
        assertThat(r.macro().f1()).isEqualTo(1.0);
        assertThat(r.weighted().f1()).isEqualTo(1.0);
    }

    @Test
    void rocAucMatchesScikitLearnExample() {
        // sklearn roc_auc_score docs: y=[0,0,1,1], scores=[0.1,0.4,0.35,0.8] -> 0.75
        float[][] p = probs(0.1f, 0.4f, 0.35f, 0.8f);
        int[] gold = {0, 0, 1, 1};
        ClassificationReport r = ClassificationMetrics.compute(gold, ClassificationMetrics.argmax(p), p, List.of("neg", "pos"));
        assertThat(r.rocAuc()).isCloseTo(0.75, EPS);
    }

    @Test
    void rocAucGivesTiesHalfCredit() {
        // pairs (pos, neg): 0.5 vs 0.5 tie = 0.5, 0.5 vs 0.2 = 1, 0.9 vs both = 2 -> 3.5 / 4
        assertThat(ClassificationMetrics.rocAuc(new boolean[] {false, true, false, true}, new double[] {0.5, 0.5, 0.2, 0.9}))
                .isCloseTo(0.875, EPS);
        // all scores equal -> 0.5
        assertThat(ClassificationMetrics.rocAuc(new boolean[] {false, true, true, false, true}, new double[] {0.3, 0.3, 0.3, 0.3, 0.3}))
                .isCloseTo(0.5, EPS);
        // perfectly reversed -> 0
        assertThat(ClassificationMetrics.rocAuc(new boolean[] {true, false}, new double[] {0.1, 0.9})).isCloseTo(0.0, EPS);
    }

    @Test
    void rocAucIsNullForSingleClassGoldOrMoreThanTwoClasses() {
        float[][] p = probs(0.2f, 0.7f, 0.9f);
        ClassificationReport single = ClassificationMetrics.compute(new int[] {1, 1, 1}, new int[] {0, 1, 1}, p, List.of("ham", "spam"));
        assertThat(single.rocAuc()).isNull();
        assertThat(single.loss()).isNotNull();

        float[][] p3 = {{0.8f, 0.1f, 0.1f}, {0.1f, 0.8f, 0.1f}};
        ClassificationReport multi = ClassificationMetrics.compute(new int[] {0, 1}, new int[] {0, 1}, p3, List.of("a", "b", "c"));
        assertThat(multi.rocAuc()).isNull();
        assertThat(multi.toMap()).doesNotContainKey("roc_auc");
    }

    @Test
    void lossIsMeanCrossEntropyWithClamp() {
        float[][] p = {{0.9f, 0.1f}, {0.2f, 0.8f}};
        ClassificationReport r = ClassificationMetrics.compute(new int[] {0, 1}, new int[] {0, 1}, p, List.of("a", "b"));
        assertThat(r.loss()).isCloseTo((-Math.log(0.9) - Math.log(0.8)) / 2, within(1e-6));

        float[][] sure = {{1f, 0f}};
        ClassificationReport wrong = ClassificationMetrics.compute(new int[] {1}, new int[] {0}, sure, List.of("a", "b"));
        assertThat(wrong.loss()).isCloseTo(-Math.log(1e-12), within(1e-9));
        assertThat(wrong.loss()).isFinite();
    }

    @Test
    void argmaxTakesFirstOnTies() {
        assertThat(ClassificationMetrics.argmax(new float[][] {{0.1f, 0.9f}, {0.5f, 0.5f}, {0.2f, 0.3f, 0.5f}}))
                .containsExactly(1, 0, 2);
    }

    @Test
    void rejectsBadInput() {
        List<String> ab = List.of("a", "b");
        assertThatThrownBy(() -> ClassificationMetrics.compute(new int[] {0, 1}, new int[] {0}, ab))
                .hasMessageContaining("2 gold labels but 1 predictions");
        assertThatThrownBy(() -> ClassificationMetrics.compute(new int[0], new int[0], ab))
                .hasMessageContaining("no examples");
        assertThatThrownBy(() -> ClassificationMetrics.compute(new int[] {2}, new int[] {0}, ab))
                .hasMessageContaining("gold[0] = 2");
        assertThatThrownBy(() -> ClassificationMetrics.compute(new int[] {0}, new int[] {-1}, ab))
                .hasMessageContaining("predicted[0] = -1");
        assertThatThrownBy(() -> ClassificationMetrics.compute(new int[] {0}, new int[] {0}, List.of("a", "a")))
                .hasMessageContaining("duplicate label name 'a'");
        assertThatThrownBy(() -> ClassificationMetrics.compute(new int[] {0}, new int[] {0}, new float[][] {{1f}}, ab))
                .hasMessageContaining("has 1 values, expected 2");
        assertThatThrownBy(() -> ClassificationMetrics.compute(new int[] {0}, new int[] {0}, new float[][] {{Float.NaN, 1f}}, ab))
                .hasMessageContaining("NaN");
    }

    @Test
    void reportIsImmutable() {
        int[][] cm;
        ClassificationReport r = ClassificationMetrics.compute(new int[] {0, 1}, new int[] {0, 1}, List.of("a", "b"));
        cm = r.confusionMatrix();
        cm[0][0] = 99;
        assertThat(r.count(0, 0)).isEqualTo(1);
        assertThatThrownBy(() -> r.labels().add("c")).isInstanceOf(UnsupportedOperationException.class);
        assertThat(r).isEqualTo(ClassificationMetrics.compute(new int[] {0, 1}, new int[] {0, 1}, List.of("a", "b")));
    }

    @Test
    void toMapHasTheDocumentedKeysInOrderAndSerializes() throws Exception {
        float[][] p = probs(0.1f, 0.4f, 0.35f, 0.8f);
        ClassificationReport r = ClassificationMetrics.compute(new int[] {0, 0, 1, 1}, ClassificationMetrics.argmax(p), p, List.of("ham", "spam"));
        Map<String, Object> m = r.toMap();
        assertThat(m.keySet()).containsExactly("accuracy", "macro_precision", "macro_recall", "macro_f1",
                "weighted_precision", "weighted_recall", "weighted_f1", "roc_auc", "loss", "n", "per_class", "confusion_matrix");
        assertThat((Double) m.get("roc_auc")).isCloseTo(0.75, EPS);
        assertThat(m.get("n")).isEqualTo(4);

        String json = new ObjectMapper().writeValueAsString(m);
        assertThat(json).contains("\"per_class\":{\"ham\":{\"precision\":")
                .contains("\"confusion_matrix\":{\"labels\":[\"ham\",\"spam\"],\"matrix\":[[2,0],[1,1]]}");

        ClassificationReport noProbs = ClassificationMetrics.compute(new int[] {0, 1}, new int[] {0, 1}, List.of("ham", "spam"));
        assertThat(noProbs.toMap()).containsEntry("roc_auc", null).doesNotContainKey("loss");
    }

    @Test
    void tableShowsNumbersAndConfusionMatrix() {
        ClassificationReport r = ClassificationMetrics.compute(new int[] {0, 1, 2, 2, 2}, new int[] {0, 0, 2, 2, 1},
                List.of("cat", "dog", "a rather long label name that goes on and on"));
        String t = r.toTable();
        assertThat(t).contains("precision", "recall", "f1-score", "support")
                .contains("0.5000", "0.6667", "0.8000")       // per class
                .contains("0.6000")                            // accuracy
                .contains("0.4889", "0.6133")                  // macro / weighted f1
                .contains("accuracy", "macro avg", "weighted avg")
                .contains("confusion matrix (rows = true, columns = predicted)")
                .contains("a rather long label na..")
                .doesNotContain("goes on and on");
        assertThat(t.lines().filter(l -> l.startsWith("cat ")).toList())
                .anySatisfy(l -> assertThat(l).matches("cat\\s+1\\s+0\\s+0"));
        assertThat(t.lines().filter(l -> l.startsWith("a rather l")).toList())
                .anySatisfy(l -> assertThat(l).matches("a rather l\\.\\.\\s+0\\s+1\\s+2"));
        assertThat(t).doesNotContain("roc auc");
    }

    @Test
    void tableShowsAucAndLossWhenPresent() {
        float[][] p = probs(0.1f, 0.4f, 0.35f, 0.8f);
        ClassificationReport r = ClassificationMetrics.compute(new int[] {0, 0, 1, 1}, ClassificationMetrics.argmax(p), p, List.of("ham", "spam"));
        assertThat(r.toTable()).contains("roc auc", "0.7500", "(positive class: spam)", "loss");
    }

    /** Two-class probabilities from the probability of class 1. */
    private static float[][] probs(float... p1) {
        float[][] p = new float[p1.length][];
        for (int i = 0; i < p1.length; i++) p[i] = new float[] {1 - p1[i], p1[i]};
        return p;
    }
}
