package dev.finetune4j.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

/** The schedules point by point, against the values of PyTorch's definitions. */
class LearningRateScheduleTest {
    @Test
    void oneCycleIsPyTorchsOneCycleLrRelativeToThePeak() {
        // torch.optim.lr_scheduler.OneCycleLR(max_lr=1, total_steps=10, pct_start=0.3), cosine, two phases
        double[] torch = {0.040000000000000036, 0.52, 1.0, 0.9504846320134737, 0.8117456539497631, 0.6112620219362893,
                0.38874197806371075, 0.18825834605023697, 0.049519367986526286, 4e-06};
        LearningRateSchedule s = LearningRateSchedule.of(Schedule.ONE_CYCLE, 3, 10);
        for (int step = 0; step < torch.length; step++) {
            assertThat(s.factor(step)).as("step %d", step).isCloseTo(torch[step], within(1e-12));
        }
    }

    @Test
    void oneCycleWithoutWarmupStartsAtThePeakAndAOneStepWarmupPeaksAtOnce() {
        assertThat(LearningRateSchedule.of(Schedule.ONE_CYCLE, 0, 10).factor(0))
                .isCloseTo(0.5 * (1 + Math.cos(Math.PI / 10)), within(1e-6)); // phase two from step -1, as PyTorch
        assertThat(LearningRateSchedule.of(Schedule.ONE_CYCLE, 1, 10).factor(0)).isEqualTo(1.0);
        assertThat(LearningRateSchedule.of(Schedule.ONE_CYCLE, 1, 10).factor(9)).isCloseTo(4e-6, within(1e-15));
    }

    @Test
    void stepDecaysByGammaEveryStepSizeEpochsAfterTheWarmup() {
        // 5 steps an epoch, gamma 0.1 every 2 epochs, 2 warmup steps: StepLR(step_size=2, gamma=0.1) stepped per epoch
        LearningRateSchedule s = LearningRateSchedule.of(Schedule.STEP, 2, 30, 5, 0.1, 2);
        assertThat(s.factor(0)).isEqualTo(0.0);
        assertThat(s.factor(1)).isEqualTo(0.5);
        assertThat(s.factor(2)).isEqualTo(1.0);
        assertThat(s.factor(9)).isEqualTo(1.0);
        assertThat(s.factor(10)).isCloseTo(0.1, within(1e-15));
        assertThat(s.factor(19)).isCloseTo(0.1, within(1e-15));
        assertThat(s.factor(20)).isCloseTo(0.01, within(1e-15));
    }

    @Test
    void exponentialDecaysByGammaEachEpoch() {
        // ExponentialLR(gamma=0.9) stepped per epoch, 4 steps an epoch, no warmup
        LearningRateSchedule s = LearningRateSchedule.of(Schedule.EXPONENTIAL, 0, 40, 4, 0.9, 1);
        assertThat(s.factor(0)).isEqualTo(1.0);
        assertThat(s.factor(3)).isEqualTo(1.0);
        assertThat(s.factor(4)).isCloseTo(0.9, within(1e-15));
        assertThat(s.factor(39)).isCloseTo(Math.pow(0.9, 9), within(1e-15));
    }

    @Test
    void linearCosineAndConstantAreHuggingFacesWithWarmup() {
        LearningRateSchedule linear = LearningRateSchedule.of(Schedule.LINEAR, 10, 110);
        assertThat(linear.factor(0)).isEqualTo(0.0);
        assertThat(linear.factor(5)).isEqualTo(0.5);
        assertThat(linear.factor(10)).isEqualTo(1.0);
        assertThat(linear.factor(60)).isEqualTo(0.5);
        assertThat(linear.factor(110)).isEqualTo(0.0);
        LearningRateSchedule cosine = LearningRateSchedule.of(Schedule.COSINE, 10, 110);
        assertThat(cosine.factor(5)).isEqualTo(0.5);
        assertThat(cosine.factor(60)).isCloseTo(0.5, within(1e-12));
        assertThat(cosine.factor(110)).isCloseTo(0.0, within(1e-12));
        LearningRateSchedule constant = LearningRateSchedule.of(Schedule.CONSTANT, 10, 110);
        assertThat(constant.factor(5)).isEqualTo(0.5);
        assertThat(constant.factor(99)).isEqualTo(1.0);
    }
}
