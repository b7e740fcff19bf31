package dev.finetune4j.eval;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class SlicesTest {
    private static final List<String> LABELS = List.of("a", "b");

    @Test
    void groupsAreMeasuredApartAndTheGapIsBetweenBestAndWorst() {
        int n = 40;
        String[] source = new String[n];
        int[] gold = new int[n];
        int[] predicted = new int[n];
        for (int i = 0; i < n; i++) {
            gold[i] = i % 2;
            if (i < 20) { // "web": every prediction right
                source[i] = "web";
                predicted[i] = gold[i];
            } else if (i < 36) { // "mail": half wrong
                source[i] = "mail";
                predicted[i] = i % 4 < 2 ? gold[i] : 1 - gold[i];
            } else { // 4 examples with no source: listed, too few for the gap
                source[i] = i == 36 ? null : " ";
                predicted[i] = 1 - gold[i];
            }
        }
        Slices.Slice slice = Slices.of("source", source, gold, predicted, LABELS);

        assertThat(slice.groups()).extracting(Slices.Group::value).containsExactly("web", "mail", Slices.MISSING);
        assertThat(slice.groups()).extracting(Slices.Group::n).containsExactly(20, 16, 4);
        assertThat(slice.groups().get(0).macroF1()).isEqualTo(1.0);
        assertThat(slice.groups().get(1).accuracy()).isEqualTo(0.5);
        assertThat(slice.best()).isEqualTo("web");
        assertThat(slice.worst()).as("the 4 missing ones are under the minimum group").isEqualTo("mail");
        assertThat(slice.accuracyGap()).isCloseTo(0.5, within(1e-12));
        assertThat(slice.macroF1Gap()).isCloseTo(1.0 - slice.groups().get(1).macroF1(), within(1e-12));
        assertThat(slice.toMap()).containsKeys("groups", "macro_f1_gap", "accuracy_gap", "best", "worst");
    }

    @Test
    void aGroupWithOneClassIsNotMarkedDownForTheClassItLacks() {
        String[] group = new String[12];
        Arrays.fill(group, "only-a");
        int[] gold = new int[12];
        Slices.Slice slice = Slices.of("g", group, gold, gold.clone(), LABELS);
        assertThat(slice.groups().get(0).macroF1()).as("class b occurs neither as gold nor as prediction").isEqualTo(1.0);
        assertThat(slice.macroF1Gap()).as("one group: no gap").isNull();
    }
}
