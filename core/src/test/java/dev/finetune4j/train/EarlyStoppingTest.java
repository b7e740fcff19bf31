package dev.finetune4j.train;

import static org.assertj.core.api.Assertions.assertThat;

import dev.finetune4j.train.EarlyStopping.Decision;
import org.junit.jupiter.api.Test;

class EarlyStoppingTest {
    @Test
    void aTieWithinHalfAnExamplesWorthIsBrokenByTheValidationLoss() {
        // the spam defaults run, 300 validation mails: macro F1 and validation loss of epochs 1 to 3
        EarlyStopping e = new EarlyStopping(true, 2, 0.0, EarlyStopping.tieToleranceFor(300));
        assertThat(e.update(0.9833331481460905, 0.0677, 75)).isEqualTo(Decision.IMPROVED);
        assertThat(e.update(0.9833331481460905, 0.0697, 150)).isEqualTo(Decision.NO_IMPROVEMENT);
        assertThat(e.update(0.9833316664999834, 0.0526, 225)).as("1.5e-6 lower: a tie, and a lower loss")
                .isEqualTo(Decision.IMPROVED);
        assertThat(e.bestStep()).isEqualTo(225);
        assertThat(e.update(0.9800, 0.0400, 300)).as("one example worse: a lower loss does not make up for it")
                .isEqualTo(Decision.NO_IMPROVEMENT);
        assertThat(e.update(0.9834, 0.0600, 375)).as("within the tie, but a higher loss").isEqualTo(Decision.STOP);
    }

    @Test
    void withoutALossOrWithinMinDeltaTiesAreNotImprovements() {
        EarlyStopping e = new EarlyStopping(true, 3, 0.0);
        e.update(0.5, 100);
        assertThat(e.update(0.5, 1)).isEqualTo(Decision.NO_IMPROVEMENT);
        EarlyStopping delta = new EarlyStopping(true, 3, 0.01);
        delta.update(0.5, 0.3, 1);
        assertThat(delta.update(0.505, 0.1, 2)).as("within min_delta but not equal: not a tie").isEqualTo(Decision.NO_IMPROVEMENT);

        EarlyStopping restored = new EarlyStopping(true, 3, 0.0, 1e-9);
        restored.restore(0.9, 0.2, 10, 1);
        assertThat(restored.update(0.9, 0.25, 20)).isEqualTo(Decision.NO_IMPROVEMENT);
        assertThat(restored.update(0.9, 0.15, 30)).isEqualTo(Decision.IMPROVED);
    }
}
