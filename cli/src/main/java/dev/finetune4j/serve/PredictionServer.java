package dev.finetune4j.serve;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import dev.finetune4j.UserError;
import dev.finetune4j.data.Example;
import dev.finetune4j.pipeline.Modalities;
import dev.finetune4j.pipeline.Predictor;
import dev.finetune4j.pipeline.Predictor.Prediction;
import dev.finetune4j.vision.DecodedImage;
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
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import org.eclipse.jetty.server.handler.GracefulHandler;

/**
 * An HTTP prediction server for one fine-tuned model: POST /v1/predict, GET /v1/model,
 * GET /v1/stats and GET /health, on Javalin (Jetty).
 *
 * <p>A model reads texts ({@code {"texts": [...]}}) or, when its {@code describe()} says
 * {@code "input": "images"}, images ({@code {"images": [base64, ...]}} or one image as the body).
 * Request threads only parse, check and decode images; every input goes through one
 * {@link MicroBatcher} whose single worker thread owns the model. The images of requests in
 * flight (decoding, waiting, in the model) may take at most half the heap: beyond it a request gets
 * 503, so that concurrent large images cannot exhaust memory. Closing is graceful: Jetty stops
 * accepting and waits for requests in flight (bounded), then the worker finishes its queue, then
 * the model closes.
 */
