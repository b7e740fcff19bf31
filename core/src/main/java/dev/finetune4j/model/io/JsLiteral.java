package dev.finetune4j.model.io;

/**
 * Turns a JavaScript object literal as minifiers write it into JSON: unquoted keys are quoted,
 * {@code !0} / {@code !1} become {@code true} / {@code false}, and numbers written without a leading
 * zero ({@code .5}, {@code -.5}) get one. Strings are copied as they are. Enough for the tfjs
 * layers-models that npm packages ship as browserify bundles ({@code model.min.js}), not for
 * JavaScript in general: anything else outside strings is left for the JSON parser to reject.
 */
final class JsLiteral {
    private JsLiteral() {}

    static String toJson(String js) {
        StringBuilder out = new StringBuilder(js.length() + js.length() / 8);
        int n = js.length();
        int i = 0;
        while (i < n) {
            char c = js.charAt(i);
            if (c == '"' || c == '\'') {
                int end = stringEnd(js, i);
                if (c == '"') {
                    out.append(js, i, end + 1);
                } else { // single-quoted: re-quote with double quotes
                    out.append('"').append(js.substring(i + 1, end).replace("\"", "\\\"").replace("\\'", "'")).append('"');
                }
                i = end + 1;
            } else if (c == '!' && i + 1 < n && (js.charAt(i + 1) == '0' || js.charAt(i + 1) == '1')) {
                out.append(js.charAt(i + 1) == '0' ? "true" : "false");
                i += 2;
            } else if (c == '.' && i + 1 < n && Character.isDigit(js.charAt(i + 1))) {
                out.append("0.");
                i++;
            } else if (c == '-' && i + 2 < n && js.charAt(i + 1) == '.' && Character.isDigit(js.charAt(i + 2))) {
                out.append("-0.");
                i += 2;
            } else if (Character.isLetter(c) || c == '_' || c == '$') {
                int end = i;
                while (end < n && (Character.isLetterOrDigit(js.charAt(end)) || js.charAt(end) == '_'
                        || js.charAt(end) == '$')) {
                    end++;
                }
                String word = js.substring(i, end);
                int next = end;
                while (next < n && Character.isWhitespace(js.charAt(next))) next++;
                boolean key = next < n && js.charAt(next) == ':';
                out.append(key ? '"' + word + '"' : word);
                i = end;
            } else if (Character.isDigit(c)) {
                // a number: copy it whole, so that the letters of an exponent are not taken for a key
                int end = i;
                while (end < n && (Character.isLetterOrDigit(js.charAt(end)) || js.charAt(end) == '.'
                        || ((js.charAt(end) == '-' || js.charAt(end) == '+')
                                && (js.charAt(end - 1) == 'e' || js.charAt(end - 1) == 'E')))) {
                    end++;
                }
                out.append(js, i, end);
                i = end;
            } else {
                out.append(c);
                i++;
            }
        }
        return out.toString();
    }

    /** The index of the quote that closes the string opened at {@code start}. */
    static int stringEnd(String js, int start) {
        char quote = js.charAt(start);
        for (int i = start + 1; i < js.length(); i++) {
            char c = js.charAt(i);
            if (c == '\\') i++;
            else if (c == quote) return i;
        }
        throw new IllegalArgumentException("unterminated string starting at offset " + start);
    }
}
