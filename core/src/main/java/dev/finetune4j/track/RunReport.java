package dev.finetune4j.track;

import dev.finetune4j.eval.ClassificationReport;
import dev.finetune4j.recipe.RecipeLoader;
import dev.finetune4j.util.AtomicFiles;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.HeatMapChart;
import org.knowm.xchart.HeatMapChartBuilder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.internal.chartpart.Chart;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * A run's report in {@code report/}: PNG plots (train vs validation loss, validation metrics,
 * learning rate, confusion matrix heatmap) and {@code report.html}, one self-contained page (plots
 * inlined) with the metrics tables, the recipe and the provenance, to open or mail as it is.
 */
public final class RunReport {
    private RunReport() {}

    /** As {@link #write(Path, String, List, ClassificationReport, ClassificationReport, Map, Map, Map)} without the rest of metrics.json. */
    public static void write(Path dir, String title, List<RunStore.Point> points, ClassificationReport test,
            ClassificationReport validation, Map<String, Object> recipe, Map<String, Object> provenance) {
        write(dir, title, points, test, validation, recipe, provenance, Map.of());
    }

    /**
     * @param points what {@link RunRecorder} recorded
     * @param test the held-out report (its confusion matrix is drawn), or null: the validation one is
     * @param metrics the run's metrics.json, whose diagnostics, calibration and slices the report shows
     */
    public static void write(Path dir, String title, List<RunStore.Point> points, ClassificationReport test,
            ClassificationReport validation, Map<String, Object> recipe, Map<String, Object> provenance,
            Map<String, Object> metrics) {
        System.setProperty("java.awt.headless", "true");
        Map<String, byte[]> pngs = new LinkedHashMap<>();
        pngs.put("loss.png", png(lossChart(points)));
        pngs.put("validation-metrics.png", png(metricChart(points)));
        XYChart rate = series(points, "Learning rate", "learning rate", Map.of("train.learning_rate", "learning rate"), false);
        rate.getStyler().setYAxisDecimalPattern("0.0E0"); // rates like 2.94e-4: plain decimals run into each other
        pngs.put("learning-rate.png", png(rate));
        ClassificationReport matrixFrom = test != null ? test : validation;
        if (matrixFrom != null) pngs.put("confusion-matrix.png", png(confusion(matrixFrom, test != null ? "test" : "validation")));
        List<Map<String, Object>> reliability = reliabilityBins(metrics);
        if (!reliability.isEmpty()) pngs.put("reliability.png", png(reliabilityChart(reliability)));
        for (Map.Entry<String, byte[]> e : pngs.entrySet()) {
            try {
                AtomicFiles.writeBytes(dir.resolve(e.getKey()), e.getValue());
            } catch (IOException ex) {
                throw AtomicFiles.writeFailed(dir.resolve(e.getKey()), ex);
            }
        }
        AtomicFiles.writeString(dir.resolve("report.html"), html(title, pngs, test, validation, recipe, provenance,
                metrics));
    }

    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> reliabilityBins(Map<String, Object> metrics) {
        Object calibration = metrics.get("calibration");
        if (!(calibration instanceof Map<?, ?> c) || !(c.get("test_reliability") instanceof List<?> bins)) return List.of();
        return (List<Map<String, Object>>) bins;
    }

    /** Accuracy against mean confidence per bin (test, calibrated): on the diagonal when probabilities are calibrated. */
    static XYChart reliabilityChart(List<Map<String, Object>> bins) {
        XYChart chart = new XYChartBuilder().width(600).height(420).title("Reliability (test, calibrated)")
                .xAxisTitle("mean confidence").yAxisTitle("accuracy").build();
        chart.getStyler().setXAxisMin(0.0).setXAxisMax(1.0).setYAxisMin(0.0).setYAxisMax(1.0);
        chart.addSeries("perfect calibration", new double[] {0, 1}, new double[] {0, 1})
                .setMarker(org.knowm.xchart.style.markers.SeriesMarkers.NONE);
        double[] x = bins.stream().mapToDouble(b -> ((Number) b.get("confidence")).doubleValue()).toArray();
        double[] y = bins.stream().mapToDouble(b -> ((Number) b.get("accuracy")).doubleValue()).toArray();
        chart.addSeries("bins", x, y);
        return chart;
    }

    static XYChart lossChart(List<RunStore.Point> points) {
        XYChart chart = series(points, "Loss: train (per step) vs validation (per evaluation)", "cross-entropy",
                Map.of("train.loss", "train"), false);
        for (String[] k : new String[][] {{"validation.loss", "validation"}, {"train.epoch_loss", "train (epoch mean)"}}) {
            List<Double> x = new ArrayList<>(), y = new ArrayList<>();
            for (RunStore.Point p : points) {
                if (p.key().equals(k[0]) && Double.isFinite(p.value())) {
                    x.add((double) p.step());
                    y.add(p.value());
                }
            }
            if (!x.isEmpty()) chart.addSeries(k[1], x, y).setMarker(SeriesMarkers.CIRCLE);
        }
        return chart;
    }

