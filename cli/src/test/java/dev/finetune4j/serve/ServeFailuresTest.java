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

    @Test
    void aRequestLargerThanOneBatchSpansBatchesInOrder() throws Exception {
        List<Integer> sizes = new ArrayList<>();
        Function<List<String>, List<Prediction>> echo = texts -> {
            sizes.add(texts.size());
            List<Prediction> out = new ArrayList<>();
            for (String t : texts) out.add(new Prediction(t, Map.of(t, 1.0)));
            return out;
        };
        try (MicroBatcher b = new MicroBatcher(echo, 4, 0, 100)) {
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
        MicroBatcher b = new MicroBatcher(ServeFailuresTest::fake, 2, 0, 100);
        List<CompletableFuture<List<Prediction>>> futures = new ArrayList<>();
        for (int i = 0; i < 20; i++) futures.add(b.submit(List.of("text " + i)));
        b.close(30_000);
        assertThat(b.stopped()).isTrue();
        for (CompletableFuture<List<Prediction>> f : futures) assertThat(f.get(1, TimeUnit.SECONDS)).hasSize(1);
    }
}
