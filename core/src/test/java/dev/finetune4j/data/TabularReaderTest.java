package dev.finetune4j.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.finetune4j.UserError;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TabularReaderTest {
    @TempDir Path dir;

    static Path resource(String name) {
        try {
            return Path.of(TabularReaderTest.class.getResource("/data/" + name).toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    private Path write(String name, String content) throws IOException {
        return Files.writeString(dir.resolve(name), content, StandardCharsets.UTF_8);
    }

    @Test
    void jsonlKeepsLabelsAsWrittenAndLineNumbers() {
        RawData data = TabularReader.read(resource("good.jsonl"), Format.AUTO, "text", "label", OnBadLine.FAIL);
        assertThat(data.badLines()).isEmpty();
        assertThat(data.rows()).containsExactly(
                new RawRow(1, "great movie", "pos"),
                new RawRow(2, "awful", "0"),
                new RawRow(4, "meh", "true"),
                new RawRow(5, "no label", null),
                new RawRow(6, "42", "1.50"));
    }

    @Test
    void malformedJsonlIsSkippedWithReasons() {
        RawData data = TabularReader.read(resource("malformed.jsonl"), Format.AUTO, "text", "label", OnBadLine.SKIP);
        assertThat(data.rows()).extracting(RawRow::line).containsExactly(1, 6);
        assertThat(data.badLines()).extracting(BadLine::line).containsExactly(2, 3, 4, 5, 7);
        assertThat(data.badLines().get(0).reason()).startsWith("invalid JSON (");
        assertThat(data.badLines().get(1).reason()).contains("not a JSON object").contains("array");
        assertThat(data.badLines().get(2).reason()).contains("\"text\" is an array");
        assertThat(data.badLines().get(3).reason()).startsWith("invalid JSON");
        assertThat(data.badLines().get(4).reason()).contains("extra content after the object");
    }

    @Test
    void malformedJsonlFailsNamingFileLineAndFix() {
        Path file = resource("malformed.jsonl");
        assertThatThrownBy(() -> TabularReader.read(file, Format.JSONL, "text", "label", OnBadLine.FAIL))
                .isInstanceOf(UserError.class)
                .hasMessageStartingWith(file + ":2: invalid JSON (")
                .hasMessageEndingWith("— fix the line or set data.on_bad_line: skip");
    }

    @Test
    void jsonlKeyMissingInEveryRowSuggestsClosest() throws IOException {
        Path file = write("t.jsonl", "{\"txt\": \"a\", \"label\": \"x\"}\n{\"txt\": \"b\", \"label\": \"y\", \"id\": 3}\n");
        assertThatThrownBy(() -> TabularReader.read(file, Format.AUTO, "text", "label", OnBadLine.FAIL))
                .isInstanceOf(UserError.class)
                .hasMessageContaining("no row has the key \"text\"")
                .hasMessageContaining("txt, label, id")
                .hasMessageContaining("Did you mean \"txt\"?")
                .hasMessageContaining("data.text_column");
    }

    @Test
    void jsonArrayFileIsRejectedWithConversionHint() throws IOException {
        Path file = write("train.json", "[\n  {\"text\": \"a\", \"label\": \"x\"}\n]\n");
        assertThatThrownBy(() -> TabularReader.read(file, Format.AUTO, "text", "label", OnBadLine.SKIP))
                .isInstanceOf(UserError.class)
                .hasMessageContaining("holds a JSON array")
                .hasMessageContaining("jq -c '.[]' train.json");
    }

    @Test
    void csvHandlesBomQuotesEmbeddedNewlinesAndCrlf() {
        RawData data = TabularReader.read(resource("quoted.csv"), Format.AUTO, "text", "label", OnBadLine.FAIL);
        assertThat(data.badLines()).isEmpty();
        assertThat(data.rows()).containsExactly(
                new RawRow(2, "Hello, world", "pos"),
                new RawRow(3, "multi\nline \"quoted\" text", "neg"),
                new RawRow(5, "plain text", "neg"),
                new RawRow(6, "5\" screen", "pos"),
                new RawRow(7, "", "pos"));
    }

    @Test
    void csvWrongFieldCountAndStrayQuoteAreBadLines() {
        RawData data = TabularReader.read(resource("badfields.csv"), Format.CSV, "text", "label", OnBadLine.SKIP);
        assertThat(data.rows()).containsExactly(new RawRow(2, "ok", "pos"), new RawRow(5, "fine", "neg"));
        assertThat(data.badLines()).extracting(BadLine::line).containsExactly(3, 4);
        assertThat(data.badLines().get(0).reason()).contains("expected 3 fields as in the header, got 4");
        assertThat(data.badLines().get(1).reason()).contains("after the closing quote of field 2");
    }

    @Test
    void csvUnclosedQuoteIsFatalEvenWhenSkipping() throws IOException {
        Path file = write("u.csv", "text,label\ngood,pos\n\"never closed,neg\nmore,pos\n");
        assertThatThrownBy(() -> TabularReader.read(file, Format.AUTO, "text", "label", OnBadLine.SKIP))
                .isInstanceOf(UserError.class)
                .hasMessageStartingWith(file + ":3: field 1 opens a double quote that is never closed");
    }

    @Test
    void csvMissingColumnNamesColumnsAndSuggestsClosestOtherThanLabel() throws IOException {
        Path file = write("m.csv", "id,sentence,Label\n1,hi,pos\n");
        assertThatThrownBy(() -> TabularReader.read(file, Format.AUTO, "text", "Label", OnBadLine.FAIL))
                .isInstanceOf(UserError.class)
                .hasMessageStartingWith(file + ":1: no column \"text\" in the header; columns are: id, sentence, Label.")
                .hasMessageContaining("Did you mean \"id\"?");
        assertThatThrownBy(() -> TabularReader.read(file, Format.AUTO, "sentence", "label", OnBadLine.FAIL))
                .isInstanceOf(UserError.class)
                .hasMessageContaining("no column \"label\"")
                .hasMessageContaining("Did you mean \"Label\"?")
                .hasMessageContaining("data.label_column: Label");
    }

    @Test
    void tsvSplitsOnTabsOnlyAndKeepsQuotes() {
        RawData data = TabularReader.read(resource("sentences.tsv"), Format.AUTO, "sentence", "label", OnBadLine.SKIP);
        assertThat(data.rows()).containsExactly(
                new RawRow(2, "first one", "pos"),
                new RawRow(3, "second, with comma", "neg"),
                new RawRow(6, "\"quotes\" stay", "pos"));
        assertThat(data.badLines()).containsExactly(
                new BadLine(4, "expected 2 tab-separated fields as in the header, got 1"));
    }

    @Test
    void invalidUtf8NamesTheLine() throws IOException {
        Path file = dir.resolve("latin1.csv");
        byte[] head = "text,label\nfine,pos\ncaf".getBytes(StandardCharsets.US_ASCII);
        byte[] tail = ",pos\n".getBytes(StandardCharsets.US_ASCII);
        byte[] bytes = new byte[head.length + 1 + tail.length];
        System.arraycopy(head, 0, bytes, 0, head.length);
        bytes[head.length] = (byte) 0xE9; // é in Latin-1
        System.arraycopy(tail, 0, bytes, head.length + 1, tail.length);
        Files.write(file, bytes);
        assertThatThrownBy(() -> TabularReader.read(file, Format.AUTO, "text", "label", OnBadLine.SKIP))
                .isInstanceOf(UserError.class)
                .hasMessageStartingWith(file + ":3: not valid UTF-8 (byte 0xE9 at byte 4 of the line)");
    }

    @Test
    void fileProblemsAreUserErrorsNamingPathAndOrigin() throws IOException {
        Path missing = dir.resolve("nope.csv");
        assertThatThrownBy(() -> TabularReader.read(missing, Format.AUTO, "text", "label", OnBadLine.FAIL,
                        "data.train in the recipe"))
                .isInstanceOf(UserError.class)
                .hasMessage("data file not found: " + missing.toAbsolutePath() + " (data.train in the recipe)");
        assertThatThrownBy(() -> TabularReader.read(dir, Format.CSV, "text", "label", OnBadLine.FAIL))
                .isInstanceOf(UserError.class)
                .hasMessageContaining("is a directory");
        Path empty = write("empty.jsonl", "\n  \n");
        assertThatThrownBy(() -> TabularReader.read(empty, Format.AUTO, "text", "label", OnBadLine.FAIL))
                .isInstanceOf(UserError.class)
                .hasMessageContaining("data file is empty");
        Path headerOnly = write("h.csv", "text,label\n");
        assertThatThrownBy(() -> TabularReader.read(headerOnly, Format.AUTO, "text", "label", OnBadLine.FAIL))
                .isInstanceOf(UserError.class)
                .hasMessageContaining("header row but no data rows");
        Path blankRecords = write("b.csv", "\"\"\n\n");
        assertThatThrownBy(() -> TabularReader.read(blankRecords, Format.AUTO, "text", "label", OnBadLine.FAIL))
                .isInstanceOf(UserError.class)
                .hasMessageContaining("has no header row");
        Path unknown = write("data.parquet", "x");
        assertThatThrownBy(() -> TabularReader.read(unknown, Format.AUTO, "text", "label", OnBadLine.FAIL))
                .isInstanceOf(UserError.class)
                .hasMessageContaining("data.format");
    }

    @Test
    void explicitFormatOverridesExtensionAndLabelColumnIsOptional() throws IOException {
        Path file = write("data.txt", "text\tscore\nhello\t1\n");
        RawData data = TabularReader.read(file, Format.TSV, "text", null, OnBadLine.FAIL);
        assertThat(data.rows()).containsExactly(new RawRow(2, "hello", null));
    }
}