    static XYChart metricChart(List<RunStore.Point> points) {
        Map<String, String> keys = new LinkedHashMap<>();
        keys.put("validation.macro_f1", "macro-F1");
        keys.put("validation.accuracy", "accuracy");
        keys.put("validation.weighted_f1", "weighted F1");
        return series(points, "Validation metrics", "value", keys, true);
    }

    private static XYChart series(List<RunStore.Point> points, String title, String yTitle, Map<String, String> keys,
            boolean markers) {
        XYChart chart = new XYChartBuilder().width(800).height(400).title(title).xAxisTitle("step").yAxisTitle(yTitle)
                .build();
        chart.getStyler().setLegendPosition(org.knowm.xchart.style.Styler.LegendPosition.InsideNE);
        boolean any = false;
        for (Map.Entry<String, String> k : keys.entrySet()) {
            List<Double> x = new ArrayList<>(), y = new ArrayList<>();
            for (RunStore.Point p : points) {
                if (p.key().equals(k.getKey()) && Double.isFinite(p.value())) {
                    x.add((double) p.step());
                    y.add(p.value());
                }
            }
            if (x.isEmpty()) continue;
            XYSeries s = chart.addSeries(k.getValue(), x, y);
            s.setMarker(markers ? SeriesMarkers.CIRCLE : SeriesMarkers.NONE);
            any = true;
        }
        if (!any) chart.addSeries("nothing recorded", List.of(0.0), List.of(0.0));
        return chart;
    }

    static HeatMapChart confusion(ClassificationReport r, String split) {
        HeatMapChart chart = new HeatMapChartBuilder().width(600).height(520)
                .title("Confusion matrix (" + split + "): rows true, columns predicted").build();
        chart.getStyler().setShowValue(true);
        chart.getStyler().setRangeColors(new java.awt.Color[] {new java.awt.Color(0xf7fbff), new java.awt.Color(0x9ecae1),
                new java.awt.Color(0x4292c6)}); // light to mid blue: the counts stay readable in black
        chart.getStyler().setLegendVisible(false);
        chart.getStyler().setPlotContentSize(1.0);
        int k = r.labels().size();
        int[][] m = r.confusionMatrix();
        List<Number[]> cells = new ArrayList<>();
        // XChart draws y upward; list true classes top to bottom as a table reads
        List<String> rows = new ArrayList<>(r.labels());
        java.util.Collections.reverse(rows);
        for (int t = 0; t < k; t++) {
            for (int p = 0; p < k; p++) cells.add(new Number[] {p, k - 1 - t, m[t][p]});
        }
        chart.addSeries("counts", new ArrayList<>(r.labels()), rows, cells);
        return chart;
    }

    private static byte[] png(Chart<?, ?> chart) {
        try {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            BitmapEncoder.saveBitmap(chart, bytes, BitmapEncoder.BitmapFormat.PNG);
            return bytes.toByteArray();
        } catch (IOException e) {
            throw new IllegalStateException("cannot encode a PNG: " + e.getMessage(), e);
        }
    }

