package dev.finetune4j.tune;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.finetune4j.UserError;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SearchConfigTest {
    @Test
    void readsEveryKindOfParameterAndTheConditions(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("tune.yaml");
        Files.writeString(f, String.join("\n", "name: x", "search:", "  sampler: random", "  pruner: asha",
                "  asha: {min_resource: 2, reduction_factor: 4}", "  trials: 7", "  space:",
                "    train.learning_rate: {type: log_uniform, low: 1.0e-5, high: 1.0e-3}",
                "    train.warmup_ratio: {type: uniform, low: 0.0, high: 0.2}",
                "    strategy.type: {type: choice, values: [full, lora]}",
                "    strategy.rank: {type: int, low: 4, high: 32, log: true, when: {strategy.type: [lora]}}", ""));
        SearchConfig c = SearchConfig.load(f, List.of("search.trials=9", "train.epochs=2"));
        assertThat(c.trials()).isEqualTo(9);
        assertThat(c.direction()).isEqualTo(Direction.MAXIMIZE);
        assertThat(c.newPruner()).isEqualTo(new AshaPruner(2, 4));
        assertThat(c.space().params()).hasSize(4);
        assertThat(c.space().params().get(3)).isEqualTo(new SearchSpace.IntRange("strategy.rank", 4, 32, true,
                new SearchSpace.Condition("strategy.type", List.of("lora"))));
    }

    @Test
    void reportsEveryProblemWithItsKey(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("tune.yaml");
        Files.writeString(f, String.join("\n", "name: x", "search:", "  sampler: bayes", "  trails: 3", "  space:",
                "    train.learning_rate: {type: log_uniform, low: 0, high: 1.0e-3}",
                "    strategy.rank: {type: int, low: 4, high: 32, when: {strategy.type: [lora]}}", ""));
        // What the schema declares comes back with line, column and a did-you-mean, every problem at once.
        assertThatThrownBy(() -> SearchConfig.load(f)).isInstanceOf(UserError.class)
                .hasMessageContaining(f + ":3:12: 'search.sampler' must be one of: grid, random, tpe; got the string 'bayes'")
                .hasMessageContaining(f + ":4:3: property 'trails' is not defined in 'search' — did you mean 'trials'?");
        Path asha = dir.resolve("asha.yaml");
        Files.writeString(asha, String.join("\n", "name: x", "search:", "  pruner: asha", "  asha: {min_resorce: 2}",
                "  space:", "    train.learning_rate: {type: log_uniform, low: 1.0e-5, high: 1.0e-3, lo: 1}", ""));
        assertThatThrownBy(() -> SearchConfig.load(asha))
                .hasMessageContaining(asha + ":4:10: property 'min_resorce' is not defined in 'search.asha' — did you mean"
                        + " 'min_resource'?")
                .hasMessageContaining("property 'lo' is not defined in 'search.space.train.learning_rate'");
        assertThatThrownBy(() -> SearchConfig.load(asha, List.of("search.trials=0")))
                .hasMessageContaining("--set search.trials=0").hasMessageContaining("'search.trials' must be");
        // What it cannot declare is checked after it.
        Path range = dir.resolve("range.yaml");
        Files.writeString(range, String.join("\n", "search:", "  space:",
                "    train.learning_rate: {type: log_uniform, low: 0, high: 1.0e-3}", ""));
        assertThatThrownBy(() -> SearchConfig.load(range))
                .hasMessageContaining("search.space.train.learning_rate: train.learning_rate: need 0 < low < high");
        Path none = dir.resolve("plain.yaml");
        Files.writeString(none, "name: x\n");
        assertThatThrownBy(() -> SearchConfig.load(none)).hasMessageContaining("has no 'search:' section");
    }

    @Test
    void aConditionOnALaterOrUnknownParameterIsRefused(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("tune.yaml");
        Files.writeString(f, String.join("\n", "search:", "  space:",
                "    strategy.rank: {type: int, low: 4, high: 32, when: {strategy.type: [lora]}}", ""));
        assertThatThrownBy(() -> SearchConfig.load(f)).hasMessageContaining("depends on 'strategy.type', which must come before it");
    }
}
