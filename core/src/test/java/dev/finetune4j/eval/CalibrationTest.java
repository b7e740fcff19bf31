package dev.finetune4j.eval;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class CalibrationTest {

    @Test
    void expectedCalibrationErrorMatchesTheHandComputedValue() {
        float[][] p = {{0.9f, 0.1f}, {0.92f, 0.08f}, {0.05f, 0.95f}, {0.55f, 0.45f}, {0.3f, 0.7f}};
        int[] gold = {0, 1, 0, 0, 1};
        // bin 13 (0.867, 0.933]: 0.9 right, 0.92 wrong -> |0.5 - 0.91| * 2/5; bin 14: 0.95 wrong -> 0.95/5;
        // bin 8: 0.55 right -> 0.45/5; bin 10: 0.7 right -> 0.3/5
        assertThat(Calibration.expectedCalibrationError(p, gold)).isCloseTo((2 * 0.41 + 0.95 + 0.45 + 0.3) / 5, within(1e-6));
        List<Calibration.Bin> bins = Calibration.reliability(p, gold);
        assertThat(bins).hasSize(Calibration.BINS);
        assertThat(bins.get(13).count()).isEqualTo(2);
        assertThat(bins.get(13).accuracy()).isEqualTo(0.5);
        assertThat(bins.get(13).confidence()).isCloseTo(0.91, within(1e-6));
        assertThat(bins.get(0).count()).isZero();
        assertThat(Calibration.binsMap(bins)).hasSize(4);
    }

    @Test
    void perfectlyCalibratedPredictionsHaveNearZeroError() {
        Random random = new Random(7);
        int n = 50_000;
        float[][] p = new float[n][];
        int[] gold = new int[n];
        for (int i = 0; i < n; i++) {
            float q = 0.5f + 0.5f * random.nextFloat();
            p[i] = new float[] {q, 1 - q};
            gold[i] = random.nextDouble() < q ? 0 : 1;
        }
        assertThat(Calibration.expectedCalibrationError(p, gold)).isLessThan(0.01);
    }

    @Test
    void temperatureFitRecoversTheTemperatureTheLabelsWereDrawnWith() {
        Random random = new Random(11);
        int n = 40_000;
        int k = 4;
        double trueTemperature = 2.5;
        float[][] overconfident = new float[n][k];
        int[] gold = new int[n];
        for (int i = 0; i < n; i++) {
            double[] z = new double[k];
            for (int j = 0; j < k; j++) z[j] = 3 * random.nextGaussian();
            overconfident[i] = softmax(z, 1);
            float[] truth = softmax(z, trueTemperature);
            double u = random.nextDouble();
            int label = 0;
            for (double c = truth[0]; c < u && label < k - 1; c += truth[++label]) {}
            gold[i] = label;
        }
        double t = Calibration.fitTemperature(overconfident, gold);
        assertThat(t).isCloseTo(trueTemperature, within(0.1));
        float[][] scaled = Calibration.scale(overconfident, t);
        assertThat(Calibration.negativeLogLikelihood(scaled, gold))
                .isLessThan(Calibration.negativeLogLikelihood(overconfident, gold))
                .isLessThanOrEqualTo(Calibration.negativeLogLikelihood(Calibration.scale(overconfident, t * 1.05), gold))
                .isLessThanOrEqualTo(Calibration.negativeLogLikelihood(Calibration.scale(overconfident, t / 1.05), gold));
        assertThat(Calibration.expectedCalibrationError(scaled, gold))
                .isLessThan(Calibration.expectedCalibrationError(overconfident, gold) / 3);
        assertThat(ClassificationMetrics.argmax(scaled)).isEqualTo(ClassificationMetrics.argmax(overconfident));
    }

    @Test
    void scalingByTemperatureMatchesSoftmaxOfScaledLogits() {
        double[] z = {1.0, -0.5, 2.0};
        float[][] p = {softmax(z, 1)};
        assertThat(Calibration.scale(p, 2.0)[0]).containsExactly(softmax(z, 2.0), within(1e-6f));
        assertThat(Calibration.scale(p, 1.0)).isSameAs(p);
    }

    @Test
    void thresholdMovesOnlyForAGain() {
        // positives score 0.30..0.45, negatives 0.00..0.25: separable at about 0.275, not at 0.5
        float[][] p = new float[20][];
        int[] gold = new int[20];
        for (int i = 0; i < 10; i++) {
            float neg = 0.025f * i;
            float pos = 0.30f + 0.015f * i;
            p[i] = new float[] {1 - neg, neg};
            p[10 + i] = new float[] {1 - pos, pos};
            gold[10 + i] = 1;
        }
        List<String> labels = List.of("no", "yes");
        double t = Calibration.tuneThreshold(p, gold, labels, Metric.MACRO_F1);
        assertThat(t).isBetween(0.225, 0.30);
        assertThat(ClassificationMetrics.compute(gold, Calibration.decide(p, t), labels).macro().f1()).isEqualTo(1.0);
        assertThat(ClassificationMetrics.compute(gold, Calibration.decide(p, 0.5), labels).macro().f1()).isLessThan(0.5);

        float[][] separableAtHalf = {{0.9f, 0.1f}, {0.7f, 0.3f}, {0.2f, 0.8f}, {0.4f, 0.6f}};
        assertThat(Calibration.tuneThreshold(separableAtHalf, new int[] {0, 0, 1, 1}, labels, Metric.ACCURACY))
                .isEqualTo(0.5);
    }

    private static float[] softmax(double[] z, double temperature) {
        double max = Double.NEGATIVE_INFINITY;
        for (double v : z) max = Math.max(max, v / temperature);
        double sum = 0;
        double[] e = new double[z.length];
        for (int j = 0; j < z.length; j++) sum += e[j] = Math.exp(z[j] / temperature - max);
        float[] out = new float[z.length];
        for (int j = 0; j < z.length; j++) out[j] = (float) (e[j] / sum);
        return out;
    }
}
