package dev.finetune4j.recipe;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.finetune4j.data.Format;
import dev.finetune4j.data.OnBadLine;
import dev.finetune4j.model.Pooling;
import dev.finetune4j.train.Schedule;
import dev.finetune4j.util.RecipeNames;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class RecipeRecordsTest {
    @Test
    void enumsUseTheRecipeSpelling() {
        assertThat(Strategy.FEATURE_EXTRACTION.recipeName()).isEqualTo("feature-extraction");
        assertThat(Strategy.parse("feature-extraction")).isEqualTo(Strategy.FEATURE_EXTRACTION);
        assertThat(Schedule.parse("cosine")).isEqualTo(Schedule.COSINE);
        assertThatThrownBy(() -> Pooling.parse("CLS")).hasMessage("'CLS' is not one of: pooler, cls, mean");
    }

    @Test
    void enumsMatchTheSchema() {
        assertThat(RecipeNames.allowed(Format.class)).containsExactlyElementsOf(enumOf("/data/format"));
        assertThat(RecipeNames.allowed(OnBadLine.class)).containsExactlyElementsOf(enumOf("/data/on_bad_line"));
        assertThat(RecipeNames.allowed(Pooling.class)).containsExactlyElementsOf(enumOf("/head/pooling"));
        assertThat(RecipeNames.allowed(Strategy.class)).containsExactlyElementsOf(enumOf("/strategy/type"));
        assertThat(RecipeNames.allowed(Schedule.class)).containsExactlyElementsOf(enumOf("/train/schedule"));
        assertThat(RecipeNames.allowed(OptimizerKind.class)).containsExactlyElementsOf(enumOf("/train/optimizer"));
        assertThat(EarlyStopping.METRICS).containsExactlyElementsOf(enumOf("/train/early_stopping/metric"));
    }

    private static java.util.List<String> enumOf(String pointer) {
        java.util.List<String> values = new java.util.ArrayList<>();
        RecipeSchema.at(pointer).path("enum").forEach(v -> values.add(v.asText()));
        return values;
    }

    @Test
    void formatFromExtension() {
        assertThat(Format.forFile(Path.of("a/b.JSONL"))).isEqualTo(Format.JSONL);
        assertThat(Format.forFile(Path.of("b.tsv"))).isEqualTo(Format.TSV);
        assertThat(Format.forFile(Path.of("b.txt"))).isNull();
    }

    @Test
    void recordsRejectValuesTheSchemaWouldReject() {
        assertThatThrownBy(() -> new EarlyStopping("f1", 2, 0)).hasMessageContaining("'f1' is not one of");
        assertThatThrownBy(() -> new HeadConfig(Pooling.CLS, 1.0)).hasMessage("head.dropout must be in [0, 1), got 1.0");
        assertThatThrownBy(() -> new DataConfig(Path.of("/t.jsonl"), null, null, Format.AUTO, "text", "label",
                128, 0.5, 0.5, true, OnBadLine.SKIP)).hasMessageContaining("must be < 1");
        // with both files given, nothing is split off, so the fractions do not matter
        new DataConfig(Path.of("/t.jsonl"), Path.of("/v.jsonl"), Path.of("/x.jsonl"), Format.AUTO, "text", "label",
                128, 0.5, 0.5, true, OnBadLine.SKIP);
    }

    @Test
    void strategyConfigDefaultsAndInvariants() {
        assertThat(StrategyConfig.of(Strategy.PARTIAL)).isEqualTo(new StrategyConfig.Partial(true, 0, null));
        assertThat(StrategyConfig.of(Strategy.GRADUAL_UNFREEZE)).isEqualTo(new StrategyConfig.GradualUnfreeze(null));
        assertThat(StrategyConfig.of(Strategy.LORA))
                .isEqualTo(new StrategyConfig.Lora(8, 16, 0.1, List.of("query", "value"), false, false));
        for (Strategy type : Strategy.values()) {
            assertThat(StrategyConfig.of(type).type()).isEqualTo(type);
            assertThat(StrategyConfig.of(type)).isInstanceOf(StrategyConfig.recordOf(type));
        }
        assertThat(new StrategyConfig.Partial(false, 2, "^encoder\\.layer\\.1\\.")
                .compiledFreezePattern().matcher("x.encoder.layer.1.attention").find()).isFalse();
        assertThat(new StrategyConfig.Partial(true, 0, null).compiledFreezePattern()).isNull();
        assertThatThrownBy(() -> new StrategyConfig.Partial(true, -1, null))
                .hasMessage("strategy.freeze_layers must be >= 0, got -1");
        assertThatThrownBy(() -> new StrategyConfig.GradualUnfreeze(0))
                .hasMessage("strategy.unfreeze_every_steps must be >= 1, got 0");
        assertThatThrownBy(() -> new StrategyConfig.Partial(true, 0, "(a"))
                .hasMessage("strategy.freeze_pattern is not a valid regular expression: Unclosed group");
        assertThatThrownBy(() -> new StrategyConfig.Lora(0, 16, 0.1, List.of("query"), false, false))
                .hasMessageContaining("strategy.rank");
        assertThatThrownBy(() -> new StrategyConfig.Lora(8, 0, 0.1, List.of("query"), false, false))
                .hasMessageContaining("strategy.alpha");
        assertThatThrownBy(() -> new StrategyConfig.Lora(8, 16, 1.0, List.of("query"), false, false))
                .hasMessageContaining("strategy.dropout");
        assertThatThrownBy(() -> new StrategyConfig.Lora(8, 16, 0.1, List.of(), false, false))
                .hasMessageContaining("strategy.targets");
        assertThat(new StrategyConfig.Lora(4, 8, 0.1, List.of("query"), false, false).scaling()).isEqualTo(2f);
    }

    @Test
    void everyRecordComponentIsASchemaKeyAndEverySchemaKeyAComponent() {
        assertThat(snakeCase(DataConfig.class)).containsExactlyElementsOf(
                RecipeSchema.propertyNames(RecipeSchema.at("/data")));
        assertThat(snakeCase(HeadConfig.class)).containsExactlyElementsOf(
                RecipeSchema.propertyNames(RecipeSchema.at("/head")));
        assertThat(snakeCase(TrainConfig.class)).containsExactlyElementsOf(
                RecipeSchema.propertyNames(RecipeSchema.at("/train")));
        assertThat(snakeCase(EarlyStopping.class)).containsExactlyElementsOf(
                RecipeSchema.propertyNames(RecipeSchema.at("/train/early_stopping")));
        java.util.Set<String> strategyKeys = new java.util.LinkedHashSet<>(List.of("type"));
        for (Strategy type : Strategy.values()) strategyKeys.addAll(snakeCase(StrategyConfig.recordOf(type)));
        assertThat(strategyKeys).containsExactlyInAnyOrderElementsOf(
                RecipeSchema.propertyNames(RecipeSchema.at("/strategy")));
    }

    private static List<String> snakeCase(Class<?> record) {
        return java.util.Arrays.stream(record.getRecordComponents())
                .map(c -> c.getName().replaceAll("([A-Z])", "_$1").toLowerCase(java.util.Locale.ROOT)).toList();
    }

    @Test
    void suggestionsAreForTyposOnly() {
        assertThat(Suggestions.closest("optimiser", java.util.List.of("optimizer", "name"))).contains("optimizer");
        assertThat(Suggestions.closest("epoch", java.util.List.of("epochs", "seed"))).contains("epochs");
        assertThat(Suggestions.closest("lr", java.util.List.of("learning_rate", "l2", "seed"))).contains("learning_rate");
        assertThat(Suggestions.closest("xyz", java.util.List.of("learning_rate", "seed"))).isEmpty();
        assertThat(Suggestions.distance("abcd", "abdc")).isEqualTo(1);
    }
}
