package dev.finetune4j.tune;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StudyPlotsTest {
    static final SearchSpace SPACE = new SearchSpace(List.of(
            new SearchSpace.LogUniform("lr", 1e-5, 1e-1, null),
            new SearchSpace.Uniform("noise", 0, 1, null),
            new SearchSpace.Choice("kind", List.of("a", "b"), null)));

    static List<Trial> trials() {
        Random rng = new Random(5);
        List<Trial> out = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            Map<String, Object> p = new RandomSampler().sample(SPACE, out, Direction.MAXIMIZE, rng);
            double v = -Math.abs(Math.log10((Double) p.get("lr")) + 3) + (p.get("kind").equals("b") ? 0.3 : 0)
                    + 0.01 * rng.nextGaussian();
            out.add(new Trial(i, p, i % 7 == 6 ? Trial.State.PRUNED : Trial.State.COMPLETE, v, Map.of(1L, v)));
        }
        return out;
    }

    @Test
    void importanceRanksWhatDrivesTheValueAboveNoise() {
        Map<String, Double> imp = StudyPlots.importance(trials(), SPACE);
        assertThat(imp.get("lr")).isGreaterThan(imp.get("kind")).isGreaterThan(imp.get("noise"));
        assertThat(imp.get("noise")).isLessThan(0.15);
        assertThat(imp.values()).allMatch(v -> v >= 0 && v <= 1);
    }

    @Test
    void writesTwoPngs(@TempDir Path dir) throws Exception {
        SearchConfig config = new SearchConfig("validation.macro_f1", Direction.MAXIMIZE, "random", "none", 40, 0, 10, 1, 3,
                SPACE);
        StudyPlots.write(dir, trials(), config);
        for (String f : List.of("optimization-history.png", "parameter-importance.png")) {
            byte[] b = Files.readAllBytes(dir.resolve(f));
            assertThat(b.length).isGreaterThan(2000);
            assertThat(new String(b, 1, 3, java.nio.charset.StandardCharsets.US_ASCII)).isEqualTo("PNG");
        }
    }
}
