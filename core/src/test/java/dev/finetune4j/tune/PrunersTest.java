package dev.finetune4j.tune;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PrunersTest {
    static Trial done(int n, double... perStep) {
        java.util.Map<Long, Double> m = new java.util.HashMap<>();
        for (int i = 0; i < perStep.length; i++) m.put((long) i + 1, perStep[i]);
        return new Trial(n, Map.of(), Trial.State.COMPLETE, perStep[perStep.length - 1], m);
    }

    static Trial running(int n, double... perStep) {
        java.util.Map<Long, Double> m = new java.util.HashMap<>();
        for (int i = 0; i < perStep.length; i++) m.put((long) i + 1, perStep[i]);
        return new Trial(n, Map.of(), Trial.State.RUNNING, null, m);
    }

    @Test
    void medianPrunesBelowTheMedianOfFinishedTrialsAtTheSameStep() {
        List<Trial> finished = List.of(done(0, 0.5, 0.7), done(1, 0.6, 0.8), done(2, 0.7, 0.9));
        MedianPruner median = new MedianPruner(3, 0);
        Trial worse = running(3, 0.55);
        Trial better = running(4, 0.65);
        assertThat(median.prune(worse, 1, concat(finished, worse), Direction.MAXIMIZE)).isTrue();
        assertThat(median.prune(better, 1, concat(finished, better), Direction.MAXIMIZE)).isFalse();
        // Minimising the same numbers flips the decision.
        assertThat(median.prune(worse, 1, concat(finished, worse), Direction.MINIMIZE)).isFalse();
        // Too few finished trials: no pruning yet.
        assertThat(new MedianPruner(4, 0).prune(worse, 1, concat(finished, worse), Direction.MAXIMIZE)).isFalse();
        // Warm-up steps are never pruned.
        assertThat(new MedianPruner(3, 2).prune(worse, 1, concat(finished, worse), Direction.MAXIMIZE)).isFalse();
    }

    @Test
    void ashaDecidesOnlyAtRungsAndKeepsTheTopThird() {
        AshaPruner asha = new AshaPruner(1, 3);
        assertThat(asha.isRung(1)).isTrue();
        assertThat(asha.isRung(2)).isFalse();
        assertThat(asha.isRung(3)).isTrue();
        assertThat(asha.isRung(9)).isTrue();
        // The first trial at a rung always continues; then only the best so far until three have reached it.
        Trial first = running(0, 0.5);
        assertThat(asha.prune(first, 1, List.of(first), Direction.MAXIMIZE)).isFalse();
        Trial second = running(1, 0.4);
        assertThat(asha.prune(second, 1, List.of(first, second), Direction.MAXIMIZE)).isTrue();
        Trial third = running(2, 0.6);
        assertThat(asha.prune(third, 1, List.of(first, second, third), Direction.MAXIMIZE)).isFalse();
        // With six values at rung 1, the top 2 continue: 0.6 and 0.58 yes, 0.55 no.
        List<Trial> six = List.of(first, second, third, running(3, 0.3), running(4, 0.58), running(5, 0.55));
        assertThat(asha.prune(six.get(4), 1, six, Direction.MAXIMIZE)).isFalse();
        assertThat(asha.prune(six.get(5), 1, six, Direction.MAXIMIZE)).isTrue();
        // Between rungs nothing is pruned however bad.
        Trial bad = running(6, 0.6, 0.0);
        assertThat(asha.prune(bad, 2, List.of(bad), Direction.MAXIMIZE)).isFalse();
    }

    static List<Trial> concat(List<Trial> a, Trial b) {
        java.util.ArrayList<Trial> l = new java.util.ArrayList<>(a);
        l.add(b);
        return l;
    }
}
