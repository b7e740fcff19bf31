package dev.finetune4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.finetune4j.pipeline.Modalities;
import dev.finetune4j.pipeline.Predictor;
import dev.finetune4j.serve.PredictionServer;
import dev.finetune4j.serve.ServeConfig;
import dev.finetune4j.vision.DecodedImage;
import dev.finetune4j.vision.TinyVisionExport;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.zip.CRC32;
import javax.imageio.ImageIO;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** `ft4j serve` on an image model (a random-init ResNet-18 export, 32x32 inputs), over real HTTP. */
class ServeImagesTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    static final List<String> LABELS = List.of("cat", "dog", "fox");

    @TempDir
    static Path tmp;

    static Path model;
    /** The export as predict loads it: what the server must answer. */
    static Predictor reference;
    /** PNGs of random noise, each its own scores. */
    static List<byte[]> pngs;

    @BeforeAll
    static void exportOnce() throws IOException {
        model = TinyVisionExport.write(tmp.resolve("run/model"), LABELS, 32, 5);
        reference = Modalities.load(model);
        pngs = new ArrayList<>();
        for (int i = 0; i < 12; i++) pngs.add(encode(noise(32, 32, i), "png"));
    }

    @AfterAll
    static void closeReference() {
        if (reference != null) reference.close();
    }

    static BufferedImage noise(int w, int h, long seed) {
        Random r = new Random(seed);
        BufferedImage b = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < h; y++) for (int x = 0; x < w; x++) b.setRGB(x, y, r.nextInt(1 << 24));
        return b;
    }

    static byte[] encode(BufferedImage image, String format) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        assertThat(ImageIO.write(image, format, out)).isTrue();
        return out.toByteArray();
    }

    static String b64(byte[] bytes) {
        return Base64.getEncoder().encodeToString(bytes);
    }

    static ServeConfig config() {
        return ServeConfig.defaults(model).withPort(0);
    }

    static HttpRequest.Builder to(PredictionServer s, String path) {
        return HttpRequest.newBuilder(URI.create(s.url() + path)).timeout(Duration.ofSeconds(60));
    }

    static HttpResponse<String> post(PredictionServer s, String contentType, byte[] body) throws Exception {
        HttpRequest.Builder b = to(s, "/v1/predict").POST(HttpRequest.BodyPublishers.ofByteArray(body));
        if (contentType != null) b.header("Content-Type", contentType);
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    static HttpResponse<String> postJson(PredictionServer s, Object body) throws Exception {
        return post(s, "application/json", JSON.writeValueAsBytes(body));
    }

    static HttpRequest predictOne(PredictionServer s, byte[] png) throws Exception {
        return to(s, "/v1/predict").header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(JSON.writeValueAsBytes(Map.of("images", List.of(b64(png))))))
                .build();
    }

    /** Labels equal and every score within 1e-5 of what the classifier itself says of the files, in order. */
    static void assertSamePredictions(HttpResponse<String> r, List<byte[]> files) throws IOException {
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        JsonNode predictions = JSON.readTree(r.body()).path("predictions");
        List<Predictor.Prediction> expected = reference.predictImages(
                files.stream().map(f -> DecodedImage.decode(f).image()).toList());
        assertThat(predictions.size()).isEqualTo(files.size());
        for (int i = 0; i < files.size(); i++) {
            JsonNode p = predictions.get(i);
            assertThat(p.path("label").asText()).as("image %d", i).isEqualTo(expected.get(i).label());
            assertThat(p.path("scores").size()).isEqualTo(LABELS.size());
            for (Map.Entry<String, Double> e : expected.get(i).scores().entrySet()) {
                assertThat(p.path("scores").path(e.getKey()).asDouble()).as("image %d, %s", i, e.getKey())
                        .isCloseTo(e.getValue(), Offset.offset(1e-5));
            }
        }
    }

    @Test
    void base64ImagesAndRawBodiesAreAnsweredAsTheClassifierAnswersThemInOrder() throws Exception {
        // The scores of different images differ by far more than 1e-5: answers in another order would fail.
        List<Predictor.Prediction> two = reference.predictImages(
                pngs.subList(0, 2).stream().map(f -> DecodedImage.decode(f).image()).toList());
        assertThat(Math.abs(two.get(0).scores().get("cat") - two.get(1).scores().get("cat"))).isGreaterThan(1e-4);
        byte[] jpeg = encode(noise(40, 28, 99), "jpg");
        byte[] bmp = encode(noise(20, 36, 98), "bmp");
        try (PredictionServer s = PredictionServer.start(config())) {
            List<byte[]> files = pngs.subList(0, 8);
            List<String> encoded = new ArrayList<>(files.stream().map(ServeImagesTest::b64).toList());
            encoded.set(3, "data:image/png;base64," + encoded.get(3));
            assertSamePredictions(postJson(s, Map.of("images", encoded)), files);
            List<byte[]> reversed = new ArrayList<>(files);
            Collections.reverse(reversed);
            assertSamePredictions(postJson(s, Map.of("images", reversed.stream().map(ServeImagesTest::b64).toList())),
                    reversed);
            assertSamePredictions(postJson(s, Map.of("images", List.of(b64(jpeg), b64(bmp)))), List.of(jpeg, bmp));

            assertSamePredictions(post(s, "image/png", pngs.get(9)), List.of(pngs.get(9)));
            assertSamePredictions(post(s, "image/jpeg", jpeg), List.of(jpeg));
            assertSamePredictions(post(s, "image/gif", encode(noise(32, 32, 7), "gif")),
                    List.of(encode(noise(32, 32, 7), "gif")));

            JsonNode info = JSON.readTree(HTTP.send(to(s, "/v1/model").GET().build(),
                    HttpResponse.BodyHandlers.ofString()).body());
            assertThat(info.path("task").asText()).isEqualTo("image-classification");
            assertThat(info.path("input").asText()).isEqualTo("images");
            assertThat(info.path("labels").toString()).isEqualTo("[\"cat\",\"dog\",\"fox\"]");
            assertThat(info.path("architecture").asText()).isEqualTo("resnet18");
            assertThat(info.path("image_size").asInt()).isEqualTo(32);
            assertThat(info.path("base_model").asText()).isEqualTo("random-init resnet18");

            JsonNode stats = JSON.readTree(HTTP.send(to(s, "/v1/stats").GET().build(),
                    HttpResponse.BodyHandlers.ofString()).body());
            assertThat(stats.path("images").asLong()).isEqualTo(8 + 8 + 2 + 3);
            assertThat(stats.path("image_memory_bytes").asLong()).as("every request's images released").isZero();
        }
    }

    @Test
    void concurrentImageRequestsAreGroupedIntoFewerBatches() throws Exception {
        try (PredictionServer s = PredictionServer.start(config().withBatching(32, 200))) {
            List<CompletableFuture<HttpResponse<String>>> inFlight = new ArrayList<>();
            for (int i = 0; i < 12; i++) inFlight.add(HTTP.sendAsync(predictOne(s, pngs.get(i)), HttpResponse.BodyHandlers.ofString()));
            for (int i = 0; i < 12; i++) assertSamePredictions(inFlight.get(i).get(60, TimeUnit.SECONDS), List.of(pngs.get(i)));
            assertThat(s.batcherStats().batches()).as("12 concurrent requests, batches run").isLessThan(12);
            assertThat(s.batcherStats().largestBatch()).isGreaterThan(1);
            assertThat(s.batcherStats().texts()).as("images predicted").isEqualTo(12);
        }
    }

    /** A PNG whose header says {@code width x height} but whose data is a few bytes: a decompression bomb's shape. */
    static byte[] pngClaiming(int width, int height) throws IOException {
        byte[] png = encode(noise(2, 2, 1), "png");
        ByteBuffer b = ByteBuffer.wrap(png); // signature (8), IHDR length (4), "IHDR" (4), width, height, ...
        b.putInt(16, width);
        b.putInt(20, height);
        CRC32 crc = new CRC32();
        crc.update(png, 12, 4 + 13);
        b.putInt(12 + 4 + 13, (int) crc.getValue());
        return png;
    }

    record Case(String name, String contentType, byte[] body, int status, String says) {
        Case(String name, String contentType, String body, int status, String says) {
            this(name, contentType, body.getBytes(java.nio.charset.StandardCharsets.UTF_8), status, says);
        }
    }

    @Test
    void everyBadImageRequestGetsItsOwn4xxAndTheServerStaysUp() throws Exception {
        String json = "application/json";
        String ok = b64(pngs.get(0));
        byte[] png = pngs.get(1);
        String truncated = b64(Arrays.copyOf(png, png.length / 2));
        String notAnImage = b64("hello, not an image".getBytes());
        String five = "{\"images\": [\"" + String.join("\", \"", Collections.nCopies(5, ok)) + "\"]}";
        byte[] bomb = pngClaiming(100_000, 100_000);
        List<Case> corpus = List.of(
                new Case("corrupt image", json, "{\"images\": [\"" + ok + "\", \"" + ok + "\", \"" + truncated + "\"]}",
                        422, "images[2]: "),
                new Case("not an image", json, "{\"images\": [\"" + ok + "\", \"" + notAnImage + "\"]}", 422,
                        "images[1]: not a PNG, JPEG, BMP or GIF"),
                new Case("empty image", json, "{\"images\": [\"\"]}", 422, "images[0]: empty"),
                new Case("bad base64", json, "{\"images\": [\"" + ok + "\", \"not base64!\"]}", 422,
                        "images[1]: not valid base64"),
                new Case("data URL not base64", json, "{\"images\": [\"data:image/png,abc\"]}", 422, "images[0]: a data URL"),
                new Case("bomb", json, "{\"images\": [\"" + b64(bomb) + "\"]}", 422,
                        "images[0] is 100000x100000 = 10,000,000,000 pixels; the limit is 40,000,000 (--max-image-pixels)"),
                new Case("raw bomb", "image/png", bomb, 422, "the body is 100000x100000"),
                new Case("raw corrupt", "image/png", Arrays.copyOf(png, png.length / 2), 422, "the body: "),
                new Case("raw not an image", "image/jpeg", "GIF89a? no", 422, "the body: "),
                new Case("missing images", json, "{\"image\": \"" + ok + "\"}", 400, "missing \"images\""),
                new Case("images a string", json, "{\"images\": \"" + ok + "\"}", 400, "array of base64 strings"),
                new Case("images empty", json, "{\"images\": []}", 400, "empty"),
                new Case("a number", json, "{\"images\": [\"" + ok + "\", 3]}", 400, "images[1] is a number, not a string"),
                new Case("texts to an image model", json, "{\"texts\": [\"a cat\"]}", 400, "takes images, not texts"),
                new Case("malformed JSON", json, "{\"images\": [", 400, "malformed JSON"),
                new Case("too many images", json, five, 413, "--max-images"),
                new Case("too big body", json, "{\"images\": [\"" + "A".repeat(300_000) + "\"]}", 413, "--max-request-bytes"),
                new Case("text/plain", "text/plain", "{\"images\": []}", 415, "image/png"),
                new Case("webp", "image/webp", "RIFF....WEBP", 415, "application/json"),
                new Case("no content type", null, ok, 415, "none"));
        ServeConfig limits = config().withLimits(256 * 1024, 64, 10_000, 1024).withImageLimits(4, 40_000_000);
        try (PredictionServer s = PredictionServer.start(limits)) {
            for (Case c : corpus) {
                HttpResponse<String> r = post(s, c.contentType, c.body);
                assertThat(r.statusCode()).as(c.name + ": " + r.body()).isEqualTo(c.status);
                assertThat(r.headers().firstValue("Content-Type").orElse("")).as(c.name).startsWith("application/json");
                assertThat(JSON.readTree(r.body()).path("error").asText()).as(c.name).contains(c.says);
            }
            assertSamePredictions(postJson(s, Map.of("images", List.of(ok))), List.of(pngs.get(0)));
            JsonNode stats = JSON.readTree(HTTP.send(to(s, "/v1/stats").GET().build(),
                    HttpResponse.BodyHandlers.ofString()).body());
            assertThat(stats.path("image_memory_bytes").asLong()).as("refused requests released their share").isZero();
        }
        try (PredictionServer s = PredictionServer.start(config().withImageLimits(4, 1000))) {
            HttpResponse<String> r = post(s, "image/png", pngs.get(0));
            assertThat(r.statusCode()).as(r.body()).isEqualTo(422);
            assertThat(JSON.readTree(r.body()).path("error").asText())
                    .contains("the body is 32x32 = 1,024 pixels; the limit is 1,000 (--max-image-pixels)")
                    .contains("the model sees it at 32x32");
        }
    }
}
