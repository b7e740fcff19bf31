package dev.finetune4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The bundled example with the real MiniLM weights, end to end. Slow (minutes): run with
 * {@code mvn -B test -Pslow}. The full fine-tune is what the README reports; here the cheap
 * feature-extraction baseline stands in, so that a broken pipeline shows as a bad score.
 */
@Tag("slow")
class SpamExampleSlowTest {
    @TempDir
    Path out;

    @Test
    void frozenMiniLmWithALinearHeadSeparatesSpamFromHam() throws Exception {
        CliContractTest.Result r = CliContractTest.ft4j("train", "../examples/spam/feature-extraction.yaml", "--output",
                out.toString());
        assertThat(r.exit()).as(r.err()).isZero();
        JsonNode metrics = new ObjectMapper().readTree(out.resolve("metrics.json").toFile());
        assertThat(metrics.path("test").path("macro_f1").asDouble()).isGreaterThan(0.85);
        assertThat(metrics.path("train").path("trainable_parameters").asLong()).isEqualTo(384 * 2 + 2);
    }
}
