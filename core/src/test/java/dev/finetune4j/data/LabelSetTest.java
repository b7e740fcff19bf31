package dev.finetune4j.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.finetune4j.UserError;
import java.util.List;
import org.junit.jupiter.api.Test;

class LabelSetTest {
    private static List<Example> examples(String... labels) {
        List<Example> out = new java.util.ArrayList<>();
        for (int i = 0; i < labels.length; i++) out.add(new Example("t" + i, labels[i], i + 2));
        return out;
    }

    @Test
    void indicesFollowSortedNamesWhateverTheInputOrder() {
        LabelSet a = LabelSet.fromExamples(examples("pos", "neg", "neutral", "neg"));
        LabelSet b = LabelSet.fromExamples(examples("neutral", "neg", "neg", "pos"));
        assertThat(a.names()).containsExactly("neg", "neutral", "pos");
        assertThat(a).isEqualTo(b);
        assertThat(a.index("neg")).isZero();
        assertThat(a.index("pos")).isEqualTo(2);
        assertThat(a.name(1)).isEqualTo("neutral");
        assertThat(a.size()).isEqualTo(3);
        assertThat(a.counts()).containsExactly(
                java.util.Map.entry("neg", 2), java.util.Map.entry("neutral", 1), java.util.Map.entry("pos", 1));
        assertThatThrownBy(() -> a.index("other")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void integerLabelsSortNumerically() {
        LabelSet s = LabelSet.fromExamples(examples("10", "2", "0", "1"));
        assertThat(s.names()).containsExactly("0", "1", "2", "10");
        LabelSet mixed = LabelSet.fromExamples(examples("10", "2", "b"));
        assertThat(mixed.names()).containsExactly("10", "2", "b");
    }

    @Test
    void unseenLabelsNameLabelsLinesAndFile() {
        LabelSet s = LabelSet.fromExamples(examples("neg", "pos"));
        s.requireKnown(examples("pos", "neg"), "val.csv");
        assertThatThrownBy(() -> s.requireKnown(examples("pos", "Pos", "mixed", "Pos"),
                        "val.csv (data.validation in the recipe)"))
                .isInstanceOf(UserError.class)
                .hasMessageStartingWith("val.csv (data.validation in the recipe) has labels that the training data does not:")
                .hasMessageContaining("\"Pos\" (2 rows, first on line 3)")
                .hasMessageContaining("\"mixed\" (1 row, first on line 4)")
                .hasMessageContaining("training labels are: neg, pos");
    }

    @Test
    void needsAtLeastTwoLabels() {
        LabelSet.fromExamples(examples("a", "b")).requireAtLeastTwo("train.csv");
        assertThatThrownBy(() -> LabelSet.fromExamples(examples("a", "a")).requireAtLeastTwo("train.csv"))
                .isInstanceOf(UserError.class)
                .hasMessageContaining("train.csv has only one label (\"a\")");
        assertThatThrownBy(() -> LabelSet.fromExamples(List.of()).requireAtLeastTwo("train.csv"))
                .isInstanceOf(UserError.class)
                .hasMessageContaining("no labelled examples");
    }
}
