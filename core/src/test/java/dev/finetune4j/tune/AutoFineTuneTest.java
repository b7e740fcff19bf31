package dev.finetune4j.tune;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.finetune4j.UserError;
import dev.finetune4j.pipeline.Modalities;
import dev.finetune4j.pipeline.Predictor;
import dev.finetune4j.recipe.RecipeLoader;
import dev.finetune4j.testing.TinyRun;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code ft4j auto} on a tiny model: the phases, the plan, the export, and resuming with the time spent counted. */
class AutoFineTuneTest {
    static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void thePlanFollowsFromTheProbe() {
        // 20 examples/s, 2,000 training and 250 validation examples: an epoch is 100 s + 250/60 s
        AutoFineTune.Plan plan = AutoFineTune.Plan.of(20, 8, 2000, 250, 250);
        assertThat(plan.epochSeconds()).isEqualTo(100 + 250 / 60.0);
        // a trial trains 3 epochs, then is tested (250 examples) and exported
        assertThat(plan.trialSeconds()).isEqualTo(8 + 3 * plan.epochSeconds() + 250 / 60.0);
        assertThat(plan.linearProbeSeconds()).isEqualTo(8 + 2500 / 60.0);
        assertThat(plan.finalSeconds()).isEqualTo(AutoFineTune.FINAL_SECONDS);
        assertThat(plan.trialsIn(plan.finalSeconds() + 2.5 * plan.trialSeconds())).isEqualTo(2);
        assertThat(plan.trialsIn(plan.finalSeconds() - 1)).isZero();
    }

    @Test
    void findsAModelWithinItsBudgetExportsItAndResumes(@TempDir Path dir) throws Exception {
        TinyRun.write(dir, 120);
        Path out = dir.resolve("auto");
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        long t0 = System.nanoTime();
        AutoFineTune.Outcome o = new AutoFineTune("text-classification", dir.resolve("mails.jsonl"), "tiny-bert", 40,
                new PrintStream(log, true, StandardCharsets.UTF_8)).run(out);
        double wall = (System.nanoTime() - t0) / 1e9;
        String printed = log.toString(StandardCharsets.UTF_8);

        assertThat(printed).contains("auto: probe:", "auto: plan:", "auto: linear probe: validation macro_f1");
        JsonNode state = JSON.readTree(out.resolve("auto.json").toFile());
        assertThat(state.path("plan").path("trial_seconds").asDouble()).isPositive();
        assertThat(state.path("winner").asText()).isEqualTo(o.winner());
        assertThat(o.spentSeconds()).isLessThanOrEqualTo(wall + 1);
        JsonNode first = JSON.readTree(out.resolve("study/leaderboard.json").toFile());
        List<String> starts = new java.util.ArrayList<>();
        first.forEach(r -> { if (r.path("number").asInt() < 2) starts.add(r.path("params").path("strategy.type").asText()); });
        assertThat(starts).as("the first two trials are the known-good settings").containsExactlyInAnyOrder("full", "lora");
        if (o.studyBestValidation() != null && o.studyBestValidation() > o.linearProbeValidation()) {
            assertThat(o.winner()).startsWith("trial ");
            Path kept = out.resolve("study/trials/" + o.winner().substring("trial ".length()));
            assertThat(kept.resolve("model/config.json")).as("the winning trial's own export is kept").exists();
            assertThat(Files.readString(out.resolve("model/config.json")))
                    .isEqualTo(Files.readString(kept.resolve("model/config.json")));
        } else {
            assertThat(o.winner()).isEqualTo("linear-probe");
        }
        assertThat(RecipeLoader.load(out.resolve("best-recipe.yaml")).task()).isEqualTo("text-classification");
        try (Predictor model = Modalities.load(out.resolve("model"))) {
            assertThat(model.labels()).containsExactly("ham", "spam");
        }

        // again with a larger budget: the time spent counts, the probe and the linear probe are not rerun
        ByteArrayOutputStream again = new ByteArrayOutputStream();
        AutoFineTune.Outcome resumed = new AutoFineTune("text-classification", dir.resolve("mails.jsonl"), "tiny-bert",
                o.spentSeconds() + 12, new PrintStream(again, true, StandardCharsets.UTF_8)).run(out);
        String second = again.toString(StandardCharsets.UTF_8);
        assertThat(second).contains("auto: resuming in").doesNotContain("auto: probe:")
                .doesNotContain("a head on the frozen body's features");
        assertThat(resumed.spentSeconds()).isGreaterThan(o.spentSeconds());
    }

    @Test
    void aBudgetTooSmallForTheLinearProbeSaysWhatItNeeds(@TempDir Path dir) throws Exception {
        TinyRun.write(dir, 60);
        // a clock that jumps a minute at every reading: the budget is gone by the time the probe has run
        AtomicLong nanos = new AtomicLong();
        AutoFineTune auto = new AutoFineTune("text-classification", dir.resolve("mails.jsonl"), "tiny-bert", 120,
                new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8),
                () -> nanos.addAndGet(60_000_000_000L));
        assertThatThrownBy(() -> auto.run(dir.resolve("auto"))).isInstanceOf(UserError.class)
                .hasMessageContaining("the linear probe alone needs about").hasMessageContaining("give --budget");
    }
}
