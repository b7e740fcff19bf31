package dev.finetune4j.recipe;

import dev.finetune4j.data.Format;
import dev.finetune4j.data.OnBadLine;

import dev.finetune4j.model.Pooling;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
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
        assertThat(RecipeNames.allowed(Strategy.class)).containsExactlyElementsOf(enumOf("/strategy"));
        assertThat(RecipeNames.allowed(Schedule.class)).containsExactlyElementsOf(enumOf("/train/schedule"));
        assertThat(EarlyStopping.METRICS).containsExactlyElementsOf(enumOf("/train/early_stopping/metric"));
        assertThat(Recipe.TASKS).containsExactlyElementsOf(enumOf("/task"));
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
    void suggestionsAreForTyposOnly() {
        assertThat(Suggestions.closest("optimiser", java.util.List.of("optimizer", "name"))).contains("optimizer");
        assertThat(Suggestions.closest("epoch", java.util.List.of("epochs", "seed"))).contains("epochs");
        assertThat(Suggestions.closest("lr", java.util.List.of("learning_rate", "seed"))).isEmpty();
        assertThat(Suggestions.distance("abcd", "abdc")).isEqualTo(1);
    }
}
