package dev.finetune4j.text;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.finetune4j.UserError;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Tokenizes text with a Hugging Face {@code tokenizer.json} read from a local path (never fetched
 * by name). Texts longer than max_length tokens are truncated, never dropped; {@link
 * EncodedText#truncated()} says which were. No padding here: {@link #collate} pads each batch to
 * its own longest text.
 */
public final class TextEncoder implements AutoCloseable {
    private final HuggingFaceTokenizer tokenizer;
    private final int maxLength;
    private final long padId;

    private TextEncoder(HuggingFaceTokenizer tokenizer, int maxLength, long padId) {
        this.tokenizer = tokenizer;
        this.maxLength = maxLength;
        this.padId = padId;
    }

    /**
     * @param tokenizerJson path to a tokenizer.json
     * @param maxLength most tokens per text, special tokens included
     * @param origin where the path came from, shown in parentheses in messages; null for none
     */
    public static TextEncoder load(Path tokenizerJson, int maxLength, String origin) {
        String from = origin == null ? "" : " (" + origin + ")";
        if (maxLength < 2) throw new UserError("max_length must be at least 2, got " + maxLength + from);
        if (!Files.isRegularFile(tokenizerJson)) {
            throw new UserError("tokenizer file not found: " + tokenizerJson.toAbsolutePath().normalize() + from
                    + " — point it to a tokenizer.json");
        }
        System.setProperty("ai.djl.offline", "true");
        long padId = readPadId(tokenizerJson, from);
        try {
            // DJL's builder overrides the padding and truncation stored in tokenizer.json, so set both.
            HuggingFaceTokenizer tokenizer = HuggingFaceTokenizer.builder()
                    .optTokenizerPath(tokenizerJson)
                    .optMaxLength(maxLength)
                    .optTruncation(true)
                    .optPadding(false)
                    .optAddSpecialTokens(true)
                    .build();
            return new TextEncoder(tokenizer, maxLength, padId);
        } catch (IOException | RuntimeException e) {
            throw new UserError("cannot load tokenizer " + tokenizerJson + from + ": " + e.getMessage(), e);
        }
    }

    public static TextEncoder load(Path tokenizerJson, int maxLength) {
        return load(tokenizerJson, maxLength, null);
    }

    private static long readPadId(Path tokenizerJson, String from) {
        JsonNode root;
        try {
            root = new ObjectMapper().readTree(tokenizerJson.toFile());
        } catch (IOException e) {
            throw new UserError("cannot read tokenizer " + tokenizerJson + from + " as JSON: " + e.getMessage(), e);
        }
        JsonNode padding = root.path("padding").path("pad_id");
        if (padding.isIntegralNumber()) return padding.asLong();
        JsonNode vocab = root.path("model").path("vocab");
        for (String token : List.of("[PAD]", "<pad>")) {
            if (vocab.path(token).isIntegralNumber()) return vocab.path(token).asLong();
        }
        return 0;
    }

    public int maxLength() {
        return maxLength;
    }

    /** The padding token id: from tokenizer.json's padding section, else the [PAD] or &lt;pad&gt; token, else 0. */
    public long padId() {
        return padId;
    }

    public EncodedText encode(String text) {
        return toEncoded(tokenizer.encode(text));
    }

    /** Encodes many texts at once (in parallel inside the native tokenizer); same order as the input. */
    public List<EncodedText> encodeAll(List<String> texts) {
        if (texts.isEmpty()) return List.of();
        Encoding[] encodings = tokenizer.batchEncode(texts);
        List<EncodedText> out = new ArrayList<>(encodings.length);
        for (Encoding e : encodings) out.add(toEncoded(e));
        return out;
    }

    public static int countTruncated(List<EncodedText> encoded) {
        int n = 0;
        for (EncodedText e : encoded) if (e.truncated()) n++;
        return n;
    }

    private static EncodedText toEncoded(Encoding e) {
        return new EncodedText(e.getIds(), e.getTypeIds(), e.exceedMaxLength());
    }

    /** Pads to the longest text in the batch with {@code padId}, type id 0 and attention mask 0. */
    public static PaddedBatch collate(List<EncodedText> batch, long padId) {
        int maxLen = 0;
        for (EncodedText e : batch) maxLen = Math.max(maxLen, e.length());
        long[][] ids = new long[batch.size()][maxLen];
        long[][] mask = new long[batch.size()][maxLen];
        long[][] types = new long[batch.size()][maxLen];
        for (int b = 0; b < batch.size(); b++) {
            EncodedText e = batch.get(b);
            int n = e.length();
            System.arraycopy(e.inputIds(), 0, ids[b], 0, n);
            System.arraycopy(e.typeIds(), 0, types[b], 0, n);
            for (int t = 0; t < n; t++) mask[b][t] = 1;
            for (int t = n; t < maxLen; t++) ids[b][t] = padId;
        }
        return new PaddedBatch(ids, mask, types, maxLen);
    }

    @Override
    public void close() {
        tokenizer.close();
    }
}
