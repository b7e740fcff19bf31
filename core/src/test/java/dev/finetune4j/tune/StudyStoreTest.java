package dev.finetune4j.tune;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Attempts: only the attempt holding a running trial records it; a finished trial is never run again. */
class StudyStoreTest {
    @TempDir
    Path tmp;

    private static TrialOutcome complete(double value, String worker) {
        return new TrialOutcome(Trial.State.COMPLETE, value, null, 1.5, 100L, 40L, 2, worker);
    }

    @Test
    void aRetriedAttemptTakesTheTrialOverAndTheLostOneCanNoLongerRecord() {
        try (StudyStore store = new StudyStore(tmp.resolve("study.db"))) {
            int n = store.start(Map.of("lr", 0.1)).number();
            assertThat(store.claim(n, "a1")).isTrue();
            assertThat(store.report(n, "a1", 1, 0.5)).isTrue();
            // the executor running a1 is presumed lost; Spark runs the task again
            assertThat(store.claim(n, "a2")).isTrue();
            assertThat(store.trials().get(0).intermediate()).as("a1's values are dropped").isEmpty();
            assertThat(store.report(n, "a1", 2, 0.9)).isFalse();
            assertThat(store.finish(n, "a1", complete(0.9, "a1"))).isFalse();
            assertThat(store.report(n, "a2", 1, 0.6)).isTrue();
            assertThat(store.finish(n, "a2", complete(0.7, "a2"))).isTrue();

            Trial t = store.trials().get(0);
            assertThat(t.state()).isEqualTo(Trial.State.COMPLETE);
            assertThat(t.value()).isEqualTo(0.7);
            assertThat(t.intermediate()).containsExactly(Map.entry(1L, 0.6));
            Map<String, Object> row = store.rows().get(0);
            assertThat(row).containsEntry("attempts", 2).containsEntry("worker", "a2").containsEntry("refused_attempts", 0);
        }
    }

    @Test
    void aFinishedTrialIsNotClaimedAgainAndTheRefusalIsCounted() {
        try (StudyStore store = new StudyStore(tmp.resolve("study.db"))) {
            int n = store.start(Map.of("lr", 0.1)).number();
            assertThat(store.claim(n, "a1")).isTrue();
            assertThat(store.finish(n, "a1", complete(0.8, "a1"))).isTrue();
            assertThat(store.claim(n, "a2")).isFalse();
            assertThat(store.failIfRunning(n, "job failed")).isFalse();
            assertThat(store.rows().get(0)).containsEntry("state", "COMPLETE").containsEntry("attempts", 1)
                    .containsEntry("refused_attempts", 1);
        }
    }

    @Test
    void aKilledStudysRunningTrialIsRequeuedAndClaimedAfresh() {
        Path db = tmp.resolve("study.db");
        try (StudyStore store = new StudyStore(db)) {
            int n = store.start(Map.of("lr", 0.1)).number();
            store.claim(n, "a1");
            store.report(n, "a1", 1, 0.5);
        }
        try (StudyStore store = new StudyStore(db)) {
            assertThat(store.requeueInterrupted()).isEqualTo(1);
            Trial t = store.startWaiting();
            assertThat(t.number()).isZero();
            assertThat(store.report(0, "a1", 2, 0.6)).as("the killed study's attempt no longer holds it").isFalse();
            assertThat(store.claim(0, "b1")).isTrue();
            assertThat(store.rows().get(0)).containsEntry("attempts", 2);
        }
    }
}
