package dev.finetune4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The image example with nsfwjs's real MobileNetV2 weights (fetched with npm once), end to end.
 * Slow (about a minute): run with {@code mvn -B test -Pslow}. The linear probe stands in for the full
 * fine-tune the README reports, so that a broken import, preprocessing or pipeline shows as a bad score.
 */
@Tag("slow")
class FashionExampleSlowTest {
    @TempDir
    Path out;

    @Test
    void aLinearHeadOnTheFrozenMobileNetV2TellsTheTenGarmentsApart() throws Exception {
        CliContractTest.Result r = CliContractTest.ft4j("train", "../examples/fashion/linear-probe.yaml", "--output",
                out.toString());
        assertThat(r.exit()).as(r.err()).isZero();
        JsonNode metrics = new ObjectMapper().readTree(out.resolve("metrics.json").toFile());
        assertThat(metrics.path("test").path("macro_f1").asDouble()).isGreaterThan(0.7);
        assertThat(metrics.path("train").path("trainable_parameters").asLong()).isEqualTo(1280 * 10 + 10);
        assertThat(out.resolve("model/preprocessor_config.json")).exists();
    }
}
