package dev.finetune4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.finetune4j.train.TrainingListener.Step;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The plain progress lines: a resumed run's ETA counts only the steps this process made. */
class ConsoleProgressTest {
    private long now;

    private String run(long firstStep) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        ConsoleProgress p = new ConsoleProgress(new PrintStream(bytes, true, StandardCharsets.UTF_8), false, () -> now);
        now = 0;
        p.onStart(1000, 1, 100);
        for (long step = firstStep; step < firstStep + 100; step++) {
            now += 1_000_000_000L; // one step per second
            p.onStep(new Step(step, 1000, 0, 0.5, 1e-5, 1.0, step * 8, 8.0));
        }
        return bytes.toString(StandardCharsets.UTF_8);
    }

    private static String lastLine(String log) {
        String[] lines = log.strip().split("\n");
        return lines[lines.length - 1];
    }

    @Test
    void etaOfAFreshRunIsTheRemainingStepsAtTheMeasuredRate() {
        // after 100 steps in 100 s, 900 remain: 15 minutes
        assertThat(lastLine(run(1))).startsWith("step 100/1000").endsWith("elapsed 1m40s  eta 15m00s");
    }

    @Test
    void etaOfAResumedRunIgnoresTheStepsDoneBeforeTheResume() {
        // resumed after step 700: 100 steps in 100 s here, 200 remain; counting the 700 as done would say 22 s
        assertThat(lastLine(run(701))).startsWith("step 800/1000").endsWith("elapsed 1m40s  eta 3m20s");
    }
}
