package dev.finetune4j.data;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import dev.finetune4j.UserError;
import dev.finetune4j.util.AtomicFiles;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Reads labelled text from JSONL, CSV (RFC 4180, header row) or TSV (header row, no quoting).
 *
 * <p>Every problem the user can fix is a {@link UserError} naming the file and line. Lines that do
 * not parse are returned as {@link BadLine}s with {@link OnBadLine#SKIP}, or stop the read with
 * {@link OnBadLine#FAIL}. Blank lines are not records and are passed over.
 */
public final class TabularReader {
    private static final JsonFactory JSON = new JsonFactory();
    private static final int MAX_KEYS_SHOWN = 20;

    private TabularReader() {}

    /** As {@link #read(Path, Format, String, String, OnBadLine, String)} with no origin. */
    public static RawData read(Path file, Format format, String textColumn, String labelColumn, OnBadLine onBadLine) {
        return read(file, format, textColumn, labelColumn, onBadLine, null);
    }

    /**
     * @param labelColumn the label column/key, or null to read unlabelled text (labels are then null)
     * @param origin where the path came from, shown in parentheses in messages, e.g.
     *     {@code "data.train in the recipe"}; null for none
     */
    public static RawData read(
            Path file, Format format, String textColumn, String labelColumn, OnBadLine onBadLine, String origin) {
        if (textColumn == null || textColumn.isEmpty()) throw new IllegalArgumentException("textColumn is required");
        Format resolved = format.resolve(file);
        String content = decode(file, origin);
        Sink sink = new Sink(file, onBadLine);
        switch (resolved) {
            case JSONL -> readJsonl(file, content, textColumn, labelColumn, sink);
            case CSV -> readDelimited(file, textColumn, labelColumn, sink, CsvRecords.parse(file, content), ",");
            case TSV -> readDelimited(file, textColumn, labelColumn, sink, tsvRecords(content), "\t");
            default -> throw new IllegalStateException("unresolved format " + resolved);
        }
        return new RawData(file, sink.rows, sink.badLines);
    }

    /**
     * The values of {@code columns} in each record of a data file, by the record's line (what
     * {@link RawRow#line()} and {@link Example#line()} point at); a value that is missing, null or
     * not a scalar is null. Reads bad lines as nothing rather than failing: cleaning reported them.
     *
     * @param key the recipe key that asked for the columns, named in the error for a column no record has
     */
    public static Map<Integer, List<String>> columnsByLine(Path file, Format format, List<String> columns, String key) {
        String content = decode(file, null);
        Map<Integer, List<String>> out = new HashMap<>();
        Set<String> seen = new LinkedHashSet<>();
        Set<String> found = new HashSet<>();
        switch (format.resolve(file)) {
            case JSONL -> {
                String[] lines = content.split("\n", -1);
                for (int i = 0; i < lines.length; i++) {
                    if (lines[i].isBlank()) continue;
                    JsonNode node;
                    try {
                        node = AtomicFiles.JSON.readTree(lines[i]);
                    } catch (IOException e) {
                        continue;
                    }
                    if (!node.isObject()) continue;
                    node.fieldNames().forEachRemaining(n -> { if (seen.size() < MAX_KEYS_SHOWN) seen.add(n); });
                    List<String> values = new ArrayList<>(columns.size());
                    for (String c : columns) {
                        JsonNode v = node.get(c);
                        if (v != null) found.add(c);
                        values.add(v == null || !v.isValueNode() || v.isNull() ? null : v.asText());
                    }
                    out.put(i + 1, values);
                }
            }
            case CSV, TSV -> {
                List<DelimitedRecord> records = format.resolve(file) == Format.CSV ? CsvRecords.parse(file, content)
                        : tsvRecords(content);
                int at = 0;
                while (at < records.size() && records.get(at).blank()) at++;
                if (at == records.size() || records.get(at).error() != null) return out;
                List<String> header = records.get(at).fields().stream().map(String::strip).toList();
                seen.addAll(header);
                int[] index = columns.stream().mapToInt(header::indexOf).toArray();
                for (int j = 0; j < index.length; j++) if (index[j] >= 0) found.add(columns.get(j));
                for (int i = at + 1; i < records.size(); i++) {
                    DelimitedRecord r = records.get(i);
                    if (r.blank() || r.error() != null || r.fields().size() != header.size()) continue;
                    List<String> values = new ArrayList<>(index.length);
                    for (int x : index) values.add(x < 0 ? null : r.fields().get(x));
                    out.put(r.line(), values);
                }
            }
            default -> throw new IllegalStateException("unresolved format");
        }
        for (String c : columns) {
            if (!found.contains(c)) {
                throw new UserError(file + ": no record has the column \"" + c + "\" that " + key + " names; columns are: "
                        + String.join(", ", seen) + " — fix " + key);
            }
        }
        return out;
    }

    // ---- file and encoding ----

    static String decode(Path file, String origin) {
        String from = origin == null ? "" : " (" + origin + ")";
        if (!Files.exists(file)) {
            throw new UserError("data file not found: " + file.toAbsolutePath().normalize() + from);
        }
        if (Files.isDirectory(file)) {
            throw new UserError("data file is a directory, expected a file: " + file.toAbsolutePath().normalize() + from);
        }
        if (!Files.isReadable(file)) {
            throw new UserError("data file is not readable (check its permissions): "
                    + file.toAbsolutePath().normalize() + from);
        }
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (IOException e) {
            throw new UserError("cannot read data file " + file.toAbsolutePath().normalize() + from + ": " + e, e);
        }
        if (bytes.length >= 2 && ((bytes[0] == (byte) 0xFE && bytes[1] == (byte) 0xFF)
                || (bytes[0] == (byte) 0xFF && bytes[1] == (byte) 0xFE))) {
            throw new UserError(file + " is UTF-16 encoded; save it as UTF-8 (e.g. iconv -f utf-16 -t utf-8)");
        }
        CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(bytes);
        CharBuffer out = CharBuffer.allocate(bytes.length);
        CoderResult result = decoder.decode(in, out, true);
        if (result.isError()) throw invalidUtf8(file, bytes, in.position());
        result = decoder.flush(out);
        if (result.isError()) throw invalidUtf8(file, bytes, in.position());
        out.flip();
        String content = out.toString();
        if (content.startsWith("\uFEFF")) content = content.substring(1);
        if (content.isBlank()) {
            throw new UserError("data file is empty: " + file.toAbsolutePath().normalize() + from);
        }
        return content;
    }

    private static UserError invalidUtf8(Path file, byte[] bytes, int offset) {
        int line = 1;
        int lineStart = 0;
        for (int i = 0; i < offset; i++) {
            if (bytes[i] == '\n') {
                line++;
                lineStart = i + 1;
            }
        }
        return new UserError(String.format(
                "%s:%d: not valid UTF-8 (byte 0x%02X at byte %d of the line) — save the file as UTF-8"
                        + " (e.g. iconv -f latin1 -t utf-8)",
                file, line, bytes[offset] & 0xFF, offset - lineStart + 1));
    }

    // ---- JSONL ----

    private static void readJsonl(Path file, String content, String textKey, String labelKey, Sink sink) {
        if (content.stripLeading().startsWith("[")) {
            throw new UserError(file + " holds a JSON array, but JSON data files must be JSON Lines: one {...}"
                    + " object per line — convert it, e.g. jq -c '.[]' " + file.getFileName() + " > data.jsonl");
        }
        Set<String> keysSeen = new LinkedHashSet<>();
        boolean textSeen = false;
        boolean labelSeen = false;
        int objects = 0;
        String[] lines = content.split("\n", -1);
        for (int i = 0; i < lines.length; i++) {
            String line = stripCr(lines[i]);
            if (line.isBlank()) continue;
            int lineNo = i + 1;
            String[] values = new String[2];
            boolean[] present = new boolean[2];
            String problem = parseJsonObject(line, textKey, labelKey, values, present, keysSeen);
            if (problem == null) {
                objects++;
                textSeen |= present[0];
                labelSeen |= present[1];
                sink.row(lineNo, values[0], values[1]);
            } else {
                sink.bad(lineNo, problem);
            }
        }
        if (objects == 0) return;
        if (!textSeen) throw missingKey(file, textKey, "data.text_column", keysSeen, labelKey);
        if (labelKey != null && !labelSeen) throw missingKey(file, labelKey, "data.label_column", keysSeen, textKey);
    }

    /** Returns null on success, else the reason the line is bad. */
    private static String parseJsonObject(
            String line, String textKey, String labelKey, String[] values, boolean[] present, Set<String> keysSeen) {
        try (JsonParser p = JSON.createParser(line)) {
            JsonToken first = p.nextToken();
            if (first != JsonToken.START_OBJECT) {
                return "not a JSON object (found " + describe(first) + "); each line must be one {...} object";
            }
            String problem = null;
            for (JsonToken t = p.nextToken(); t != JsonToken.END_OBJECT; t = p.nextToken()) {
                String key = p.currentName();
                if (keysSeen.size() < MAX_KEYS_SHOWN) keysSeen.add(key);
                JsonToken v = p.nextToken();
                int slot = key.equals(textKey) ? 0 : key.equals(labelKey) ? 1 : -1;
                if (slot < 0) {
                    p.skipChildren();
                    continue;
                }
                present[slot] = true;
                if (v == JsonToken.VALUE_NULL) {
                    values[slot] = null;
                } else if (v == JsonToken.VALUE_STRING || v == JsonToken.VALUE_NUMBER_INT
                        || v == JsonToken.VALUE_NUMBER_FLOAT) {
                    values[slot] = p.getText();
                } else if (slot == 1 && (v == JsonToken.VALUE_TRUE || v == JsonToken.VALUE_FALSE)) {
                    values[slot] = p.getText();
                } else {
                    if (problem == null) {
                        problem = "\"" + key + "\" is " + describe(v) + ", expected a string"
                                + (slot == 1 ? ", number or boolean" : " or number");
                    }
                    p.skipChildren();
                }
            }
            JsonToken trailing = p.nextToken();
            if (trailing != null) {
                return "invalid JSON (extra content after the object at column "
                        + p.currentLocation().getColumnNr() + "; one object per line)";
            }
            return problem;
        } catch (JsonProcessingException e) {
            return "invalid JSON (" + e.getOriginalMessage().replace('\n', ' ')
                    + " at column " + e.getLocation().getColumnNr() + ")";
        } catch (IOException e) {
            throw new IllegalStateException("reading JSON from a string", e);
        }
    }

    private static String describe(JsonToken t) {
        if (t == null) return "nothing";
        return switch (t) {
            case START_ARRAY -> "an array";
            case START_OBJECT -> "an object";
            case VALUE_STRING -> "a string";
            case VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT -> "a number";
            case VALUE_TRUE, VALUE_FALSE -> "a boolean";
            case VALUE_NULL -> "null";
            default -> t.asString() == null ? t.name() : "'" + t.asString() + "'";
        };
    }

    // ---- CSV / TSV ----

    /** One record of a delimited file: its fields, or why it is malformed. */
    record DelimitedRecord(int line, List<String> fields, String error) {
        boolean blank() {
            return error == null && fields.size() == 1 && fields.get(0).isEmpty();
        }
    }

    private static void readDelimited(Path file, String textColumn, String labelColumn, Sink sink,
            List<DelimitedRecord> records, String delimiter) {
        int at = 0;
        while (at < records.size() && records.get(at).blank()) at++;
        if (at == records.size()) throw new UserError(file + " has no header row (it holds only blank lines)");
        DelimitedRecord header = records.get(at);
        if (header.error() != null) {
            throw new UserError(file + ":" + header.line() + ": cannot read the header row: " + header.error());
        }
        List<String> columns = header.fields().stream().map(String::strip).toList();
        int textIndex = columnIndex(file, header.line(), columns, textColumn, "data.text_column", labelColumn);
        int labelIndex = labelColumn == null
                ? -1 : columnIndex(file, header.line(), columns, labelColumn, "data.label_column", textColumn);
        int dataRows = 0;
        for (int i = at + 1; i < records.size(); i++) {
            DelimitedRecord r = records.get(i);
            if (r.blank()) continue;
            dataRows++;
            if (r.error() != null) {
                sink.bad(r.line(), r.error());
            } else if (r.fields().size() != columns.size()) {
                String hint = ",".equals(delimiter) && r.fields().size() > columns.size()
                        ? " (a field containing commas must be in double quotes)" : "";
                String unit = ",".equals(delimiter) ? "fields" : "tab-separated fields";
                sink.bad(r.line(), "expected " + columns.size() + " " + unit + " as in the header, got "
                        + r.fields().size() + hint);
            } else {
                sink.row(r.line(), r.fields().get(textIndex), labelIndex < 0 ? null : r.fields().get(labelIndex));
            }
        }
        if (dataRows == 0) {
            throw new UserError(file + " has a header row but no data rows");
        }
    }

    private static int columnIndex(
            Path file, int headerLine, List<String> columns, String wanted, String key, String otherColumn) {
        int index = columns.indexOf(wanted);
        if (index >= 0) {
            if (columns.lastIndexOf(wanted) != index) {
                throw new UserError(file + ":" + headerLine + ": the header has the column \"" + wanted
                        + "\" more than once — rename one of them");
            }
            return index;
        }
        throw new UserError(file + ":" + headerLine + ": no column \"" + wanted + "\" in the header; columns are: "
                + String.join(", ", columns) + "." + suggestion(wanted, columns, otherColumn, key));
    }

    private static UserError missingKey(Path file, String wanted, String key, Set<String> keysSeen, String other) {
        return new UserError(file + ": no row has the key \"" + wanted + "\"; keys found: "
                + String.join(", ", keysSeen) + "." + suggestion(wanted, keysSeen, other, key));
    }

    private static String suggestion(String wanted, Iterable<String> names, String otherColumn, String key) {
        String best = null;
        int bestDistance = Integer.MAX_VALUE;
        for (String name : names) {
            if (name.equals(otherColumn) || name.isEmpty()) continue;
            int d = Levenshtein.distance(wanted.toLowerCase(Locale.ROOT), name.toLowerCase(Locale.ROOT));
            if (d < bestDistance) {
                best = name;
                bestDistance = d;
            }
        }
        String fix = " Set " + key + " to the right name";
        return best == null ? fix + "." : " Did you mean \"" + best + "\"?" + fix + " (" + key + ": " + best + ").";
    }

    /** TSV: one record per line, fields split on every tab, no quoting. */
    private static List<DelimitedRecord> tsvRecords(String content) {
        String[] lines = content.split("\n", -1);
        List<DelimitedRecord> records = new ArrayList<>(lines.length);
        for (int i = 0; i < lines.length; i++) {
            records.add(new DelimitedRecord(i + 1, List.of(stripCr(lines[i]).split("\t", -1)), null));
        }
        return records;
    }

    static String stripCr(String line) {
        return line.endsWith("\r") ? line.substring(0, line.length() - 1) : line;
    }

    /** Collects rows and bad lines, or stops at the first bad line. */
    private static final class Sink {
        final Path file;
        final OnBadLine onBadLine;
        final List<RawRow> rows = new ArrayList<>();
        final List<BadLine> badLines = new ArrayList<>();

        Sink(Path file, OnBadLine onBadLine) {
            this.file = file;
            this.onBadLine = onBadLine;
        }

        void row(int line, String text, String label) {
            rows.add(new RawRow(line, text, label));
        }

        void bad(int line, String reason) {
            if (onBadLine == OnBadLine.FAIL) {
                throw new UserError(file + ":" + line + ": " + reason
                        + " — fix the line or set data.on_bad_line: skip");
            }
            badLines.add(new BadLine(line, reason));
        }
    }
}
