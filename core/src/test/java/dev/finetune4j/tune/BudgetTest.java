package dev.finetune4j.tune;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.finetune4j.UserError;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The budget logic of {@code ft4j auto} on a fake clock: what fits, when a study stops starting and running trials. */
class BudgetTest {
    /** A clock that moves only when told to. */
    static final class FakeClock {
        final AtomicLong nanos = new AtomicLong(1_000_000_000L);

        long now() {
            return nanos.get();
        }

        void advance(double seconds) {
            nanos.addAndGet((long) (seconds * 1e9));
        }
    }

    @Test
    void durationsParseInHoursMinutesAndSeconds() {
        assertThat(Budget.parse("20m", "--budget")).isEqualTo(1200);
        assertThat(Budget.parse("90s", "--budget")).isEqualTo(90);
        assertThat(Budget.parse("1h30m", "--budget")).isEqualTo(5400);
        assertThat(Budget.parse("1.5h", "--budget")).isEqualTo(5400);
        assertThatThrownBy(() -> Budget.parse("20", "--budget")).isInstanceOf(UserError.class)
                .hasMessageContaining("--budget '20' is not a duration: write it as 20m");
        assertThatThrownBy(() -> Budget.parse("0m", "--budget")).isInstanceOf(UserError.class);
        assertThatThrownBy(() -> Budget.parse("20m tomorrow", "--budget")).isInstanceOf(UserError.class);
    }

    @Test
    void whatWasSpentBeforeAResumeCountsAndWorkFitsOnlyWithItsReserve() {
        FakeClock clock = new FakeClock();
        Budget budget = new Budget(600, 100, clock::now);
        assertThat(budget.spent()).isEqualTo(100);
        clock.advance(200);
        assertThat(budget.spent()).isCloseTo(300, within(1e-9));
        assertThat(budget.remaining()).isCloseTo(300, within(1e-9));
        assertThat(budget.fits(200, 100)).isTrue();
        assertThat(budget.fits(200, 101)).isFalse();
        clock.advance(300);
        assertThat(budget.exhausted()).isTrue();
    }

    @Test
    void aTrialStartsOnlyWhenItsExpectedLengthFitsBesideTheRunningOnes() {
        FakeClock clock = new FakeClock();
        Budget budget = new Budget(1000, 0, clock::now);
        // no trial finished yet: the plan's estimate (300 s) and the 200 s reserve fit in 1,000 s
        assertThat(Study.mayStart(budget, 200, 300, List.of(), 0)).isTrue();
        // two running trials share the cores: a third would take 900 s
        assertThat(Study.mayStart(budget, 200, 300, List.of(), 2)).isFalse();
        clock.advance(400);
        // finished trials took 100 and 300 s: 200 s expected, 600 s left, 200 kept
        assertThat(Study.mayStart(budget, 200, 300, List.of(100.0, 300.0), 0)).isTrue();
        clock.advance(250);
        assertThat(Study.mayStart(budget, 200, 300, List.of(100.0, 300.0), 0)).isFalse();
        // 350 s left. Planned, the final run keeps 330 s back; once trials of 50 s have run, 1.1 x 50 s is kept
        assertThat(Study.mayStart(budget, 330, 50, List.of(), 0)).isFalse();
        assertThat(Study.mayStart(budget, 330, 50, List.of(50.0, 50.0), 0)).isTrue();
        assertThat(Study.mayStart(null, 200, 300, List.of(), 5)).as("no budget, no limit").isTrue();
    }

    @Test
    void aRunningTrialStopsAtItsFirstEvaluationOnceTheBudgetIsSpent(@TempDir Path dir) {
        FakeClock clock = new FakeClock();
        Budget budget = new Budget(100, 0, clock::now);
        SearchConfig config = new SearchConfig("validation.macro_f1", Direction.MAXIMIZE, "random", "none", 10, 0, 0, 1, 3,
                new SearchSpace(List.of(new SearchSpace.Uniform("train.weight_decay", 0, 0.1, null))));
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        try (StudyStore store = new StudyStore(dir.resolve("study.db"))) {
            store.bind("f", "d");
            Trial t = store.start(Map.of("train.weight_decay", 0.05));
            StudyCoordinator coordinator = new StudyCoordinator(store, (trial, step, all, direction) -> false, config,
                    new PrintStream(log, true, StandardCharsets.UTF_8), budget, 30);
            assertThat(coordinator.claim(t.number(), "a")).isTrue();
            clock.advance(60);
            assertThat(coordinator.report(t.number(), "a", 1, 0.5)).as("40 s left, 30 kept: go on").isTrue();
            clock.advance(15);
            assertThat(coordinator.report(t.number(), "a", 2, 0.6)).as("25 s left, 30 kept: stop").isFalse();
        }
        assertThat(log.toString(StandardCharsets.UTF_8)).contains("stopped after evaluation 2: the budget is spent");
    }
}
