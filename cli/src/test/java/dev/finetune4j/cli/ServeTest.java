package dev.finetune4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.finetune4j.pipeline.Predictor;
import dev.finetune4j.serve.ModelInfo;
import dev.finetune4j.serve.PredictionServer;
import dev.finetune4j.serve.ServeConfig;
import dev.finetune4j.testing.TinyRun;
import java.io.ByteArrayInputStream;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** `ft4j serve` on a model trained once (tiny random-init BERT, real mails), over real HTTP. */
class ServeTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    @TempDir
    static Path tmp;

    static Path model;
    static List<String> mails;
    /** The export as predict loads it (with its calibration and threshold): what the server must answer. */
    static Predictor reference;

    @BeforeAll
    static void trainOnce() throws Exception {
        TinyRun.write(tmp, 80);
        Path recipe = tmp.resolve("recipe.yaml");
        Files.writeString(recipe, String.join("\n",
                "name: tiny",
                "model: tiny-bert",
                "seed: 3",
                "data:",
                "  train: mails.jsonl",
                "  max_length: 32",
                "  validation_fraction: 0.25",
                "train:",
                "  epochs: 2",
                "  batch_size: 16",
                "  learning_rate: 1.0e-3",
                ""));
        Path out = tmp.resolve("run");
        CliContractTest.Result r = CliContractTest.ft4j("train", recipe.toString(), "--output", out.toString());
        assertThat(r.exit()).as(r.err()).isZero();
        model = out.resolve("model");
        mails = new ArrayList<>();
        for (String line : Files.readAllLines(tmp.resolve("mails.jsonl"))) mails.add(JSON.readTree(line).path("text").asText());
        reference = dev.finetune4j.pipeline.Modalities.load(model);
    }

    @AfterAll
    static void closeReference() {
        if (reference != null) reference.close();
    }

    static ServeConfig config() {
        return ServeConfig.defaults(model).withPort(0);
    }

    static String body(List<String> texts) throws Exception {
        return JSON.writeValueAsString(Map.of("texts", texts));
    }

    static HttpRequest.Builder to(PredictionServer s, String path) {
        return HttpRequest.newBuilder(URI.create(s.url() + path)).timeout(Duration.ofSeconds(60));
    }

    static HttpRequest predict(PredictionServer s, List<String> texts) throws Exception {
        return to(s, "/v1/predict").header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body(texts))).build();
    }

    static JsonNode get(PredictionServer s, String path) throws Exception {
        HttpResponse<String> r = HTTP.send(to(s, path).GET().build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return JSON.readTree(r.body());
    }

    /** Labels equal and every score within 1e-5 of what the classifier itself says, in order. */
    static void assertSamePredictions(JsonNode predictions, List<String> texts) {
        List<Predictor.Prediction> expected = reference.predict(
                texts.stream().map(t -> new dev.finetune4j.data.Example(t, null, 0)).toList());
        assertThat(predictions.size()).isEqualTo(texts.size());
        for (int i = 0; i < texts.size(); i++) {
            JsonNode p = predictions.get(i);
            assertThat(p.path("label").asText()).as("text %d", i).isEqualTo(expected.get(i).label());
            assertThat(p.path("scores").size()).isEqualTo(expected.get(i).scores().size());
            for (Map.Entry<String, Double> e : expected.get(i).scores().entrySet()) {
                assertThat(p.path("scores").path(e.getKey()).asDouble()).as("text %d, %s", i, e.getKey())
                        .isCloseTo(e.getValue(), org.assertj.core.data.Offset.offset(1e-5));
            }
        }
    }

    @Test
    void predictionsOverHttpEqualTheClassifiersInOrder() throws Exception {
        try (PredictionServer s = PredictionServer.start(config())) {
            List<String> texts = mails.subList(0, 20);
            HttpResponse<String> r = HTTP.send(predict(s, texts), HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
            assertSamePredictions(JSON.readTree(r.body()).path("predictions"), texts);
            // Every text has its own scores, so answers in another order would fail the 1e-5 check.
            List<String> reversed = new ArrayList<>(texts);
            java.util.Collections.reverse(reversed);
            HttpResponse<String> back = HTTP.send(predict(s, reversed), HttpResponse.BodyHandlers.ofString());
            assertSamePredictions(JSON.readTree(back.body()).path("predictions"), reversed);

            JsonNode info = get(s, "/v1/model");
            assertThat(info.path("labels").toString()).isEqualTo("[\"ham\",\"spam\"]");
            assertThat(info.path("base_model").asText()).isEqualTo("tiny-bert");
            assertThat(info.path("max_length").asInt()).isEqualTo(32);
            JsonNode metrics = JSON.readTree(model.getParent().resolve("metrics.json").toFile());
            assertThat(info.path("metrics").path("test").path("macro_f1").asDouble())
                    .isEqualTo(metrics.path("test").path("macro_f1").asDouble());
            assertThat(info.path("metrics").path("validation").path("accuracy").asDouble())
                    .isEqualTo(metrics.path("validation").path("accuracy").asDouble());
            assertThat(get(s, "/health").path("status").asText()).isEqualTo("ok");
        }
    }

    @Test
    void modelInfoWithoutARunDirectoryHasNoMetrics() throws Exception {
        Path copy = tmp.resolve("elsewhere/model");
        Files.createDirectories(copy);
        for (String f : List.of("config.json", "model.safetensors", "tokenizer.json")) Files.copy(model.resolve(f), copy.resolve(f));
        Map<String, Object> info = ModelInfo.of(copy, reference.describe());
        assertThat(info.get("metrics")).isEqualTo(Map.of());
        assertThat(info.get("base_model")).isEqualTo("tiny-bert");
    }

    /** Fires {@code n} single-text requests at once; checks each answer; returns the batches they took. */
    static long concurrentSingles(PredictionServer s, int n) throws Exception {
        long before = s.batcherStats().batches();
        List<CompletableFuture<HttpResponse<String>>> inFlight = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            inFlight.add(HTTP.sendAsync(predict(s, List.of(mails.get(i))), HttpResponse.BodyHandlers.ofString()));
        }
        for (int i = 0; i < n; i++) {
            HttpResponse<String> r = inFlight.get(i).get(60, TimeUnit.SECONDS);
            assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
            assertSamePredictions(JSON.readTree(r.body()).path("predictions"), List.of(mails.get(i)));
        }
        return s.batcherStats().batches() - before;
    }

    @Test
    void concurrentRequestsAreGroupedIntoFewerBatches() throws Exception {
        // A generous wait makes grouping certain on a busy 2-core machine; the default is 5 ms.
        try (PredictionServer s = PredictionServer.start(config().withBatching(32, 200))) {
            long batches = concurrentSingles(s, 32);
            JsonNode stats = get(s, "/v1/stats");
            assertThat(batches).as("32 concurrent requests, batches run").isLessThan(32);
            assertThat(stats.path("largest_batch").asInt()).isGreaterThan(1);
            assertThat(stats.path("texts").asLong()).isEqualTo(32);
            assertThat(stats.path("requests").asLong()).isEqualTo(32);
            JsonNode window = stats.path("window");
            assertThat(window.path("n").asInt()).as("the sliding window holds every prediction so far").isEqualTo(32);
            double shares = 0;
            for (JsonNode share : window.path("labels")) shares += share.asDouble();
            assertThat(shares).isCloseTo(1.0, org.assertj.core.data.Offset.offset(1e-9));
            assertThat(window.path("confidence").path("mean").asDouble()).isBetween(0.5, 1.0);
            assertThat(window.path("confidence").path("p10").asDouble())
                    .isLessThanOrEqualTo(window.path("confidence").path("p50").asDouble());
        }
        try (PredictionServer s = PredictionServer.start(config().withBatching(1, 200))) {
            assertThat(concurrentSingles(s, 32)).as("--max-batch 1: one batch per text").isEqualTo(32);
            assertThat(s.batcherStats().largestBatch()).isEqualTo(1);
        }
    }

    record Case(String name, String method, String path, String contentType, String body, String token, int status,
            String says) {}

    @Test
    void everyMalformedRequestGetsItsOwn4xxAndTheServerStaysUp() throws Exception {
        String token = "s3cret-token";
        ServeConfig limits = config().withLimits(4096, 4, 200, 64).withToken(token);
        String json = "application/json";
        String longText = "x".repeat(201);
        String huge = "{\"texts\": [\"" + "y".repeat(5000) + "\"]}";
        List<Case> corpus = List.of(
                new Case("truncated JSON", "POST", "/v1/predict", json, "{\"texts\": [\"a\"", token, 400, "line 1, column"),
                new Case("unclosed array", "POST", "/v1/predict", json, "{\"texts\": [1", token, 400,
                        "start marker at [line: 1, column: 11]"),
                new Case("bad token in JSON", "POST", "/v1/predict", json, "{\"texts\": [a]}", token, 400, "malformed JSON"),
                new Case("trailing garbage", "POST", "/v1/predict", json, "{\"texts\": [\"a\"]} x", token, 400, "malformed JSON"),
                new Case("empty body", "POST", "/v1/predict", json, "", token, 400, "malformed JSON"),
                new Case("array, not object", "POST", "/v1/predict", json, "[\"a\"]", token, 400, "JSON object"),
                new Case("missing texts", "POST", "/v1/predict", json, "{\"text\": \"a\"}", token, 400, "missing \"texts\""),
                new Case("texts a string", "POST", "/v1/predict", json, "{\"texts\": \"a\"}", token, 400, "array of strings"),
                new Case("texts empty", "POST", "/v1/predict", json, "{\"texts\": []}", token, 400, "empty"),
                new Case("a number", "POST", "/v1/predict", json, "{\"texts\": [\"a\", 3]}", token, 400, "texts[1] is a number"),
                new Case("a null", "POST", "/v1/predict", json, "{\"texts\": [null]}", token, 400, "texts[0] is null"),
                new Case("too many texts", "POST", "/v1/predict", json, "{\"texts\": [\"a\",\"b\",\"c\",\"d\",\"e\"]}", token,
                        413, "--max-texts"),
                new Case("too long text", "POST", "/v1/predict", json, "{\"texts\": [\"ok\", \"" + longText + "\"]}", token,
                        422, "texts[1] has 201 characters"),
                new Case("too big body", "POST", "/v1/predict", json, huge, token, 413, "--max-request-bytes"),
                new Case("too big chunked body", "POST", "/v1/predict", json, "CHUNKED" + huge, token, 413,
                        "--max-request-bytes"),
                new Case("text/plain", "POST", "/v1/predict", "text/plain", "{\"texts\": [\"a\"]}", token, 415, "application/json"),
                new Case("form", "POST", "/v1/predict", "application/x-www-form-urlencoded", "texts=a", token, 415,
                        "Content-Type"),
                new Case("no content type", "POST", "/v1/predict", null, "{\"texts\": [\"a\"]}", token, 415, "none"),
                new Case("GET predict", "GET", "/v1/predict", null, null, token, 405, "not allowed"),
                new Case("DELETE model", "DELETE", "/v1/model", null, null, token, 405, "not allowed"),
                new Case("unknown path", "POST", "/v2/predict", json, "{\"texts\": [\"a\"]}", token, 404, "no endpoint"),
                new Case("unknown GET", "GET", "/", null, null, token, 404, "/v1/predict"),
                new Case("no token", "POST", "/v1/predict", json, "{\"texts\": [\"a\"]}", null, 401, "missing bearer token"),
                new Case("wrong token", "POST", "/v1/predict", json, "{\"texts\": [\"a\"]}", "s3cret-tokem", 401, "wrong"),
                new Case("token prefix", "GET", "/v1/model", null, null, "s3cret", 401, "wrong"),
                new Case("basic auth", "GET", "/v1/stats", null, null, "BASIC", 401, "missing bearer token"));
        try (PredictionServer s = PredictionServer.start(limits)) {
            for (Case c : corpus) {
                HttpRequest.Builder b = to(s, c.path);
                if (c.contentType != null) b.header("Content-Type", c.contentType);
                if ("BASIC".equals(c.token)) b.header("Authorization", "Basic dXNlcjpwYXNz");
                else if (c.token != null) b.header("Authorization", "Bearer " + c.token);
                HttpRequest.BodyPublisher publisher;
                if (c.body == null) publisher = HttpRequest.BodyPublishers.noBody();
                else if (c.body.startsWith("CHUNKED")) {
                    byte[] bytes = c.body.substring("CHUNKED".length()).getBytes(java.nio.charset.StandardCharsets.UTF_8);
                    publisher = HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(bytes));
                } else publisher = HttpRequest.BodyPublishers.ofString(c.body);
                HttpResponse<String> r = HTTP.send(b.method(c.method, publisher).build(), HttpResponse.BodyHandlers.ofString());
                assertThat(r.statusCode()).as(c.name + ": " + r.body()).isEqualTo(c.status);
                assertThat(r.headers().firstValue("Content-Type").orElse("")).as(c.name).startsWith("application/json");
                assertThat(JSON.readTree(r.body()).path("error").asText()).as(c.name).contains(c.says);
                if (c.status == 401) assertThat(r.headers().firstValue("WWW-Authenticate")).as(c.name).isPresent();
            }
            HttpResponse<String> health = HTTP.send(to(s, "/health").GET().build(), HttpResponse.BodyHandlers.ofString());
            assertThat(health.statusCode()).as("/health needs no token").isEqualTo(200);
            List<String> texts = mails.subList(0, 2).stream().map(m -> m.substring(0, Math.min(150, m.length()))).toList();
            HttpRequest ok = to(s, "/v1/predict").header("Content-Type", "application/json; charset=utf-8")
                    .header("Authorization", "Bearer " + token).POST(HttpRequest.BodyPublishers.ofString(body(texts))).build();
            HttpResponse<String> r = HTTP.send(ok, HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
            assertSamePredictions(JSON.readTree(r.body()).path("predictions"), texts);
        }
    }

    @Test
    void serveWithAMissingModelExitsTwoWithoutAStackTrace() {
        CliContractTest.Result r = CliContractTest.ft4j("serve", "--model", "/nonexistent/model");
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).contains("model directory not found").contains("/nonexistent/model")
                .doesNotContain("Exception").doesNotContain("\tat ");
        CliContractTest.Result flag = CliContractTest.ft4j("serve", "--model", model.toString(), "--max-batch", "0");
        assertThat(flag.exit()).isEqualTo(2);
        assertThat(flag.err()).contains("--max-batch").doesNotContain("\tat ");
        CliContractTest.Result tokenFile = CliContractTest.ft4j("serve", "--model", model.toString(), "--token-file",
                tmp.resolve("no-such-token").toString());
        assertThat(tokenFile.exit()).isEqualTo(2);
        assertThat(tokenFile.err()).contains("--token-file").doesNotContain("\tat ");
    }

    @Test
    void closingWhileRequestsAreInFlightLetsThemFinish() throws Exception {
        Predictor classifier = dev.finetune4j.pipeline.Modalities.load(model);
        AtomicBoolean modelClosed = new AtomicBoolean();
        PredictionServer s = PredictionServer.start(config(), texts -> {
            try {
                Thread.sleep(1500); // a slow model, so that the requests are surely in flight when close() starts
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            assertThat(modelClosed).isFalse();
            return classifier.predict(texts.stream().map(t -> new dev.finetune4j.data.Example(t, null, 0)).toList());
        }, ModelInfo.of(model, classifier.describe()), () -> {
            modelClosed.set(true);
            classifier.close();
        });
        List<CompletableFuture<HttpResponse<String>>> inFlight = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            inFlight.add(HTTP.sendAsync(predict(s, List.of(mails.get(i))), HttpResponse.BodyHandlers.ofString()));
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (s.batcherStats().requests() < 6 && System.nanoTime() < deadline) Thread.sleep(5);
        assertThat(s.batcherStats().requests()).as("all six reached the model queue").isEqualTo(6);
        assertThat(s.batcherStats().texts()).as("none answered yet").isZero();
        int port = s.port();
        s.close();
        assertThat(modelClosed).isTrue();
        for (int i = 0; i < 6; i++) {
            HttpResponse<String> r = inFlight.get(i).get(10, TimeUnit.SECONDS);
            assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
            assertSamePredictions(JSON.readTree(r.body()).path("predictions"), List.of(mails.get(i)));
        }
        HttpRequest after = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/health")).build();
        assertThat(HTTP.sendAsync(after, HttpResponse.BodyHandlers.ofString()))
                .failsWithin(10, TimeUnit.SECONDS).withThrowableOfType(java.util.concurrent.ExecutionException.class)
                .withCauseInstanceOf(ConnectException.class);
    }
}
