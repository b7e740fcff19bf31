package dev.finetune4j.tune;

import dev.finetune4j.util.AtomicFiles;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.markers.SeriesMarkers;

/** A study's PNG plots: optimization history and parameter importance (headless). */
public final class StudyPlots {
    private StudyPlots() {}

    /** Writes {@code optimization-history.png} and {@code parameter-importance.png} into {@code dir}. */
    public static void write(Path dir, List<Trial> trials, SearchConfig config) {
        System.setProperty("java.awt.headless", "true");
        png(dir.resolve("optimization-history.png"), history(trials, config));
        Map<String, Double> importance = importance(trials, config.space());
        if (!importance.isEmpty()) png(dir.resolve("parameter-importance.png"), importanceChart(importance, config));
    }

    static XYChart history(List<Trial> trials, SearchConfig config) {
        XYChart chart = new XYChartBuilder().width(800).height(450).title("Optimization history")
                .xAxisTitle("trial").yAxisTitle(config.metric()).build();
        chart.getStyler().setLegendPosition(org.knowm.xchart.style.Styler.LegendPosition.InsideSE);
        List<Double> x = new ArrayList<>(), y = new ArrayList<>(), bx = new ArrayList<>(), by = new ArrayList<>();
        List<Double> px = new ArrayList<>(), py = new ArrayList<>();
        Double best = null;
        for (Trial t : trials.stream().sorted(Comparator.comparingInt(Trial::number)).toList()) {
            if (t.state() == Trial.State.COMPLETE && t.value() != null) {
                x.add((double) t.number());
                y.add(t.value());
                if (best == null || config.direction().better(t.value(), best)) best = t.value();
            } else if (t.state() == Trial.State.PRUNED && t.lastIntermediate() != null) {
                px.add((double) t.number());
                py.add(t.lastIntermediate());
            }
            if (best != null) {
                bx.add((double) t.number());
                by.add(best);
            }
        }
        if (!x.isEmpty()) chart.addSeries("complete", x, y).setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Scatter);
        if (!px.isEmpty()) {
            chart.addSeries("pruned (last value)", px, py).setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Scatter)
                    .setMarker(SeriesMarkers.DIAMOND);
        }
        if (!bx.isEmpty()) chart.addSeries("best so far", bx, by).setMarker(SeriesMarkers.NONE);
        if (x.isEmpty() && px.isEmpty()) chart.addSeries("no finished trial", List.of(0.0), List.of(0.0));
        return chart;
    }

    /**
     * Each parameter's importance as the share of the variance of the finished trials' values that
     * it explains alone: the correlation ratio eta^2 over its values (categories) or over up to 4
     * quantile bins (numbers). Not fANOVA: interactions are not separated.
     */
    public static Map<String, Double> importance(List<Trial> trials, SearchSpace space) {
        Map<String, Double> out = new LinkedHashMap<>();
        for (SearchSpace.Param p : space.params()) {
            List<Object> xs = new ArrayList<>();
            List<Double> ys = new ArrayList<>();
            for (Trial t : trials) {
                if (t.state() != Trial.State.COMPLETE || t.value() == null || !t.params().containsKey(p.name())) continue;
                xs.add(t.params().get(p.name()));
                ys.add(t.value());
            }
            if (ys.size() < 3) continue;
            List<Integer> groups = p instanceof SearchSpace.Choice ? categories(xs) : quantileBins(xs, 4);
            out.put(p.name(), etaSquared(groups, ys));
        }
        return out;
    }

    /**
     * The same, for a study read back from its store without its search space: a parameter whose
     * values are all numbers with more than 4 distinct values is binned, any other is categorical.
     */
    public static Map<String, Double> importance(List<Trial> trials) {
        Map<String, Double> out = new LinkedHashMap<>();
        java.util.Set<String> names = new java.util.TreeSet<>();
        trials.forEach(t -> names.addAll(t.params().keySet()));
        for (String name : names) {
            List<Object> xs = new ArrayList<>();
            List<Double> ys = new ArrayList<>();
            for (Trial t : trials) {
                if (t.state() != Trial.State.COMPLETE || t.value() == null || !t.params().containsKey(name)) continue;
                xs.add(t.params().get(name));
                ys.add(t.value());
            }
            if (ys.size() < 3) continue;
            boolean numeric = xs.stream().allMatch(x -> x instanceof Number) && xs.stream().distinct().count() > 4;
            out.put(name, etaSquared(numeric ? quantileBins(xs, 4) : categories(xs), ys));
        }
        return out;
    }

    private static List<Integer> categories(List<Object> xs) {
        Map<String, Integer> ids = new TreeMap<>();
        List<Integer> g = new ArrayList<>();
        for (Object x : xs) g.add(ids.computeIfAbsent(String.valueOf(x), k -> ids.size()));
        return g;
    }

    private static List<Integer> quantileBins(List<Object> xs, int bins) {
        List<Double> v = xs.stream().map(x -> ((Number) x).doubleValue()).toList();
        List<Double> sorted = v.stream().sorted().toList();
        List<Integer> g = new ArrayList<>();
        for (double x : v) {
            int rank = 0;
            while (rank < sorted.size() && sorted.get(rank) < x) rank++;
            g.add(Math.min(bins - 1, rank * bins / sorted.size()));
        }
        return g;
    }

    static double etaSquared(List<Integer> groups, List<Double> ys) {
        double mean = ys.stream().mapToDouble(Double::doubleValue).average().orElse(0);
        double total = 0;
        for (double y : ys) total += (y - mean) * (y - mean);
        if (total == 0) return 0;
        Map<Integer, double[]> sums = new TreeMap<>();
        for (int i = 0; i < ys.size(); i++) {
            double[] s = sums.computeIfAbsent(groups.get(i), k -> new double[2]);
            s[0] += ys.get(i);
            s[1]++;
        }
        double between = 0;
        for (double[] s : sums.values()) between += s[1] * Math.pow(s[0] / s[1] - mean, 2);
        return between / total;
    }

    static CategoryChart importanceChart(Map<String, Double> importance, SearchConfig config) {
        CategoryChart chart = new CategoryChartBuilder().width(800).height(450)
                .title("Parameter importance (variance of " + config.metric() + " explained alone)")
                .xAxisTitle("parameter").yAxisTitle("eta^2").build();
        chart.getStyler().setLegendVisible(false);
        List<Map.Entry<String, Double>> e = importance.entrySet().stream()
                .sorted(Map.Entry.<String, Double>comparingByValue().reversed()).toList();
        chart.addSeries("importance", e.stream().map(Map.Entry::getKey).toList(),
                e.stream().map(Map.Entry::getValue).toList());
        return chart;
    }

    private static void png(Path file, org.knowm.xchart.internal.chartpart.Chart<?, ?> chart) {
        try {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            BitmapEncoder.saveBitmap(chart, bytes, BitmapEncoder.BitmapFormat.PNG);
            AtomicFiles.writeBytes(file, bytes.toByteArray());
        } catch (IOException e) {
            throw AtomicFiles.writeFailed(file, e);
        }
    }
}
