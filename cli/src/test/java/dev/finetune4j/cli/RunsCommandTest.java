package dev.finetune4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.finetune4j.track.RunStore;
import dev.finetune4j.track.TensorBoardEvents;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** `ft4j runs`, `runs show`, `runs compare` and `runs export --tensorboard` over a store with recorded runs. */
class RunsCommandTest {
    @TempDir
    static Path tmp;

    static Path store;
    static String a, b;

    @BeforeAll
    static void record() {
        store = tmp.resolve("runs.db");
        try (RunStore s = new RunStore(store)) {
            a = s.start(new RunStore.NewRun("spam", "train", tmp.resolve("a"), Map.of("train", Map.of("learning_rate", 2e-5,
                    "epochs", 3)), null, null));
            b = s.start(new RunStore.NewRun("spam", "train", tmp.resolve("b"), Map.of("train", Map.of("learning_rate", 5e-5,
                    "epochs", 3)), null, null));
            for (String id : List.of(a, b)) {
                for (int step = 1; step <= 30; step++) {
                    s.record(id, List.of(new RunStore.Point(step, 1 + step / 10, "train.loss", 1.0 / step, 1_700_000_000_000L + step),
                            new RunStore.Point(step, 1 + step / 10, "train.learning_rate", 1e-5 * step, 1_700_000_000_000L + step)));
                }
                s.record(id, List.of(new RunStore.Point(30, 3, "validation.macro_f1", id.equals(a) ? 0.91 : 0.95, 1_700_000_000_100L)));
            }
            s.finish(a, RunStore.Status.FINISHED, Map.of("test.macro_f1", 0.9), Map.of(), null);
            s.finish(b, RunStore.Status.FAILED, Map.of("test.macro_f1", 0.93), Map.of(), "diverged");
        }
    }

    @Test
    void listsFiltersAndSortsByAMetric() {
        CliContractTest.Result all = CliContractTest.ft4j("runs", "--store", store.toString(), "--sort", "test.macro_f1");
        assertThat(all.exit()).as(all.err()).isZero();
        assertThat(all.out().indexOf(b)).as("the better run first").isLessThan(all.out().indexOf(a)).isPositive();
        CliContractTest.Result failed = CliContractTest.ft4j("runs", "--store", store.toString(), "--status", "failed");
        assertThat(failed.out()).contains(b).doesNotContain(a);
    }

    @Test
    void showAndCompare() {
        // a prefix that tells a from b: both started in the same second, so their ids may share more than the time
        int common = 0;
        while (a.charAt(common) == b.charAt(common)) common++;
        CliContractTest.Result show = CliContractTest.ft4j("runs", "show", a.substring(0, common + 1), "--store",
                store.toString());
        assertThat(show.exit()).as(show.err()).isZero();
        assertThat(show.out()).contains("status    finished").contains("train.loss").contains("learning_rate: 2.0E-5");
        CliContractTest.Result cmp = CliContractTest.ft4j("runs", "compare", a, b, "--store", store.toString());
        assertThat(cmp.exit()).as(cmp.err()).isZero();
        assertThat(cmp.out()).contains("train.learning_rate").doesNotContain("train.epochs").contains("0.9300");
    }

    @Test
    void unknownRunsAndStoresAreClearErrors() {
        CliContractTest.Result r = CliContractTest.ft4j("runs", "show", "nope", "--store", store.toString());
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).contains("no run 'nope'").doesNotContain("Exception");
        CliContractTest.Result s = CliContractTest.ft4j("runs", "--store", tmp.resolve("missing.db").toString());
        assertThat(s.exit()).isEqualTo(2);
        assertThat(s.err()).contains("no run store at");
    }

    /** The exported files are read back with their record framing and CRCs checked, value by value. */
    @Test
    void exportWritesTensorBoardEventFilesThatReadBackWithValidChecksums() throws Exception {
        Path logdir = tmp.resolve("tb");
        for (int i = 0; i < 2; i++) { // exporting twice leaves one event file
            CliContractTest.Result r = CliContractTest.ft4j("runs", "export", a, "--tensorboard", logdir.toString(), "--store",
                    store.toString());
            assertThat(r.exit()).as(r.err()).isZero();
        }
        List<Path> files;
        try (var l = Files.list(logdir.resolve(a))) {
            files = l.toList();
        }
        assertThat(files).singleElement().satisfies(f -> assertThat(f.getFileName().toString()).contains("tfevents"));
        List<TensorBoardEvents.Event> events = TensorBoardEvents.read(files.get(0));
        assertThat(events.get(0).fileVersion()).isEqualTo("brain.Event:2");
        Map<String, Map<Long, Float>> read = new HashMap<>();
        for (TensorBoardEvents.Event e : events) {
            for (TensorBoardEvents.Value v : e.values()) read.computeIfAbsent(v.tag(), k -> new HashMap<>()).put(e.step(), v.simpleValue());
        }
        assertThat(read.keySet()).containsExactlyInAnyOrder("train/loss", "train/learning_rate", "validation/macro_f1");
        try (RunStore s = new RunStore(store)) {
            for (RunStore.Point p : s.points(a)) {
                assertThat(read.get(p.key().replace('.', '/')).get(p.step())).isEqualTo((float) p.value());
            }
        }
    }
}
