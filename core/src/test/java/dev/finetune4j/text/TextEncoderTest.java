package dev.finetune4j.text;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.finetune4j.UserError;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TextEncoderTest {
    @TempDir static Path dir;
    static Path tokenizerJson;

    @BeforeAll
    static void copyTokenizer() throws IOException {
        tokenizerJson = dir.resolve("tokenizer.json");
        try (InputStream in = TextEncoderTest.class.getResourceAsStream("/all-minilm-l6-v2-tokenizer.json")) {
            assertThat(in).as("tokenizer resource on the test classpath").isNotNull();
            Files.copy(in, tokenizerJson);
        }
    }

    @Test
    void encodesWithClsAndSepAndNoPaddingFromTokenizerJson() {
        // tokenizer.json asks for fixed padding to 128; the encoder must not pad.
        try (TextEncoder enc = TextEncoder.load(tokenizerJson, 128)) {
            EncodedText e = enc.encode("hello world");
            assertThat(e.inputIds()).containsExactly(101, 7592, 2088, 102);
            assertThat(e.typeIds()).containsExactly(0, 0, 0, 0);
            assertThat(e.truncated()).isFalse();
            assertThat(enc.padId()).isZero();
        }
    }

    @Test
    void truncatesToMaxLengthAndSaysSo() {
        try (TextEncoder enc = TextEncoder.load(tokenizerJson, 8)) {
            String longText = "one two three four five six seven eight nine ten eleven twelve";
            EncodedText e = enc.encode(longText);
            assertThat(e.inputIds()).hasSize(8);
            assertThat(e.inputIds()[0]).isEqualTo(101);
            assertThat(e.inputIds()[7]).isEqualTo(102);
            assertThat(e.truncated()).isTrue();

            EncodedText exactlyFits = enc.encode("one two three four five six"); // 6 words + 2 specials
            assertThat(exactlyFits.inputIds()).hasSize(8);
            assertThat(exactlyFits.truncated()).isFalse();

            List<EncodedText> all = enc.encodeAll(List.of("hello world", longText, "one two three four five six"));
            assertThat(all).hasSize(3);
            assertThat(all.get(0).inputIds()).containsExactly(101, 7592, 2088, 102);
            assertThat(all.get(1).inputIds()).containsExactly(e.inputIds());
            assertThat(TextEncoder.countTruncated(all)).isEqualTo(1);
        }
    }

    @Test
    void collatePadsToLongestInBatch() {
        EncodedText a = new EncodedText(new long[] {101, 7592, 102}, new long[] {0, 0, 0}, false);
        EncodedText b = new EncodedText(new long[] {101, 7592, 2088, 999, 102}, new long[] {0, 0, 0, 1, 1}, false);
        PaddedBatch batch = TextEncoder.collate(List.of(a, b), 0);
        assertThat(batch.maxLen()).isEqualTo(5);
        assertThat(batch.inputIds()[0]).containsExactly(101, 7592, 102, 0, 0);
        assertThat(batch.attentionMask()[0]).containsExactly(1, 1, 1, 0, 0);
        assertThat(batch.tokenTypeIds()[1]).containsExactly(0, 0, 0, 1, 1);
        assertThat(batch.attentionMask()[1]).containsExactly(1, 1, 1, 1, 1);
        assertThat(TextEncoder.collate(List.of(a, b), 7).inputIds()[0]).containsExactly(101, 7592, 102, 7, 7);
    }

    @Test
    void missingTokenizerIsUserError() {
        assertThatThrownBy(() -> TextEncoder.load(dir.resolve("nope.json"), 128, "model.tokenizer in the recipe"))
                .isInstanceOf(UserError.class)
                .hasMessageContaining("tokenizer file not found")
                .hasMessageContaining("nope.json")
                .hasMessageContaining("(model.tokenizer in the recipe)");
    }
}