    private static String html(String title, Map<String, byte[]> pngs, ClassificationReport test,
            ClassificationReport validation, Map<String, Object> recipe, Map<String, Object> provenance,
            Map<String, Object> metrics) {
        StringBuilder h = new StringBuilder();
        h.append("<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>").append(esc(title))
                .append("</title>\n<style>body{font:14px system-ui,sans-serif;margin:2em;max-width:1000px;color:#222}"
                        + "table{border-collapse:collapse;margin:.5em 0 1.5em}td,th{border:1px solid #ccc;padding:3px 8px;"
                        + "text-align:right}th{background:#f3f3f3}td:first-child,th:first-child{text-align:left}"
                        + "img{max-width:100%;border:1px solid #eee;margin:.5em 0}pre{background:#f7f7f7;padding:1em;"
                        + "overflow:auto}</style></head><body>\n");
        h.append("<h1>").append(esc(title)).append("</h1>\n");
        h.append("<h2>Summary</h2>\n<table id=\"summary\"><tr><th>split</th><th>accuracy</th><th>macro-F1</th>"
                + "<th>weighted F1</th><th>loss</th><th>n</th></tr>\n");
        for (Map.Entry<String, ClassificationReport> e : splits(test, validation).entrySet()) {
            ClassificationReport r = e.getValue();
            h.append("<tr><td>").append(e.getKey()).append("</td><td>").append(f(r.accuracy())).append("</td><td>")
                    .append(f(r.macro().f1())).append("</td><td>").append(f(r.weighted().f1())).append("</td><td>")
                    .append(r.loss() == null ? "" : f(r.loss())).append("</td><td>").append(r.n()).append("</td></tr>\n");
        }
        h.append("</table>\n");
        for (String png : pngs.keySet()) {
            h.append("<img alt=\"").append(png).append("\" src=\"data:image/png;base64,")
                    .append(Base64.getEncoder().encodeToString(pngs.get(png))).append("\">\n");
        }
        for (Map.Entry<String, ClassificationReport> e : splits(test, validation).entrySet()) {
            ClassificationReport r = e.getValue();
            h.append("<h2>Per class (").append(e.getKey()).append(")</h2>\n<table><tr><th>class</th><th>precision</th>"
                    + "<th>recall</th><th>F1</th><th>support</th></tr>\n");
            for (ClassificationReport.ClassStats c : r.perClass()) {
                h.append("<tr><td>").append(esc(c.label())).append("</td><td>").append(f(c.precision())).append("</td><td>")
                        .append(f(c.recall())).append("</td><td>").append(f(c.f1())).append("</td><td>")
                        .append(c.support()).append("</td></tr>\n");
            }
            h.append("</table>\n<table class=\"confusion\"><tr><th>true \\ predicted</th>");
            for (String l : r.labels()) h.append("<th>").append(esc(l)).append("</th>");
            h.append("</tr>\n");
            for (int t = 0; t < r.labels().size(); t++) {
                h.append("<tr><td>").append(esc(r.labels().get(t))).append("</td>");
                for (int c : r.confusionMatrix()[t]) h.append("<td>").append(c).append("</td>");
                h.append("</tr>\n");
            }
            h.append("</table>\n");
        }
        diagnostics(h, metrics);
        misclassified(h, metrics);
        calibration(h, metrics);
        slices(h, metrics);
        h.append("<h2>Recipe</h2>\n<pre>").append(esc(RecipeLoader.toYaml(recipe))).append("</pre>\n");
        if (provenance != null) {
            h.append("<h2>Provenance</h2>\n<pre>").append(esc(RecipeLoader.toYaml(provenance))).append("</pre>\n");
        }
        return h.append("</body></html>\n").toString();
    }

    @SuppressWarnings("unchecked")
    private static void diagnostics(StringBuilder h, Map<String, Object> metrics) {
        if (!(metrics.get("diagnostics") instanceof Map<?, ?> d)) return;
        h.append("<h2>Diagnostics</h2>\n<ul id=\"diagnostics\">\n");
        List<Map<String, Object>> findings = (List<Map<String, Object>>) d.get("findings");
        if (findings == null || findings.isEmpty()) h.append("<li>nothing to report</li>\n");
        else for (Map<String, Object> f : findings) h.append("<li>").append(esc(String.valueOf(f.get("message")))).append("</li>\n");
        h.append("</ul>\n");
        List<Map<String, Object>> hardest = (List<Map<String, Object>>) d.get("hardest_train_examples");
        if (hardest != null && !hardest.isEmpty()) {
            h.append("<h3>Training examples with the highest loss (check their labels)</h3>\n<table id=\"hardest\">"
                    + "<tr><th>line</th><th>label</th><th>predicted</th><th>loss</th><th>input</th></tr>\n");
            for (Map<String, Object> e : hardest) {
                Object input = e.containsKey("text") ? e.get("text") : e.get("path");
                String shown = input == null ? "" : String.valueOf(input);
                if (shown.length() > 160) shown = shown.substring(0, 160) + "…";
                h.append("<tr><td>").append(esc(e.get("file") + ":" + e.get("line"))).append("</td><td>")
                        .append(esc(String.valueOf(e.get("label")))).append("</td><td>")
                        .append(esc(String.valueOf(e.get("predicted")))).append("</td><td>")
                        .append(f(((Number) e.get("loss")).doubleValue())).append("</td><td style=\"text-align:left\">")
                        .append(esc(shown)).append("</td></tr>\n");
            }
            h.append("</table>\n");
        }
    }

