package dev.finetune4j.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.finetune4j.UserError;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class StratifiedSplitTest {
    /** 3 classes with skewed sizes, interleaved: 700 a, 250 b, 47 c, plus a 3-example and a 1-example class. */
    private static List<Example> data() {
        List<Example> out = new ArrayList<>();
        int line = 1;
        for (int i = 0; i < 700; i++) out.add(new Example("a" + i, "a", line++));
        for (int i = 0; i < 250; i++) out.add(new Example("b" + i, "b", line++));
        for (int i = 0; i < 47; i++) out.add(new Example("c" + i, "c", line++));
        for (int i = 0; i < 3; i++) out.add(new Example("d" + i, "d", line++));
        out.add(new Example("e0", "e", line));
        java.util.Collections.shuffle(out, new java.util.Random(7));
        return out;
    }

    private static Map<String, Long> perClass(List<Example> part) {
        return part.stream().collect(Collectors.groupingBy(Example::label, Collectors.counting()));
    }

    @Test
    void keepsClassProportionsWithinOnePerClass() {
        List<Example> all = data();
        Split s = StratifiedSplit.split(all, 0.1, 0.2, 42);
        Map<String, Long> total = perClass(all);
        Map<String, Long> val = perClass(s.validation());
        Map<String, Long> test = perClass(s.test());
        for (String label : List.of("a", "b", "c")) {
            assertThat((double) val.get(label)).isCloseTo(total.get(label) * 0.1, org.assertj.core.data.Offset.offset(1.0));
            assertThat((double) test.get(label)).isCloseTo(total.get(label) * 0.2, org.assertj.core.data.Offset.offset(1.0));
        }
        // a class with 3 examples still appears in every part; a single example stays in train
        assertThat(val.get("d")).isEqualTo(1);
        assertThat(test.get("d")).isEqualTo(1);
        assertThat(perClass(s.train()).get("d")).isEqualTo(1);
        assertThat(perClass(s.train()).get("e")).isEqualTo(1);
        assertThat(val).doesNotContainKey("e");
    }

    @Test
    void isDisjointAndComplete() {
        List<Example> all = data();
        Split s = StratifiedSplit.split(all, 0.15, 0.15, 1);
        Set<Example> seen = new HashSet<>();
        for (List<Example> part : List.of(s.train(), s.validation(), s.test())) {
            for (Example e : part) assertThat(seen.add(e)).as("appears once: %s", e).isTrue();
        }
        assertThat(seen).containsExactlyInAnyOrderElementsOf(all);
    }

    @Test
    void isDeterministicPerSeedAndChangesWithSeed() {
        List<Example> all = data();
        Split a = StratifiedSplit.split(all, 0.1, 0.1, 42);
        Split b = StratifiedSplit.split(new ArrayList<>(all), 0.1, 0.1, 42);
        Split c = StratifiedSplit.split(all, 0.1, 0.1, 43);
        assertThat(a).isEqualTo(b);
        assertThat(a.validation()).isNotEqualTo(c.validation());
        assertThat(a.validation()).hasSameSizeAs(c.validation());
    }

    @Test
    void zeroFractionsGiveEmptyParts() {
        List<Example> all = data();
        Split s = StratifiedSplit.split(all, 0.0, 0.0, 5);
        assertThat(s.validation()).isEmpty();
        assertThat(s.test()).isEmpty();
        assertThat(s.train()).hasSameSizeAs(all);
        Split onlyVal = StratifiedSplit.split(all, 0.2, 0.0, 5);
        assertThat(onlyVal.test()).isEmpty();
        assertThat(onlyVal.validation()).isNotEmpty();
    }

    @Test
    void rejectsFractionsLeavingNothingToTrainOn() {
        assertThatThrownBy(() -> StratifiedSplit.split(data(), 0.5, 0.5, 1))
                .isInstanceOf(UserError.class)
                .hasMessageContaining("must be below 1");
        assertThatThrownBy(() -> StratifiedSplit.split(data(), -0.1, 0.1, 1)).isInstanceOf(UserError.class);
    }
}