public final class PredictionServer implements AutoCloseable {
    /**
     * Strings as long as the body: it is bounded by --max-request-bytes already, and a base64 image
     * may be longer than Jackson's default limit of 20 million characters.
     */
    static final ObjectMapper JSON = new ObjectMapper(JsonFactory.builder()
            .streamReadConstraints(StreamReadConstraints.builder().maxStringLength(Integer.MAX_VALUE).build()).build());
    private static final ObjectReader TREE = JSON.readerFor(JsonNode.class)
            .with(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
    private static final String ENDPOINTS = "POST /v1/predict, GET /v1/model, GET /v1/stats, GET /health";

    /** What the model reads. */
    private enum Input {
        TEXTS("text"), IMAGES("image");

        final String noun;

        Input(String noun) {
            this.noun = noun;
        }
    }

    /** The share of the heap the images of requests in flight may take. */
    static final double IMAGE_MEMORY_SHARE = 0.5;

    private final ServeConfig config;
    private final Input input;
    /** Inputs of the model's kind: the handlers submit Strings to a text model, DecodedImages to an image model. */
    private final MicroBatcher<Object> batcher;
    private final long imageMemoryLimit;
    private final AtomicLong imageMemory = new AtomicLong();
    private final Map<String, Object> modelInfo;
    private final AutoCloseable model;
    private final byte[] tokenDigest;
    private final Javalin app;
    private final AtomicBoolean closing = new AtomicBoolean();
    private final PredictionWindow window = new PredictionWindow(PredictionWindow.DEFAULT_SIZE);
    private final CountDownLatch stopped = new CountDownLatch(1);

    @SuppressWarnings("unchecked")
    private <T> PredictionServer(ServeConfig config, Input input, Function<List<T>, List<Prediction>> predictor,
            Map<String, Object> modelInfo, AutoCloseable model, long imageMemoryLimit) {
        this.config = config;
        this.input = input;
        this.modelInfo = modelInfo;
        this.model = model;
        this.imageMemoryLimit = imageMemoryLimit;
        this.tokenDigest = config.token() == null ? null : sha256(config.token());
        this.batcher = new MicroBatcher<>(inputs -> {
            List<Prediction> out = predictor.apply((List<T>) (List<?>) inputs);
            window.record(out);
            return out;
        }, config.maxBatch(), config.maxWaitMs(), config.maxQueue(), input.noun);
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

    /** Loads the model in {@code config.model()} and starts serving it: its texts, or its images. */
    public static PredictionServer start(ServeConfig config) {
        Predictor predictor = Modalities.load(config.model());
        try {
            Map<String, Object> info = ModelInfo.of(config.model(), predictor.describe());
            if (ModelInfo.IMAGES.equals(info.get("input"))) return startImages(config, predictor::predictImages, info, predictor);
            return start(config, texts -> predictor.predict(texts.stream().map(t -> new Example(t, null, 0)).toList()),
                    info, predictor);
        } catch (RuntimeException e) {
            predictor.close();
            throw e;
        }
    }

    /**
     * Starts serving a text model: {@code predictor} (called only from the worker thread); {@code model}
     * is closed after the worker has stopped.
     */
    public static PredictionServer start(ServeConfig config, Function<List<String>, List<Prediction>> predictor,
            Map<String, Object> modelInfo, AutoCloseable model) {
        return listen(new PredictionServer(config, Input.TEXTS, predictor, modelInfo, model, 0));
    }

    /** {@link #start(ServeConfig, Function, Map, AutoCloseable)} for an image model: requests send images. */
    public static PredictionServer startImages(ServeConfig config, Function<List<DecodedImage>, List<Prediction>> predictor,
            Map<String, Object> modelInfo, AutoCloseable model) {
        return startImages(config, predictor, modelInfo, model,
                (long) (Runtime.getRuntime().maxMemory() * IMAGE_MEMORY_SHARE));
    }

    /** @param imageMemoryLimit bytes the images of requests in flight may take together (tests set it small) */
    static PredictionServer startImages(ServeConfig config, Function<List<DecodedImage>, List<Prediction>> predictor,
            Map<String, Object> modelInfo, AutoCloseable model, long imageMemoryLimit) {
        config.checkImageQueue();
        return listen(new PredictionServer(config, Input.IMAGES, predictor, modelInfo, model, imageMemoryLimit));
    }

    private static PredictionServer listen(PredictionServer server) {
        ServeConfig config = server.config;
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
        String got = type == null ? "none" : "'" + type + "'";
        boolean json = mediaType.equals("application/json");
        boolean image = ImageRequests.RAW_TYPES.contains(mediaType);
        if (input == Input.IMAGES) {
            if (!json && !image) {
                throw new ApiError(415, "Content-Type must be application/json or image/png, image/jpeg, image/bmp"
                        + " or image/gif, got " + got + " — " + ImageRequests.SHAPE);
            }
            byte[] body = readBody(ctx);
            predictImages(ctx, json ? ImageRequests.fromJson(jsonObject(body, ImageRequests.SHAPE), config.maxImages())
                    : List.of(new ImageRequests.Encoded("the body", body)));
            return;
        }
        if (image) {
            throw new ApiError(415, "this model takes texts, not images: send {\"texts\": [\"a text\", ...]} with"
                    + " -H 'Content-Type: application/json'");
        }
        if (!json) {
            throw new ApiError(415, "Content-Type must be application/json, got " + got
                    + " — send -H 'Content-Type: application/json'");
        }
        answer(ctx, submit(parseTexts(readBody(ctx))));
    }

    /**
     * Decodes the images here, on the request thread, within the image memory budget (held until
     * the model has answered), and queues them for the model.
     */
    private void predictImages(Context ctx, List<ImageRequests.Encoded> files) {
        Object side = modelInfo.get("image_size");
        long pixels = 0;
        for (ImageRequests.Encoded f : files) {
            long[] size = ImageRequests.headerSize(f.bytes());
            if (size == null) continue; // no size without decoding: decoding says why, or is checked after
            ImageRequests.checkPixels(f.name(), size[0], size[1], config.maxImagePixels(), side);
            pixels += size[0] * size[1];
        }
        long reserved = pixels * ImageRequests.BYTES_PER_PIXEL;
        reserveImageMemory(reserved, files.size());
        long held = reserved;
        CompletableFuture<List<Prediction>> result;
        try {
            List<Object> images = new ArrayList<>(files.size());
            long decodedPixels = 0;
            for (ImageRequests.Encoded f : files) {
                DecodedImage d = ImageRequests.decode(f);
                ImageRequests.checkPixels(f.name(), d.width(), d.height(), config.maxImagePixels(), side);
                decodedPixels += (long) d.width() * d.height();
                images.add(d);
            }
            long extra = decodedPixels * ImageRequests.BYTES_PER_PIXEL - reserved; // an image whose header gave no size
            if (extra > 0) {
                imageMemory.addAndGet(extra);
                held += extra;
            }
            result = submit(images);
        } catch (RuntimeException e) {
            imageMemory.addAndGet(-held);
            throw e;
        }
        long release = held;
        result.whenComplete((p, t) -> imageMemory.addAndGet(-release));
        answer(ctx, result);
    }

    /** Takes {@code bytes} of the image memory budget, or answers 413 (more than all of it) or 503 (no room now). */
    private void reserveImageMemory(long bytes, int images) {
        if (bytes > imageMemoryLimit) {
            throw new ApiError(413, String.format(Locale.ROOT, "the %d image(s) of this request take %s decoded; the"
                    + " server lets the images of requests in flight take %s (half its Java heap) — send fewer or smaller"
                    + " images per request, or give the server more heap (JAVA_OPTS=-Xmx...)", images, mib(bytes),
                    mib(imageMemoryLimit)));
        }
        while (true) {
            long now = imageMemory.get();
            if (now + bytes > imageMemoryLimit) {
                throw new ApiError(503, "the server is overloaded: the images of requests in flight take " + mib(now)
                        + " of the " + mib(imageMemoryLimit) + " they may (half its Java heap) — retry after a second",
                        Map.of("Retry-After", "1"));
            }
            if (imageMemory.compareAndSet(now, now + bytes)) return;
        }
    }

    private static String mib(long bytes) {
        return String.format(Locale.ROOT, "%.1f MiB", bytes / (1024.0 * 1024.0));
    }

    private CompletableFuture<List<Prediction>> submit(List<?> inputs) {
        try {
            @SuppressWarnings("unchecked") // texts for a text model, images for an image model: predict() checks
            List<Object> items = (List<Object>) inputs;
            return batcher.submit(items);
        } catch (MicroBatcher.Overloaded e) {
            throw new ApiError(503, "the server is overloaded: " + e.getMessage() + " — retry after a second, "
                    + "or start it with a larger --max-queue", Map.of("Retry-After", "1"));
        }
    }

    private void answer(Context ctx, CompletableFuture<List<Prediction>> result) {
        ctx.future(() -> result.handle((predictions, failure) -> {
            if (failure != null) {
                Throwable cause = failure instanceof CompletionException && failure.getCause() != null
                        ? failure.getCause() : failure;
                System.err.println("ft4j serve: the model failed on a batch: " + cause);
                error(ctx, 500, "the model failed on the batch with this request's " + input.noun + "s: " + cause
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
                + " bytes (--max-request-bytes) — " + (input == Input.TEXTS ? "send fewer or shorter texts per request"
                : "send fewer or smaller images per request, or start the server with a larger --max-request-bytes"
                + " (base64 makes a file a third larger)"));
    }

    /** A JSON body that must be an object, or the 400 that says what is wrong with it ({@code shape}: what to send). */
    static JsonNode jsonObject(byte[] body, String shape) {
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
        if (root == null || !root.isObject()) {
            throw new ApiError(400, "the body must be a JSON object, got " + kind(root) + " — " + shape);
        }
        return root;
    }

    /** The "texts" of a predict body, or the 4xx that says what is wrong with it. */
    List<String> parseTexts(byte[] body) {
        String shape = "send {\"texts\": [\"a text\", ...]}";
        JsonNode root = jsonObject(body, shape);
        JsonNode texts = root.get("texts");
        if (texts == null && root.has("images")) {
            throw new ApiError(400, "this model takes texts, not images — " + shape);
        }
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

    static String kind(JsonNode n) {
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
        m.put(input.noun + "s", s.texts());
        m.put("batches", s.batches());
        m.put("mean_batch", s.batches() == 0 ? 0.0 : (double) s.texts() / s.batches());
        m.put("largest_batch", s.largestBatch());
        m.put("queued_" + input.noun + "s", s.queuedTexts());
        m.put("rejected_overloaded", s.rejected());
        m.put("failed_batches", s.failedBatches());
        if (input == Input.IMAGES) {
            m.put("image_memory_bytes", imageMemory.get());
            m.put("image_memory_limit_bytes", imageMemoryLimit);
        }
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
