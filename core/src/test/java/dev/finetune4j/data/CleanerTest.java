package dev.finetune4j.data;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class CleanerTest {
    private static final RawData RAW = new RawData(Path.of("train.jsonl"),
            List.of(
                    new RawRow(1, "  good film ", " pos "),
                    new RawRow(2, null, "pos"),
                    new RawRow(3, "   ", "neg"),
                    new RawRow(4, "no label", null),
                    new RawRow(5, "blank label", " "),
                    new RawRow(6, "good film", "pos"),
                    new RawRow(7, "bad film", "neg"),
                    new RawRow(8, "so-so", "pos"),
                    new RawRow(9, "so-so", "neg"),
                    new RawRow(10, "so-so", "pos"),
                    new RawRow(11, "", "neg"),
                    new RawRow(12, "good film", "pos")),
            List.of(new BadLine(13, "invalid JSON"), new BadLine(14, "not a JSON object")));

    @Test
    void countsEveryReasonWithLineNumbers() {
        CleanResult result = Cleaner.clean(RAW, true);
        assertThat(result.examples()).containsExactly(
                new Example("good film", "pos", 1), new Example("bad film", "neg", 7));
        CleaningReport r = result.report();
        assertThat(r.rowsIn()).isEqualTo(14);
        assertThat(r.rowsOut()).isEqualTo(2);
        assertThat(r.drops().get(DropReason.UNPARSEABLE_LINE).exampleLines()).containsExactly(13, 14);
        assertThat(r.drops().get(DropReason.MISSING_TEXT).exampleLines()).containsExactly(2);
        assertThat(r.drops().get(DropReason.EMPTY_TEXT).exampleLines()).containsExactly(3, 11);
        assertThat(r.drops().get(DropReason.MISSING_LABEL).exampleLines()).containsExactly(4);
        assertThat(r.drops().get(DropReason.EMPTY_LABEL).exampleLines()).containsExactly(5);
        assertThat(r.drops().get(DropReason.EXACT_DUPLICATE).exampleLines()).containsExactly(6, 12);
        assertThat(r.drops().get(DropReason.CONFLICTING_DUPLICATE).exampleLines()).containsExactly(8, 9, 10);
        assertThat(r.count(DropReason.CONFLICTING_DUPLICATE)).isEqualTo(3);
        assertThat(r.dropped()).isEqualTo(12);
    }

    @Test
    void keepsDuplicatesAndConflictsWhenAskedTo() {
        CleanResult result = Cleaner.clean(RAW, false);
        assertThat(result.examples()).extracting(Example::line).containsExactly(1, 6, 7, 8, 9, 10, 12);
        assertThat(result.report().count(DropReason.EXACT_DUPLICATE)).isZero();
        assertThat(result.report().count(DropReason.CONFLICTING_DUPLICATE)).isZero();
        assertThat(result.report().rowsOut()).isEqualTo(7);
    }

    @Test
    void keepsAtMostFiveExampleLinesButCountsAll() {
        List<RawRow> rows = java.util.stream.IntStream.rangeClosed(1, 8).mapToObj(i -> new RawRow(i, "", "x")).toList();
        CleaningReport r = Cleaner.clean(new RawData(Path.of("t.csv"), rows, List.of()), true).report();
        assertThat(r.count(DropReason.EMPTY_TEXT)).isEqualTo(8);
        assertThat(r.drops().get(DropReason.EMPTY_TEXT).exampleLines()).containsExactly(1, 2, 3, 4, 5);
        assertThat(r.toText()).contains("8 rows in, 0 kept, 8 dropped").contains("1, 2, 3, 4, 5, ...");
    }

    @Test
    void reportRendersTextAndMap() {
        CleaningReport r = Cleaner.clean(RAW, true).report();
        String text = r.toText();
        assertThat(text).contains("14 rows in, 2 kept, 12 dropped");
        assertThat(text).containsPattern("same text, different labels \\(all copies dropped\\)\\s+3\\s+8, 9, 10");
        assertThat(text).containsPattern("unparseable line\\s+2\\s+13, 14");

        Map<String, Object> map = r.toMap();
        assertThat(map).containsEntry("rows_in", 14).containsEntry("rows_out", 2);
        @SuppressWarnings("unchecked")
        Map<String, Map<String, Object>> dropped = (Map<String, Map<String, Object>>) map.get("dropped");
        assertThat(dropped.get("exact_duplicate")).containsEntry("count", 2).containsEntry("example_lines", List.of(6, 12));
        assertThat(dropped).containsOnlyKeys(
                "unparseable_line", "missing_text", "empty_text", "missing_label", "empty_label",
                "exact_duplicate", "conflicting_duplicate");
    }
}
