package dev.finetune4j.tune;

import static org.assertj.core.api.Assertions.assertThat;

import dev.finetune4j.testing.TinyRun;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A trial stops when its coordinator says so, except after its last evaluation, when there is nothing left to save. */
class TrialTaskTest {
    @TempDir
    static Path tmp;

    static Path tuneFile;

    @BeforeAll
    static void fixture() throws Exception {
        TinyRun.write(tmp, 60);
        tuneFile = TinyRun.writeTuneFile(tmp, "trials: 1", "space:", "  train.learning_rate: {type: uniform, low: 0.001, high: 0.002}");
    }

    private static TrialTask task(int number) {
        return new TrialTask(tuneFile.toString(), List.of(), number, Map.of("train.learning_rate", 0.0015),
                tmp.resolve("study").toString(), "validation.macro_f1", null, false);
    }

    @Test
    void aStopBeforeTheLastEvaluationPrunesTheTrial() {
        List<Long> steps = new ArrayList<>();
        TrialOutcome o = task(0).run(1, "test", (step, value) -> {
            steps.add(step);
            return step < 2;
        });
        assertThat(o.state()).isEqualTo(Trial.State.PRUNED);
        assertThat(steps).containsExactly(1L, 2L);
        assertThat(o.evaluations()).isEqualTo(2);
    }

    @Test
    void aStopAtTheLastEvaluationLetsTheTrialComplete() {
        List<Long> steps = new ArrayList<>();
        TrialOutcome o = task(1).run(1, "test", (step, value) -> {
            steps.add(step);
            return step < 3; // the pruner gives up on the third of three epochs
        });
        assertThat(o.state()).isEqualTo(Trial.State.COMPLETE);
        assertThat(steps).containsExactly(1L, 2L, 3L);
        assertThat(o.value()).isNotNull();
        assertThat(o.heapMb()).isPositive();
    }

    /** The second trial reuses the first's token ids (cached in this JVM) and must come out the same. */
    @Test
    void aTrialRunAgainGivesTheSameValue() {
        TrialOutcome first = task(2).run(1, "test", (step, value) -> true);
        TrialOutcome second = task(3).run(1, "test", (step, value) -> true);
        assertThat(first.state()).isEqualTo(Trial.State.COMPLETE);
        assertThat(second.value()).isEqualTo(first.value());
    }
}
