package dev.finetune4j.serve;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.finetune4j.pipeline.Predictor.Prediction;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/** The server and batcher around a stand-in model: failures, overload, splitting. No real model needed. */
class ServeFailuresTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static final HttpClient HTTP = HttpClient.newHttpClient();

    /** Labels each text "long" or "short" by length; throws on the text "boom". */
    static List<Prediction> fake(List<String> texts) {
        List<Prediction> out = new ArrayList<>();
        for (String t : texts) {
            if (t.equals("boom")) throw new IllegalStateException("model exploded on purpose");
            double p = t.length() > 3 ? 0.9 : 0.1;
            Map<String, Double> scores = new LinkedHashMap<>();
            scores.put("short", 1 - p);
            scores.put("long", p);
            out.add(new Prediction(p > 0.5 ? "long" : "short", scores));
        }
        return out;
    }

    static PredictionServer start(ServeConfig config, Function<List<String>, List<Prediction>> predictor) {
        return PredictionServer.start(config.withPort(0), predictor, Map.of("labels", List.of("short", "long"),
                "max_length", 32), () -> {});
    }

    static HttpResponse<String> post(PredictionServer s, String body) throws Exception {
        return HTTP.send(request(s, body), HttpResponse.BodyHandlers.ofString());
    }

    static HttpRequest request(PredictionServer s, String body) {
        return HttpRequest.newBuilder(URI.create(s.url() + "/v1/predict")).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build();
    }

    @Test
    void aModelErrorFailsOnlyItsBatchWith500AndTheServerStaysUp() throws Exception {
        try (PredictionServer s = start(ServeConfig.defaults(Path.of("fake")), ServeFailuresTest::fake)) {
            HttpResponse<String> bad = post(s, "{\"texts\": [\"boom\"]}");
            assertThat(bad.statusCode()).isEqualTo(500);
            assertThat(bad.headers().firstValue("Content-Type")).hasValueSatisfying(v -> assertThat(v).startsWith("application/json"));
            assertThat(JSON.readTree(bad.body()).path("error").asText()).contains("model exploded on purpose")
                    .contains("still up");
            for (int i = 0; i < 3; i++) {
                HttpResponse<String> good = post(s, "{\"texts\": [\"hello there\", \"hi\"]}");
                assertThat(good.statusCode()).as(good.body()).isEqualTo(200);
                JsonNode p = JSON.readTree(good.body()).path("predictions");
                assertThat(p.get(0).path("label").asText()).isEqualTo("long");
                assertThat(p.get(1).path("label").asText()).isEqualTo("short");
            }
            assertThat(s.batcherStats().failedBatches()).isEqualTo(1);
            // Each request's two texts usually share a batch, but on a loaded machine the second may
            // miss the 5 ms wait and go alone: count texts, not batches.
            assertThat(s.batcherStats().texts()).as("the failed text is not counted").isEqualTo(6);
            assertThat(s.batcherStats().batches()).isBetween(3L, 6L);
        }
    }

    @Test
    void aFullQueueAnswers503WithRetryAfterAndTheQueuedRequestsStillComplete() throws Exception {
        CountDownLatch entered = new CountDownLatch(1), release = new CountDownLatch(1);
        Function<List<String>, List<Prediction>> blocking = texts -> {
            entered.countDown();
            try {
                release.await(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return fake(texts);
        };
        ServeConfig config = ServeConfig.defaults(Path.of("fake")).withBatching(1, 0).withLimits(1 << 20, 2, 100, 2);
        try (PredictionServer s = start(config, blocking)) {
            CompletableFuture<HttpResponse<String>> first = HTTP.sendAsync(request(s, "{\"texts\": [\"aaaa\"]}"),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(entered.await(30, TimeUnit.SECONDS)).as("the worker took the first text").isTrue();
            CompletableFuture<HttpResponse<String>> second = HTTP.sendAsync(request(s, "{\"texts\": [\"a\", \"bbbbb\"]}"),
                    HttpResponse.BodyHandlers.ofString());
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (s.batcherStats().queuedTexts() < 2 && System.nanoTime() < deadline) Thread.sleep(5);
            HttpResponse<String> third = post(s, "{\"texts\": [\"c\"]}");
            assertThat(third.statusCode()).isEqualTo(503);
            assertThat(third.headers().firstValue("Retry-After")).hasValue("1");
            assertThat(JSON.readTree(third.body()).path("error").asText()).contains("--max-queue");
            release.countDown();
            assertThat(first.get(30, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
            HttpResponse<String> r2 = second.get(30, TimeUnit.SECONDS);
            assertThat(r2.statusCode()).isEqualTo(200);
            assertThat(JSON.readTree(r2.body()).path("predictions").findValuesAsText("label")).containsExactly("short", "long");
            assertThat(s.batcherStats().rejected()).isEqualTo(1);
        }
    }

    static byte[] png(int width, int height) throws java.io.IOException {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        javax.imageio.ImageIO.write(new java.awt.image.BufferedImage(width, height,
                java.awt.image.BufferedImage.TYPE_INT_RGB), "png", out);
        return out.toByteArray();
    }

    static HttpResponse<String> post(PredictionServer s, String contentType, byte[] body) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create(s.url() + "/v1/predict")).header("Content-Type", contentType)
                .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void imagesSentToATextModelAreRefusedSayingItTakesTexts() throws Exception {
        try (PredictionServer s = start(ServeConfig.defaults(Path.of("fake")), ServeFailuresTest::fake)) {
            HttpResponse<String> raw = post(s, "image/png", png(4, 4));
            assertThat(raw.statusCode()).as(raw.body()).isEqualTo(415);
            assertThat(JSON.readTree(raw.body()).path("error").asText()).contains("takes texts, not images");
            String b64 = java.util.Base64.getEncoder().encodeToString(png(4, 4));
            HttpResponse<String> json = post(s, "{\"images\": [\"" + b64 + "\"]}");
            assertThat(json.statusCode()).as(json.body()).isEqualTo(400);
            assertThat(JSON.readTree(json.body()).path("error").asText()).contains("takes texts, not images")
                    .contains("{\"texts\": [");
            assertThat(JSON.readTree(HTTP.send(HttpRequest.newBuilder(URI.create(s.url() + "/v1/stats")).build(),
                    HttpResponse.BodyHandlers.ofString()).body()).has("texts")).isTrue();
        }
    }

    @Test
    void theImagesOfRequestsInFlightStayWithinTheirMemoryBudget() throws Exception {
        CountDownLatch entered = new CountDownLatch(1), release = new CountDownLatch(1);
        List<String> threads = java.util.Collections.synchronizedList(new ArrayList<>());
        Function<List<dev.finetune4j.vision.DecodedImage>, List<Prediction>> blocking = images -> {
            threads.add(Thread.currentThread().getName());
            entered.countDown();
            try {
                release.await(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            List<Prediction> out = new ArrayList<>();
            for (dev.finetune4j.vision.DecodedImage d : images) {
                out.add(new Prediction(d.width() > 16 ? "wide" : "narrow", Map.of("wide", d.width() > 16 ? 1.0 : 0.0,
                        "narrow", d.width() > 16 ? 0.0 : 1.0)));
            }
            return out;
        };
        long onePicture = 32 * 32 * ImageRequests.BYTES_PER_PIXEL;
        try (PredictionServer s = PredictionServer.startImages(ServeConfig.defaults(Path.of("fake")).withPort(0), blocking,
                Map.of("labels", List.of("narrow", "wide"), "input", "images"), () -> {}, onePicture * 3 / 2)) {
            String two = java.util.Base64.getEncoder().encodeToString(png(32, 32));
            HttpResponse<String> tooMuch = post(s, "{\"images\": [\"" + two + "\", \"" + two + "\"]}");
            assertThat(tooMuch.statusCode()).as(tooMuch.body()).isEqualTo(413);
            assertThat(JSON.readTree(tooMuch.body()).path("error").asText()).contains("JAVA_OPTS=-Xmx");

            CompletableFuture<HttpResponse<String>> first = HTTP.sendAsync(HttpRequest.newBuilder(
                    URI.create(s.url() + "/v1/predict")).header("Content-Type", "image/png")
                    .POST(HttpRequest.BodyPublishers.ofByteArray(png(32, 32))).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(entered.await(30, TimeUnit.SECONDS)).as("the worker took the first image").isTrue();
            HttpResponse<String> second = post(s, "image/png", png(32, 32)); // 1.5 pictures' room: one is taken
            assertThat(second.statusCode()).as(second.body()).isEqualTo(503);
            assertThat(second.headers().firstValue("Retry-After")).hasValue("1");
            assertThat(JSON.readTree(second.body()).path("error").asText()).contains("retry after a second");
            release.countDown();
            HttpResponse<String> r1 = first.get(30, TimeUnit.SECONDS);
            assertThat(r1.statusCode()).as(r1.body()).isEqualTo(200);
            assertThat(JSON.readTree(r1.body()).path("predictions").get(0).path("label").asText()).isEqualTo("wide");
            HttpResponse<String> again = post(s, "image/png", png(8, 32));
            assertThat(again.statusCode()).as("the first request's share was released: " + again.body()).isEqualTo(200);
            assertThat(JSON.readTree(again.body()).path("predictions").get(0).path("label").asText()).isEqualTo("narrow");
            assertThat(threads).as("the model ran on the worker only").containsOnly("ft4j-model-worker");
        }
    }

    @Test
    void aRequestLargerThanOneBatchSpansBatchesInOrder() throws Exception {
        List<Integer> sizes = new ArrayList<>();
        Function<List<String>, List<Prediction>> echo = texts -> {
            sizes.add(texts.size());
            List<Prediction> out = new ArrayList<>();
            for (String t : texts) out.add(new Prediction(t, Map.of(t, 1.0)));
            return out;
        };
        try (MicroBatcher<String> b = new MicroBatcher<>(echo, 4, 0, 100)) {
            List<String> texts = new ArrayList<>();
            for (int i = 0; i < 10; i++) texts.add("t" + i);
            List<Prediction> out = b.submit(texts).get(30, TimeUnit.SECONDS);
            assertThat(out).extracting(Prediction::label).containsExactlyElementsOf(texts);
            assertThat(sizes).allMatch(n -> n <= 4);
            assertThat(sizes.stream().mapToInt(Integer::intValue).sum()).isEqualTo(10);
        }
    }

    @Test
    void closeFinishesTheTextsAlreadyQueued() throws Exception {
        MicroBatcher<String> b = new MicroBatcher<>(ServeFailuresTest::fake, 2, 0, 100);
        List<CompletableFuture<List<Prediction>>> futures = new ArrayList<>();
        for (int i = 0; i < 20; i++) futures.add(b.submit(List.of("text " + i)));
        b.close(30_000);
        assertThat(b.stopped()).isTrue();
        for (CompletableFuture<List<Prediction>> f : futures) assertThat(f.get(1, TimeUnit.SECONDS)).hasSize(1);
    }
}
