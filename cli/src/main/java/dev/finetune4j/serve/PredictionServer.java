package dev.finetune4j.serve;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import dev.finetune4j.UserError;
import dev.finetune4j.data.Example;
import dev.finetune4j.pipeline.Modalities;
import dev.finetune4j.pipeline.Predictor;
import dev.finetune4j.pipeline.Predictor.Prediction;
import io.javalin.Javalin;
import io.javalin.http.Context;
import io.javalin.http.HttpResponseException;
import io.javalin.util.JavalinBindException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;
import org.eclipse.jetty.server.handler.GracefulHandler;

/**
 * An HTTP prediction server for one fine-tuned model: POST /v1/predict, GET /v1/model,
 * GET /v1/stats and GET /health, on Javalin (Jetty).
 *
 * <p>Request threads only parse and check; every text goes through one {@link MicroBatcher}
 * whose single worker thread owns the model. Closing is graceful: Jetty stops accepting and
 * waits for requests in flight (bounded), then the worker finishes its queue, then the model closes.
 */
public final class PredictionServer implements AutoCloseable {
    static final ObjectMapper JSON = new ObjectMapper();
    private static final ObjectReader TREE = JSON.readerFor(JsonNode.class)
            .with(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
    private static final String ENDPOINTS = "POST /v1/predict, GET /v1/model, GET /v1/stats, GET /health";

    private final ServeConfig config;
    private final MicroBatcher batcher;
    private final Map<String, Object> modelInfo;
    private final AutoCloseable model;
    private final byte[] tokenDigest;
    private final Javalin app;
    private final AtomicBoolean closing = new AtomicBoolean();
    private final PredictionWindow window = new PredictionWindow(PredictionWindow.DEFAULT_SIZE);
    private final CountDownLatch stopped = new CountDownLatch(1);

    private PredictionServer(ServeConfig config, Function<List<String>, List<Prediction>> predictor,
            Map<String, Object> modelInfo, AutoCloseable model) {
        this.config = config;
        this.modelInfo = modelInfo;
        this.model = model;
        this.tokenDigest = config.token() == null ? null : sha256(config.token());
        this.batcher = new MicroBatcher(texts -> {
            List<Prediction> out = predictor.apply(texts);
            window.record(out);
            return out;
        }, config.maxBatch(), config.maxWaitMs(), config.maxQueue());
        this.app = Javalin.create(cfg -> {
            cfg.startup.showJavalinBanner = false;
            cfg.startup.showOldJavalinVersionWarning = false;
            cfg.http.prefer405over404 = true;
            cfg.http.maxRequestSize = config.maxRequestBytes();
            cfg.jetty.host = config.host();
            cfg.jetty.port = config.port();
            cfg.jetty.modifyServer(server -> {
                // With a stop timeout, Jetty's stop() closes the listening socket, then waits (bounded) for open
                // connections and for the requests GracefulHandler counts (async ones until their response is
                // written); requests arriving meanwhile on kept-alive connections get 503.
                server.insertHandler(new GracefulHandler());
                server.setStopTimeout(config.shutdownMs());
            });
            cfg.routes.before(this::authorize);
            cfg.routes.get("/health", ctx -> ok(ctx, Map.of("status", "ok")));
            cfg.routes.get("/v1/model", ctx -> ok(ctx, modelInfo));
            cfg.routes.get("/v1/stats", ctx -> ok(ctx, stats()));
            cfg.routes.post("/v1/predict", this::predict);
            cfg.routes.exception(ApiError.class, (e, ctx) -> {
                e.headers.forEach(ctx::header);
                error(ctx, e.status, e.getMessage());
            });
            cfg.routes.exception(HttpResponseException.class, (e, ctx) -> error(ctx, e.getStatus(), e.getMessage()));
            cfg.routes.exception(Exception.class, (e, ctx) -> {
                System.err.println("ft4j serve: internal error on " + ctx.method() + " " + ctx.path() + ": " + e);
                error(ctx, 500, "internal error: " + e + " — the server is still up; please report this");
            });
            cfg.routes.error(404, ctx -> error(ctx, 404, "no endpoint " + ctx.method() + " " + ctx.path()
                    + "; the endpoints are " + ENDPOINTS));
            cfg.routes.error(405, ctx -> error(ctx, 405, ctx.method() + " is not allowed on " + ctx.path()
                    + "; the endpoints are " + ENDPOINTS));
        });
    }

    /** Loads the model in {@code config.model()} and starts serving it. */
    public static PredictionServer start(ServeConfig config) {
        Predictor predictor = Modalities.load(config.model());
        try {
            Map<String, Object> info = ModelInfo.of(config.model(), predictor.describe());
            return start(config, texts -> predictor.predict(texts.stream().map(t -> new Example(t, null, 0)).toList()),
                    info, predictor);
        } catch (RuntimeException e) {
            predictor.close();
            throw e;
        }
    }

    /**
     * Starts serving {@code predictor} (called only from the worker thread); {@code model} is
     * closed after the worker has stopped.
     */
    public static PredictionServer start(ServeConfig config, Function<List<String>, List<Prediction>> predictor,
            Map<String, Object> modelInfo, AutoCloseable model) {
        PredictionServer server = new PredictionServer(config, predictor, modelInfo, model);
        try {
            server.app.start();
        } catch (JavalinBindException e) {
            server.batcher.close(0);
            throw new UserError("cannot listen on " + config.host() + ":" + config.port() + " (" + e.getMessage()
                    + ") — is another server using the port? Pick another with --port", e);
        } catch (RuntimeException e) {
            server.batcher.close(0);
            throw e;
        }
        return server;
    }

    /** The bound port (the real one when the config asked for 0). */
    public int port() {
        return app.port();
    }

    public String url() {
        String host = config.host().contains(":") && !config.host().startsWith("[") ? "[" + config.host() + "]"
                : config.host();
        return "http://" + host + ":" + port();
    }

    public MicroBatcher.Stats batcherStats() {
        return batcher.stats();
    }

    /** Blocks until {@link #close()} has finished (from another thread or a shutdown hook). */
    public void awaitStopped() throws InterruptedException {
        stopped.await();
    }

    /**
     * Stops gracefully: stop accepting, let requests in flight finish (at most the shutdown
     * wait), finish the queued texts, close the model. Safe to call twice and from a shutdown hook.
     */
    @Override
    public void close() {
        if (!closing.compareAndSet(false, true)) {
            try {
                stopped.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return;
        }
        try {
            app.stop();
        } finally {
            batcher.close(config.shutdownMs());
            try {
                if (batcher.stopped()) model.close(); // else the worker is inside the model: leave it to process exit
            } catch (Exception e) {
                System.err.println("ft4j serve: closing the model failed: " + e);
            } finally {
                stopped.countDown();
            }
        }
    }

    private void authorize(Context ctx) {
        if (tokenDigest == null || ctx.path().equals("/health")) return;
        String header = ctx.header("Authorization");
        String bearer = "bearer ";
        if (header == null || header.length() <= bearer.length()
                || !header.substring(0, bearer.length()).toLowerCase(Locale.ROOT).equals(bearer)) {
            throw new ApiError(401, "missing bearer token: send the header 'Authorization: Bearer <token>' "
                    + "with the token the server was started with (--token-file or FT4J_SERVE_TOKEN)",
                    Map.of("WWW-Authenticate", "Bearer"));
        }
        // Digests have one length whatever the token's, so the comparison's time says nothing about it.
        if (!MessageDigest.isEqual(tokenDigest, sha256(header.substring(bearer.length()).trim()))) {
            throw new ApiError(401, "wrong bearer token: use the token the server was started with",
                    Map.of("WWW-Authenticate", "Bearer error=\"invalid_token\""));
        }
    }

    private void predict(Context ctx) {
        String type = ctx.contentType();
        String mediaType = type == null ? "" : type.split(";", 2)[0].trim().toLowerCase(Locale.ROOT);
        if (!mediaType.equals("application/json")) {
            throw new ApiError(415, "Content-Type must be application/json, got "
                    + (type == null ? "none" : "'" + type + "'") + " — send -H 'Content-Type: application/json'");
        }
        List<String> texts = parseTexts(readBody(ctx));
        CompletableFuture<List<Prediction>> result;
        try {
            result = batcher.submit(texts);
        } catch (MicroBatcher.Overloaded e) {
            throw new ApiError(503, "the server is overloaded: " + e.getMessage() + " — retry after a second, "
                    + "or start it with a larger --max-queue", Map.of("Retry-After", "1"));
        }
        ctx.future(() -> result.handle((predictions, failure) -> {
            if (failure != null) {
                Throwable cause = failure instanceof CompletionException && failure.getCause() != null
                        ? failure.getCause() : failure;
                System.err.println("ft4j serve: the model failed on a batch: " + cause);
                error(ctx, 500, "the model failed on the batch with this request's texts: " + cause
                        + " — the server is still up; retry, and report it if it persists");
                return null;
            }
            List<Map<String, Object>> out = new ArrayList<>(predictions.size());
            for (Prediction p : predictions) {
                Map<String, Object> o = new LinkedHashMap<>();
                o.put("label", p.label());
                o.put("scores", p.scores());
                out.add(o);
            }
            ok(ctx, Map.of("predictions", out));
            return null;
        }));
    }

    private byte[] readBody(Context ctx) {
        int limit = config.maxRequestBytes();
        long declared = ctx.req().getContentLengthLong();
        if (declared > limit) throw tooLarge(declared + " bytes");
        try (InputStream in = ctx.req().getInputStream()) {
            byte[] body = in.readNBytes(limit + 1);
            if (body.length > limit) throw tooLarge("more than " + limit + " bytes");
            return body;
        } catch (IOException e) {
            throw new ApiError(400, "could not read the request body: " + e.getMessage());
        }
    }

    private ApiError tooLarge(String size) {
        return new ApiError(413, "the request body is " + size + "; the limit is " + config.maxRequestBytes()
                + " bytes (--max-request-bytes) — send fewer or shorter texts per request");
    }

    /** The "texts" of a predict body, or the 4xx that says what is wrong with it. */
    List<String> parseTexts(byte[] body) {
        JsonNode root;
        try {
            root = TREE.readValue(body);
        } catch (JsonProcessingException e) {
            JsonLocation at = e.getLocation();
            // Jackson names the source as "[Source: REDACTED (...); line: 1, column: 11]" inside some messages.
            String message = e.getOriginalMessage().replaceAll("\\[Source: [^;\\]]*; ", "[");
            throw new ApiError(400, "malformed JSON: " + message
                    + (at == null ? "" : " (line " + at.getLineNr() + ", column " + at.getColumnNr() + ")"));
        } catch (IOException e) {
            throw new ApiError(400, "could not read the JSON body: " + e.getMessage());
        }
        String shape = "send {\"texts\": [\"a text\", ...]}";
        if (root == null || !root.isObject()) {
            throw new ApiError(400, "the body must be a JSON object, got " + kind(root) + " — " + shape);
        }
        JsonNode texts = root.get("texts");
        if (texts == null) throw new ApiError(400, "missing \"texts\" — " + shape);
        if (!texts.isArray()) throw new ApiError(400, "\"texts\" must be an array of strings, got " + kind(texts) + " — " + shape);
        if (texts.isEmpty()) throw new ApiError(400, "\"texts\" is empty — send at least one text");
        if (texts.size() > config.maxTexts()) {
            throw new ApiError(413, texts.size() + " texts in one request; the limit is " + config.maxTexts()
                    + " (--max-texts) — split them over several requests");
        }
        List<String> out = new ArrayList<>(texts.size());
        for (int i = 0; i < texts.size(); i++) {
            JsonNode t = texts.get(i);
            if (!t.isTextual()) throw new ApiError(400, "texts[" + i + "] is " + kind(t) + ", not a string");
            String s = t.textValue();
            int chars = s.codePointCount(0, s.length());
            if (chars > config.maxTextChars()) {
                throw new ApiError(422, "texts[" + i + "] has " + chars + " characters; the limit is "
                        + config.maxTextChars() + " (--max-text-chars) — shorten it (the model reads only its first "
                        + modelInfo.get("max_length") + " tokens anyway)");
            }
            out.add(s);
        }
        return out;
    }

    private static String kind(JsonNode n) {
        if (n == null || n.isMissingNode()) return "nothing";
        if (n.isNull()) return "null";
        if (n.isTextual()) return "a string";
        if (n.isNumber()) return "a number";
        if (n.isBoolean()) return "a boolean";
        if (n.isArray()) return "an array";
        return "an object";
    }

    private Map<String, Object> stats() {
        MicroBatcher.Stats s = batcher.stats();
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("requests", s.requests());
        m.put("texts", s.texts());
        m.put("batches", s.batches());
        m.put("mean_batch", s.batches() == 0 ? 0.0 : (double) s.texts() / s.batches());
        m.put("largest_batch", s.largestBatch());
        m.put("queued_texts", s.queuedTexts());
        m.put("rejected_overloaded", s.rejected());
        m.put("failed_batches", s.failedBatches());
        m.put("max_batch", config.maxBatch());
        m.put("max_wait_ms", config.maxWaitMs());
        m.put("window", window.snapshot());
        return m;
    }

    private static void ok(Context ctx, Object body) {
        write(ctx, 200, body);
    }

    private static void error(Context ctx, int status, String message) {
        write(ctx, status, Map.of("error", message));
    }

    private static void write(Context ctx, int status, Object body) {
        try {
            ctx.status(status).contentType("application/json").result(JSON.writeValueAsBytes(body));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write JSON", e);
        }
    }

    private static byte[] sha256(String s) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** For the banner: "serving DIR on URL (labels a, b)". */
    public String banner(Path shown) {
        Object labels = modelInfo.get("labels");
        String l = labels instanceof List<?> list ? String.join(", ", list.stream().map(String::valueOf).toList()) : "?";
        return "serving " + shown + " on " + url() + " (labels " + l + ")";
    }
}
