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

    static SearchConfig config(Direction direction) {
        return new SearchConfig("validation.macro_f1", direction, "random", "none", 40, 0, 10, 1, 3, SPACE);
    }

    static Trial trial(int number, Trial.State state, Double value, Map<Long, Double> intermediate) {
        return new Trial(number, Map.of("lr", 1e-3, "noise", 0.5, "kind", "a"), state, value, intermediate);
    }

    /** Seven trials, listed out of order: complete ones, a pruned one, a failed and a running one. */
    static List<Trial> knownTrials() {
        return List.of(
                trial(3, Trial.State.COMPLETE, 0.40, Map.of(1L, 0.40)),
                trial(0, Trial.State.COMPLETE, 0.50, Map.of(1L, 0.50)),
                trial(1, Trial.State.PRUNED, null, Map.of(1L, 0.20, 2L, 0.25)),
                trial(2, Trial.State.COMPLETE, 0.70, Map.of(1L, 0.70)),
                trial(4, Trial.State.FAILED, null, Map.of()),
                trial(5, Trial.State.COMPLETE, 0.60, Map.of(1L, 0.60)),
                trial(6, Trial.State.RUNNING, null, Map.of(1L, 0.90)));
    }

    static Map<String, org.knowm.xchart.XYSeries> historySeries(List<Trial> trials, Direction direction) {
        return StudyPlots.history(trials, config(direction)).getSeriesMap();
    }

    @Test
    void historyPlotsEachFinishedTrialAndTheBestValueSoFar() {
        Map<String, org.knowm.xchart.XYSeries> max = historySeries(knownTrials(), Direction.MAXIMIZE);
        assertThat(max.keySet()).containsExactly("complete", "pruned (last value)", "best so far");
        // complete trials in trial order with their values; the pruned one at its last reported value
        assertThat(max.get("complete").getXData()).containsExactly(0, 2, 3, 5);
        assertThat(max.get("complete").getYData()).containsExactly(0.50, 0.70, 0.40, 0.60);
        assertThat(max.get("pruned (last value)").getXData()).containsExactly(1);
        assertThat(max.get("pruned (last value)").getYData()).containsExactly(0.25);
        // best so far: from the first complete trial on, at every trial; only complete values count
        assertThat(max.get("best so far").getXData()).containsExactly(0, 1, 2, 3, 4, 5, 6);
        assertThat(max.get("best so far").getYData()).containsExactly(0.50, 0.50, 0.70, 0.70, 0.70, 0.70, 0.70);

        Map<String, org.knowm.xchart.XYSeries> min = historySeries(knownTrials(), Direction.MINIMIZE);
        assertThat(min.get("complete").getYData()).containsExactly(0.50, 0.70, 0.40, 0.60);
        assertThat(min.get("best so far").getYData()).containsExactly(0.50, 0.50, 0.50, 0.40, 0.40, 0.40, 0.40);

        // on the 40 sampled trials: monotone, and always the best complete value among trials up to x
        List<Trial> sampled = trials();
        double[] bx = historySeries(sampled, Direction.MAXIMIZE).get("best so far").getXData();
        double[] by = historySeries(sampled, Direction.MAXIMIZE).get("best so far").getYData();
        for (int i = 0; i < bx.length; i++) {
            int upTo = (int) bx[i];
            double best = sampled.stream().filter(t -> t.number() <= upTo && t.state() == Trial.State.COMPLETE)
                    .mapToDouble(Trial::value).max().orElseThrow();
            assertThat(by[i]).as("best so far at trial %d", upTo).isEqualTo(best);
            if (i > 0) assertThat(by[i]).isGreaterThanOrEqualTo(by[i - 1]);
        }
        assertThat(bx).hasSize(40);
    }

    @Test
    void historyWithoutAFinishedTrialSaysSo() {
        Map<String, org.knowm.xchart.XYSeries> none = historySeries(
                List.of(trial(0, Trial.State.FAILED, null, Map.of()), trial(1, Trial.State.RUNNING, null, Map.of())),
                Direction.MAXIMIZE);
        assertThat(none.keySet()).containsExactly("no finished trial");
    }

    @Test
    void importanceChartShowsEachParametersImportanceLargestFirst() {
        Map<String, Double> importance = StudyPlots.importance(trials(), SPACE);
        org.knowm.xchart.CategorySeries bars = StudyPlots.importanceChart(importance, config(Direction.MAXIMIZE))
                .getSeriesMap().get("importance");
        assertThat(List.<Object>copyOf(bars.getXData())).containsExactly("lr", "kind", "noise");
        assertThat(List.<Number>copyOf(bars.getYData())).containsExactly(importance.get("lr"), importance.get("kind"), importance.get("noise"));
    }

    @Test
    void writesTwoDecodablePngsOfTheChartsSize(@TempDir Path dir) throws Exception {
        StudyPlots.write(dir, trials(), config(Direction.MAXIMIZE));
        for (String f : List.of("optimization-history.png", "parameter-importance.png")) {
            java.awt.image.BufferedImage image = javax.imageio.ImageIO.read(dir.resolve(f).toFile());
            assertThat(image).as(f + " decodes as an image").isNotNull();
            assertThat(image.getWidth()).as(f).isEqualTo(800);
            assertThat(image.getHeight()).as(f).isEqualTo(450);
            java.util.Set<Integer> colours = new java.util.HashSet<>();
            for (int y = 0; y < image.getHeight(); y += 3) for (int x = 0; x < image.getWidth(); x += 3) colours.add(image.getRGB(x, y));
            assertThat(colours).as(f + " is not blank").hasSizeGreaterThan(10);
        }
        // Another study's values give another history picture.
        Path other = Files.createDirectory(dir.resolve("other"));
        StudyPlots.write(other, knownTrials(), config(Direction.MAXIMIZE));
        assertThat(Files.readAllBytes(other.resolve("optimization-history.png")))
                .isNotEqualTo(Files.readAllBytes(dir.resolve("optimization-history.png")));
    }

    @Test
    void noImportancePlotWithFewerThanThreeFinishedTrials(@TempDir Path dir) {
        StudyPlots.write(dir, List.of(trial(0, Trial.State.COMPLETE, 0.5, Map.of()), trial(1, Trial.State.COMPLETE, 0.6,
                Map.of()), trial(2, Trial.State.PRUNED, null, Map.of(1L, 0.1))), config(Direction.MAXIMIZE));
        assertThat(dir.resolve("optimization-history.png")).isRegularFile();
        assertThat(dir.resolve("parameter-importance.png")).doesNotExist();
    }
}
