package dev.finetune4j.recipe;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
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
        RecipeSchema.at(pointer).path("enum").forEach(v -> {
            if (!v.isNull()) values.add(v.asText()); // null: chosen by the run
        });
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
        assertThatThrownBy(() -> new DataConfig(Path.of("/t.jsonl"), null, null, Format.AUTO, "label",
                0.5, 0.5, true, OnBadLine.SKIP)).hasMessageContaining("must be < 1");
        // with both files given, nothing is split off, so the fractions do not matter
        new DataConfig(Path.of("/t.jsonl"), Path.of("/v.jsonl"), Path.of("/x.jsonl"), Format.AUTO, "label",
                0.5, 0.5, true, OnBadLine.SKIP);
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
        assertThat(snakeCase(DataConfig.class)).containsExactlyElementsOf(RecipeSchema.propertyNames(RecipeSchema.at("/data"))
                .stream().filter(k -> !RecipeSchema.at("/data/" + k).has(RecipeSchema.TASK)).toList());
        assertThat(snakeCase(HeadConfig.class)).containsExactlyElementsOf(
                RecipeSchema.propertyNames(RecipeSchema.at("/head")));
        assertThat(snakeCase(TrainConfig.class)).containsExactlyElementsOf(RecipeSchema.propertyNames(RecipeSchema.at("/train"))
                .stream().filter(k -> !RecipeSchema.at("/train/" + k).has(RecipeSchema.TASK)).toList());
        assertThat(snakeCase(EvalConfig.class)).containsExactlyElementsOf(
                RecipeSchema.propertyNames(RecipeSchema.at("/eval")));
        assertThat(snakeCase(EarlyStopping.class)).containsExactlyElementsOf(
                RecipeSchema.propertyNames(RecipeSchema.at("/train/early_stopping")));
        java.util.Set<String> strategyKeys = new java.util.LinkedHashSet<>(List.of("type"));
        for (Strategy type : Strategy.values()) strategyKeys.addAll(snakeCase(StrategyConfig.recordOf(type)));
        assertThat(strategyKeys).containsExactlyInAnyOrderElementsOf(
                RecipeSchema.propertyNames(RecipeSchema.at("/strategy")));
    }

    @Test
    void everyTasksSettingsRecordHasItsSchemaFragmentsKeys() {
        assertThat(TaskKeys.installed()).isNotEmpty();
        for (TaskKeys keys : TaskKeys.installed()) {
            JsonNode fragment = keys.recipeSchema();
            assertThat(snakeCase(keys.settingsType())).as(keys.task())
                    .containsExactlyElementsOf(RecipeSchema.propertyNames(fragment));
            for (java.lang.reflect.RecordComponent section : keys.settingsType().getRecordComponents()) {
                String name = snakeCase(section.getName());
                if (section.getType().isRecord() && fragment.at("/properties/" + name).has("properties")) {
                    assertThat(snakeCase(section.getType())).as(keys.task() + " " + name)
                            .containsExactlyElementsOf(RecipeSchema.propertyNames(fragment.at("/properties/" + name)));
                }
                fragment.at("/properties/" + name).path("properties").forEach(definition ->
                        assertThat(definition.has("default")).as(keys.task() + " " + name + ": every key has a default")
                                .isTrue());
            }
        }
    }

    @Test
    void taskKeysMergeIntoTheSharedSectionsTaggedWithTheirTask() throws Exception {
        ObjectMapper json = new ObjectMapper();
        JsonNode base = json.readTree("""
                {"properties": {"task": {"type": "string", "default": "a"},
                  "data": {"type": "object", "properties": {"train": {"type": "string"}}}}}""");
        TaskKeys a = keys("a", """
                {"properties": {"data": {"properties": {"column": {"type": "string", "default": "x"}}}}}""");
        TaskKeys b = keys("b", """
                {"properties": {"data": {"properties": {"column": {"type": "string", "default": "x"}}},
                  "augment": {"type": "object", "properties": {"flip": {"type": "boolean", "default": true}}}}}""");

        JsonNode merged = RecipeSchema.withTaskKeys(base, List.of(a, b));

        assertThat(merged.at("/properties/task/enum").toString()).isEqualTo("[\"a\",\"b\"]");
        assertThat(merged.at("/properties/data/properties/train").has(RecipeSchema.TASK)).isFalse();
        assertThat(merged.at("/properties/data/properties/column/x-task").toString()).isEqualTo("[\"a\",\"b\"]");
        assertThat(merged.at("/properties/augment/x-task").toString()).isEqualTo("[\"b\"]");
        assertThat(RecipeSchema.appliesToTask(merged.at("/properties/augment"), "a")).isFalse();
        // two tasks may share a key only when they declare it alike, and no task may redeclare a shared key
        TaskKeys other = keys("c", """
                {"properties": {"data": {"properties": {"column": {"type": "integer", "default": 1}}}}}""");
        assertThatThrownBy(() -> RecipeSchema.withTaskKeys(base, List.of(a, other)))
                .hasMessageContaining("task c declares 'data.column', which tasks [\"a\"] declare differently");
        TaskKeys shared = keys("d", """
                {"properties": {"data": {"properties": {"train": {"type": "string"}}}}}""");
        assertThatThrownBy(() -> RecipeSchema.withTaskKeys(base, List.of(shared)))
                .hasMessageContaining("task d declares 'data.train', which every task has");
    }

    private static TaskKeys keys(String task, String fragment) throws Exception {
        JsonNode schema = new ObjectMapper().readTree(fragment);
        return new TaskKeys() {
            @Override
            public String task() {
                return task;
            }

            @Override
            public JsonNode recipeSchema() {
                return schema;
            }

            @Override
            public Class<? extends TaskSettings> settingsType() {
                return TaskSettings.class;
            }
        };
    }

    private static String snakeCase(String name) {
        return name.replaceAll("([A-Z])", "_$1").toLowerCase(java.util.Locale.ROOT);
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
