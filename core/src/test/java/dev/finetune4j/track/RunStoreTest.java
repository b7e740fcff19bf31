package dev.finetune4j.track;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.groups.Tuple.tuple;

import dev.finetune4j.UserError;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RunStoreTest {
    @TempDir
    Path tmp;

    @Test
    void aRunIsRecordedWithItsMetricsAndFinished() {
        try (RunStore s = new RunStore(tmp.resolve("runs.db"))) {
            String id = s.start(new RunStore.NewRun("Spam full", "train", tmp.resolve("out"), Map.of("seed", 42), null, null));
            assertThat(id).matches("\\d{8}-\\d{6}-spam-full-[0-9a-f]{4}");
            s.record(id, List.of(new RunStore.Point(1, 1, "train.loss", 0.7, 1000), new RunStore.Point(2, 1, "train.loss", 0.6, 1001),
                    new RunStore.Point(2, 1, "validation.macro_f1", 0.8, 1002)));
            // a resumed run records step 2 again: the value is replaced, not duplicated
            s.record(id, List.of(new RunStore.Point(2, 1, "train.loss", 0.55, 2000)));
            s.provenance(id, Map.of("seed", 42));
            s.finish(id, RunStore.Status.FINISHED, Map.of("test.macro_f1", 0.9), Map.of("model", "/x/model"), null);

            RunStore.Run r = s.find(id.substring(0, 20)).orElseThrow();
            assertThat(r.status()).isEqualTo(RunStore.Status.FINISHED);
            assertThat(r.summary()).containsEntry("test.macro_f1", 0.9);
            assertThat(r.recipe()).containsEntry("seed", 42);
            assertThat(r.provenance()).containsEntry("seed", 42);
            assertThat(r.outputDir()).isEqualTo(tmp.resolve("out").toAbsolutePath().toString());
            assertThat(s.points(id)).extracting(RunStore.Point::key, RunStore.Point::step, RunStore.Point::value)
                    .containsExactly(tuple("train.loss", 1L, 0.7), tuple("train.loss", 2L, 0.55),
                            tuple("validation.macro_f1", 2L, 0.8));
            assertThat(s.points(id, 1500)).hasSize(1);
        }
    }

    @Test
    void anAmbiguousPrefixIsAUserError() {
        try (RunStore s = new RunStore(tmp.resolve("runs.db"))) {
            s.start(new RunStore.NewRun("a", "train", tmp, Map.of(), null, null));
            s.start(new RunStore.NewRun("a", "train", tmp, Map.of(), null, null));
            assertThatThrownBy(() -> s.find("2")).isInstanceOf(UserError.class).hasMessageContaining("ambiguous");
            assertThat(s.find("nope")).isEmpty();
        }
    }

    @Test
    void aResumedRunContinuesUnderItsId() {
        try (RunStore s = new RunStore(tmp.resolve("runs.db"))) {
            String id = s.start(new RunStore.NewRun("a", "train", tmp.resolve("out"), Map.of(), null, null));
            s.finish(id, RunStore.Status.FAILED, null, null, "boom");
            assertThat(s.reopen(tmp.resolve("out"))).contains(id);
            assertThat(s.find(id).orElseThrow().status()).isEqualTo(RunStore.Status.RUNNING);
            s.finish(id, RunStore.Status.FINISHED, Map.of(), Map.of(), null);
            assertThat(s.reopen(tmp.resolve("out"))).as("a finished run is not reopened").isEmpty();
        }
    }

    /** A process that recorded a run and died without finishing it: readers see the run as killed. */
    @Test
    void aRunWhoseProcessDiedIsReportedKilled() throws Exception {
        Path db = tmp.resolve("runs.db");
        Process p = new ProcessBuilder(java(), "-cp", System.getProperty("java.class.path"), StartAndHang.class.getName(),
                db.toString()).redirectErrorStream(true).start();
        assertThat(new String(p.getInputStream().readNBytes(7))).isEqualTo("started");
        try (RunStore s = new RunStore(db)) {
            assertThat(s.runs()).singleElement().extracting(RunStore.Run::status).isEqualTo(RunStore.Status.RUNNING);
            p.destroyForcibly();
            p.waitFor(10, TimeUnit.SECONDS);
            RunStore.Run r = s.runs().get(0);
            assertThat(r.status()).isEqualTo(RunStore.Status.KILLED);
            assertThat(r.error()).contains("ended without finishing");
        }
    }

    /** Several processes writing at once (WAL, busy timeout): nothing is lost. */
    @Test
    void concurrentWritersLoseNothing() throws Exception {
        Path db = tmp.resolve("runs.db");
        List<Process> writers = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            writers.add(new ProcessBuilder(java(), "-cp", System.getProperty("java.class.path"), Write.class.getName(),
                    db.toString(), "w" + i).inheritIO().start());
        }
        for (Process w : writers) assertThat(w.waitFor(60, TimeUnit.SECONDS) && w.exitValue() == 0).isTrue();
        try (RunStore s = new RunStore(db)) {
            assertThat(s.runs()).hasSize(3).allSatisfy(r -> {
                assertThat(r.status()).isEqualTo(RunStore.Status.FINISHED);
                assertThat(s.points(r.id())).hasSize(200);
            });
        }
    }

    private static String java() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    public static final class StartAndHang {
        public static void main(String[] args) throws Exception {
            RunStore s = new RunStore(Path.of(args[0]));
            s.start(new RunStore.NewRun("hang", "train", Path.of("."), Map.of(), null, null));
            System.out.print("started");
            System.out.flush();
            Thread.sleep(60_000);
        }
    }

    public static final class Write {
        public static void main(String[] args) {
            try (RunStore s = new RunStore(Path.of(args[0]))) {
                String id = s.start(new RunStore.NewRun(args[1], "train", Path.of("."), Map.of(), null, null));
                for (int step = 0; step < 100; step++) {
                    s.record(id, List.of(new RunStore.Point(step, 1, "train.loss", step, System.currentTimeMillis()),
                            new RunStore.Point(step, 1, "train.learning_rate", 1e-3, System.currentTimeMillis())));
                }
                s.finish(id, RunStore.Status.FINISHED, Map.of(), Map.of(), null);
            }
        }
    }
}