    /**
     * The most confident mistakes on the test split: a grid of thumbnails with the true and predicted
     * labels for images, a table for texts.
     */
    @SuppressWarnings("unchecked")
    private static void misclassified(StringBuilder h, Map<String, Object> metrics) {
        if (!(metrics.get("diagnostics") instanceof Map<?, ?> d)) return;
        List<Map<String, Object>> wrong = (List<Map<String, Object>>) d.get("misclassified_test_examples");
        if (wrong == null || wrong.isEmpty()) return;
        h.append("<h2>Misclassified test examples (most confident first)</h2>\n");
        if (wrong.get(0).containsKey("path")) {
            h.append("<div id=\"misclassified\" style=\"display:flex;flex-wrap:wrap;gap:8px\">\n");
            for (Map<String, Object> e : wrong) {
                String path = String.valueOf(e.get("path"));
                byte[] thumb = Thumbnails.png(java.nio.file.Path.of(path), 96);
                h.append("<figure style=\"margin:0;width:112px;font-size:12px\">");
                if (thumb != null) {
                    h.append("<img alt=\"").append(esc(path)).append("\" style=\"width:96px;height:96px;object-fit:contain\""
                            + " src=\"data:image/png;base64,").append(Base64.getEncoder().encodeToString(thumb)).append("\">");
                }
                h.append("<figcaption title=\"").append(esc(path)).append("\">true <b>").append(esc(String.valueOf(e.get("label"))))
                        .append("</b><br>predicted <b>").append(esc(String.valueOf(e.get("predicted")))).append("</b> ")
                        .append(f(((Number) e.get("confidence")).doubleValue())).append("</figcaption></figure>\n");
            }
            h.append("</div>\n");
            return;
        }
        h.append("<table id=\"misclassified\"><tr><th>line</th><th>label</th><th>predicted</th><th>confidence</th>"
                + "<th>input</th></tr>\n");
        for (Map<String, Object> e : wrong) {
            String shown = String.valueOf(e.getOrDefault("text", ""));
            if (shown.length() > 160) shown = shown.substring(0, 160) + "…";
            h.append("<tr><td>").append(e.get("line")).append("</td><td>").append(esc(String.valueOf(e.get("label"))))
                    .append("</td><td>").append(esc(String.valueOf(e.get("predicted")))).append("</td><td>")
                    .append(f(((Number) e.get("confidence")).doubleValue())).append("</td><td style=\"text-align:left\">")
                    .append(esc(shown)).append("</td></tr>\n");
        }
        h.append("</table>\n");
    }

    @SuppressWarnings("unchecked")
    private static void calibration(StringBuilder h, Map<String, Object> metrics) {
        if (!(metrics.get("calibration") instanceof Map<?, ?> c)) return;
        h.append("<h2>Calibration</h2>\n<table id=\"calibration\"><tr><th>split</th><th>ECE before</th>"
                + "<th>ECE after</th><th>NLL before</th><th>NLL after</th><th>n</th></tr>\n");
        for (String split : List.of("validation", "test")) {
            if (!(c.get(split) instanceof Map<?, ?> m)) continue;
            h.append("<tr><td>").append(split).append("</td>");
            for (String k : List.of("ece_before", "ece_after", "nll_before", "nll_after")) {
                h.append("<td>").append(f(((Number) m.get(k)).doubleValue())).append("</td>");
            }
            h.append("<td>").append(m.get("n")).append("</td></tr>\n");
        }
        h.append("</table>\n<p>temperature ").append(f(((Number) c.get("temperature")).doubleValue()));
        if (c.get("threshold") != null) {
            h.append("; decision threshold: ").append(esc(String.valueOf(c.get("positive_label")))).append(" when its"
                    + " probability is at least ").append(f(((Number) c.get("threshold")).doubleValue()));
        }
        h.append("</p>\n");
    }

    @SuppressWarnings("unchecked")
    private static void slices(StringBuilder h, Map<String, Object> metrics) {
        if (!(metrics.get("slices") instanceof Map<?, ?> slices)) return;
        for (Map.Entry<?, ?> e : slices.entrySet()) {
            Map<String, Object> slice = (Map<String, Object>) e.getValue();
            h.append("<h2>Test by ").append(esc(String.valueOf(e.getKey()))).append("</h2>\n<table class=\"slice\">"
                    + "<tr><th>value</th><th>n</th><th>accuracy</th><th>macro-F1</th></tr>\n");
            for (Map<String, Object> g : (List<Map<String, Object>>) slice.get("groups")) {
                h.append("<tr><td>").append(esc(String.valueOf(g.get("value")))).append("</td><td>").append(g.get("n"))
                        .append("</td><td>").append(f(((Number) g.get("accuracy")).doubleValue())).append("</td><td>")
                        .append(f(((Number) g.get("macro_f1")).doubleValue())).append("</td></tr>\n");
            }
            h.append("</table>\n");
            if (slice.get("macro_f1_gap") != null) {
                h.append("<p>gap between the best (").append(esc(String.valueOf(slice.get("best")))).append(") and the worst (")
                        .append(esc(String.valueOf(slice.get("worst")))).append(") group: macro-F1 ")
                        .append(f(((Number) slice.get("macro_f1_gap")).doubleValue())).append("</p>\n");
            }
        }
    }

    private static Map<String, ClassificationReport> splits(ClassificationReport test, ClassificationReport validation) {
        Map<String, ClassificationReport> m = new LinkedHashMap<>();
        if (test != null) m.put("test", test);
        if (validation != null) m.put("validation", validation);
        return m;
    }

    private static String f(double v) {
        return String.format(Locale.ROOT, "%.4f", v);
    }

    static String esc(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
