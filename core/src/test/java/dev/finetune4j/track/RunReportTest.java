package dev.finetune4j.track;

import static org.assertj.core.api.Assertions.assertThat;

import dev.finetune4j.eval.ClassificationMetrics;
import dev.finetune4j.eval.ClassificationReport;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RunReportTest {
    @TempDir
    Path dir;

    @Test
    void writesThePlotsAndASelfContainedPageWithTheMetrics() throws Exception {
        List<RunStore.Point> points = new ArrayList<>();
        for (int step = 1; step <= 40; step++) {
            points.add(new RunStore.Point(step, 1 + step / 20, "train.loss", 1.0 / step, step));
            points.add(new RunStore.Point(step, 1 + step / 20, "train.learning_rate", 2e-5 * Math.min(1, step / 4.0), step));
        }
        for (int step : new int[] {20, 40}) {
            points.add(new RunStore.Point(step, step / 20, "validation.loss", 0.5 - step / 200.0, step));
            points.add(new RunStore.Point(step, step / 20, "validation.macro_f1", 0.7 + step / 200.0, step));
        }
        List<String> labels = List.of("ham", "spam", "<b>odd</b>");
        ClassificationReport test = ClassificationMetrics.compute(new int[] {0, 0, 1, 1, 2, 2, 2}, new int[] {0, 1, 1, 1, 2, 2, 0},
                labels);
        ClassificationReport validation = ClassificationMetrics.compute(new int[] {0, 1, 2}, new int[] {0, 1, 2}, labels);
        RunReport.write(dir, "spam & co", points, test, validation, Map.of("seed", 42), Map.of("finetune4j", "0.1.0"));

        for (String png : List.of("loss.png", "validation-metrics.png", "learning-rate.png", "confusion-matrix.png")) {
            BufferedImage image = ImageIO.read(dir.resolve(png).toFile());
            assertThat(image).as(png).isNotNull();
            assertThat(image.getWidth()).isGreaterThanOrEqualTo(600);
        }
        String html = Files.readString(dir.resolve("report.html"));
        assertThat(html).contains("<title>spam &amp; co</title>").contains("&lt;b&gt;odd&lt;/b&gt;").doesNotContain("<b>odd</b>");
        // the summary row for the test split: accuracy 5/7, macro-F1 as computed
        assertThat(html).contains("<td>test</td><td>" + String.format(java.util.Locale.ROOT, "%.4f", test.accuracy())
                + "</td><td>" + String.format(java.util.Locale.ROOT, "%.4f", test.macro().f1()) + "</td>");
        assertThat(html).contains("seed: 42").contains("finetune4j: 0.1.0");
        // self-contained: every image is inlined and decodes
        Matcher m = Pattern.compile("src=\"data:image/png;base64,([A-Za-z0-9+/=]+)\"").matcher(html);
        int images = 0;
        while (m.find()) {
            assertThat(ImageIO.read(new java.io.ByteArrayInputStream(Base64.getDecoder().decode(m.group(1))))).isNotNull();
            images++;
        }
        assertThat(images).isEqualTo(4);
        assertThat(html).doesNotContain("src=\"http");
    }

    @Test
    void misclassifiedImagesAreAGridOfThumbnailsWithTheirLabels(@TempDir Path dir) throws Exception {
        Path image = dir.resolve("coat.png");
        BufferedImage px = new BufferedImage(28, 28, BufferedImage.TYPE_BYTE_GRAY);
        px.getRaster().setSample(3, 4, 0, 200);
        ImageIO.write(px, "png", image.toFile());
        ClassificationReport test = ClassificationMetrics.compute(new int[] {0, 1}, new int[] {1, 1}, List.of("coat", "bag"));
        Map<String, Object> wrong = Map.of("line", 1, "label", "coat", "predicted", "bag", "confidence", 0.93,
                "path", image.toString());
        Map<String, Object> missing = Map.of("line", 2, "label", "coat", "predicted", "bag", "confidence", 0.5,
                "path", dir.resolve("gone.png").toString());
        RunReport.write(dir, "images", List.of(), test, null, Map.of(), null,
                Map.of("diagnostics", Map.of("findings", List.of(), "misclassified_test_examples", List.of(wrong, missing))));
        String html = Files.readString(dir.resolve("report.html"));
        String grid = html.substring(html.indexOf("<div id=\"misclassified\""), html.indexOf("</div>", html.indexOf(
                "<div id=\"misclassified\"")));
        assertThat(grid.split("<figure", -1)).hasSize(3);
        assertThat(grid).contains("true <b>coat</b>").contains("predicted <b>bag</b>").contains("0.9300");
        Matcher m = Pattern.compile("data:image/png;base64,([A-Za-z0-9+/=]+)").matcher(grid);
        assertThat(m.find()).isTrue();
        BufferedImage thumb = ImageIO.read(new java.io.ByteArrayInputStream(Base64.getDecoder().decode(m.group(1))));
        assertThat(thumb.getWidth()).as("28 px enlarged to fit 96").isEqualTo(96);
        assertThat(m.find()).as("a file that no longer reads gets a caption, no image").isFalse();
    }
}
