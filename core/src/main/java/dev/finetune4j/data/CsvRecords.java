package dev.finetune4j.data;

import dev.finetune4j.UserError;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Splits CSV text into records per RFC 4180: comma-separated fields, records ending in CRLF, LF or
 * CR, fields in double quotes may hold commas, line breaks and doubled quotes ({@code ""}).
 *
 * <p>A quote inside an unquoted field is kept as a literal character (as most writers produce
 * {@code 5" screen} that way). A character after a closing quote makes the record malformed; an
 * unclosed quote is fatal, because the rest of the file would silently become one field.
 */
final class CsvRecords {
    private final Path file;
    private final String s;
    private final int n;
    private int pos;
    private int line = 1;

    private CsvRecords(Path file, String s) {
        this.file = file;
        this.s = s;
        this.n = s.length();
    }

    static List<TabularReader.DelimitedRecord> parse(Path file, String content) {
        CsvRecords parser = new CsvRecords(file, content);
        List<TabularReader.DelimitedRecord> records = new ArrayList<>();
        while (parser.pos < parser.n) records.add(parser.next());
        return records;
    }

    private TabularReader.DelimitedRecord next() {
        int startLine = line;
        List<String> fields = new ArrayList<>();
        String error = null;
        while (true) {
            StringBuilder field = new StringBuilder();
            if (pos < n && s.charAt(pos) == '"') {
                int quoteLine = line;
                pos++;
                while (true) {
                    if (pos >= n) {
                        throw new UserError(file + ":" + quoteLine + ": field " + (fields.size() + 1)
                                + " opens a double quote that is never closed, so the rest of the file would be"
                                + " read as one field — close the quote, and write quotes inside quoted fields"
                                + " as \"\"");
                    }
                    char c = s.charAt(pos++);
                    if (c == '"') {
                        if (pos < n && s.charAt(pos) == '"') {
                            field.append('"');
                            pos++;
                        } else {
                            break;
                        }
                    } else {
                        if (c == '\n') line++;
                        field.append(c);
                    }
                }
                if (pos < n && !endsField(s.charAt(pos))) {
                    if (error == null) {
                        error = "unexpected character '" + s.charAt(pos) + "' after the closing quote of field "
                                + (fields.size() + 1) + " (quotes inside a quoted field must be doubled: \"\")";
                    }
                    while (pos < n && !endsField(s.charAt(pos))) field.append(s.charAt(pos++));
                }
            } else {
                while (pos < n && !endsField(s.charAt(pos))) field.append(s.charAt(pos++));
            }
            fields.add(field.toString());
            if (pos >= n) break;
            char c = s.charAt(pos++);
            if (c == ',') continue;
            if (c == '\r' && pos < n && s.charAt(pos) == '\n') pos++;
            line++;
            break;
        }
        return new TabularReader.DelimitedRecord(startLine, fields, error);
    }

    private static boolean endsField(char c) {
        return c == ',' || c == '\n' || c == '\r';
    }
}
