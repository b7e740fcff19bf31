package dev.finetune4j.serve;

import dev.finetune4j.UserError;
import java.nio.file.Path;

/**
 * Settings of {@code ft4j serve}, checked once here so that the server can trust them.
 *
 * @param model          the model directory (runs/&lt;name&gt;/model)
 * @param host           interface to bind; loopback unless the user opts in
 * @param port           TCP port; 0 picks a free one (tests)
 * @param maxBatch       most texts (images) the model runs at once; 1 turns micro-batching off
 * @param maxWaitMs      how long the worker waits to fill a batch once a text (image) is waiting
 * @param maxRequestBytes largest request body (413 beyond)
 * @param maxTexts       most texts in one request (413 beyond)
 * @param maxTextChars   longest text in characters (Unicode code points; 422 beyond)
 * @param maxImages      most images in one request, for an image model (413 beyond)
 * @param maxImagePixels most pixels (width times height) of one image, read from its header before decoding (422 beyond)
 * @param maxQueue       most texts (images) waiting for the model (503 with Retry-After beyond)
 * @param token          bearer token every endpoint but /health requires, or null for none
 * @param shutdownMs     how long a graceful stop waits for requests in flight
 */
public record ServeConfig(Path model, String host, int port, int maxBatch, int maxWaitMs, int maxRequestBytes,
        int maxTexts, int maxTextChars, int maxImages, long maxImagePixels, int maxQueue, String token, int shutdownMs) {
    public static final String LOOPBACK = "127.0.0.1";
    public static final int DEFAULT_PORT = 8080;
    public static final int DEFAULT_MAX_BATCH = 32;
    public static final int DEFAULT_MAX_WAIT_MS = 5;
    public static final int DEFAULT_MAX_REQUEST_BYTES = 1 << 20;
    public static final int DEFAULT_MAX_TEXTS = 64;
    public static final int DEFAULT_MAX_TEXT_CHARS = 10_000;
    public static final int DEFAULT_MAX_IMAGES = 64;
    public static final long DEFAULT_MAX_IMAGE_PIXELS = 40_000_000;
    public static final int DEFAULT_MAX_QUEUE = 1024;
    public static final int DEFAULT_SHUTDOWN_MS = 10_000;

    public ServeConfig {
        if (model == null) throw new UserError("--model is required: the model directory `ft4j train` wrote");
        if (host == null || host.isBlank()) throw new UserError("--host must not be empty (e.g. 127.0.0.1)");
        if (port < 0 || port > 65_535) throw new UserError("--port must be 0..65535, got " + port);
        if (maxBatch < 1) throw new UserError("--max-batch must be at least 1 (1 turns micro-batching off), got " + maxBatch);
        if (maxWaitMs < 0) throw new UserError("--max-wait-ms must be 0 or more, got " + maxWaitMs);
        if (maxRequestBytes < 1024) throw new UserError("--max-request-bytes must be at least 1024, got " + maxRequestBytes);
        if (maxTexts < 1) throw new UserError("--max-texts must be at least 1, got " + maxTexts);
        if (maxTextChars < 1) throw new UserError("--max-text-chars must be at least 1, got " + maxTextChars);
        if (maxImages < 1) throw new UserError("--max-images must be at least 1, got " + maxImages);
        if (maxImagePixels < 1) throw new UserError("--max-image-pixels must be at least 1, got " + maxImagePixels);
        if (maxQueue < maxTexts) {
            throw new UserError("--max-queue (" + maxQueue + ") must be at least --max-texts (" + maxTexts
                    + "), or a full-size request could never be queued");
        }
        if (token != null && token.isBlank()) {
            throw new UserError("the bearer token is empty — put a non-empty token in --token-file or FT4J_SERVE_TOKEN");
        }
        if (shutdownMs < 0) throw new UserError("shutdown wait must be 0 or more ms, got " + shutdownMs);
    }

    /** The defaults of every limit, for {@code model} on loopback port 8080. */
    public static ServeConfig defaults(Path model) {
        return new ServeConfig(model, LOOPBACK, DEFAULT_PORT, DEFAULT_MAX_BATCH, DEFAULT_MAX_WAIT_MS,
                DEFAULT_MAX_REQUEST_BYTES, DEFAULT_MAX_TEXTS, DEFAULT_MAX_TEXT_CHARS, DEFAULT_MAX_IMAGES,
                DEFAULT_MAX_IMAGE_PIXELS, DEFAULT_MAX_QUEUE, null, DEFAULT_SHUTDOWN_MS);
    }

    public ServeConfig withPort(int p) {
        return new ServeConfig(model, host, p, maxBatch, maxWaitMs, maxRequestBytes, maxTexts, maxTextChars, maxImages,
                maxImagePixels, maxQueue, token, shutdownMs);
    }

    public ServeConfig withBatching(int batch, int waitMs) {
        return new ServeConfig(model, host, port, batch, waitMs, maxRequestBytes, maxTexts, maxTextChars, maxImages,
                maxImagePixels, maxQueue, token, shutdownMs);
    }

    public ServeConfig withLimits(int requestBytes, int texts, int textChars, int queue) {
        return new ServeConfig(model, host, port, maxBatch, maxWaitMs, requestBytes, texts, textChars, maxImages,
                maxImagePixels, queue, token, shutdownMs);
    }

    public ServeConfig withImageLimits(int images, long imagePixels) {
        return new ServeConfig(model, host, port, maxBatch, maxWaitMs, maxRequestBytes, maxTexts, maxTextChars, images,
                imagePixels, maxQueue, token, shutdownMs);
    }

    public ServeConfig withToken(String t) {
        return new ServeConfig(model, host, port, maxBatch, maxWaitMs, maxRequestBytes, maxTexts, maxTextChars, maxImages,
                maxImagePixels, maxQueue, t, shutdownMs);
    }

    /** For an image model: the queue must hold a full-size request (a text model's server does not check it). */
    void checkImageQueue() {
        if (maxQueue < maxImages) {
            throw new UserError("--max-queue (" + maxQueue + ") must be at least --max-images (" + maxImages
                    + "), or a full-size request could never be queued");
        }
    }

    /** Whether only this machine can connect. */
    public boolean loopbackOnly() {
        return host.equals("localhost") || host.startsWith("127.") || host.equals("::1") || host.equals("[::1]");
    }

    /** Never prints the token. */
    @Override
    public String toString() {
        return "ServeConfig[model=" + model + ", host=" + host + ", port=" + port + ", maxBatch=" + maxBatch
                + ", maxWaitMs=" + maxWaitMs + ", maxRequestBytes=" + maxRequestBytes + ", maxTexts=" + maxTexts
                + ", maxTextChars=" + maxTextChars + ", maxImages=" + maxImages + ", maxImagePixels=" + maxImagePixels
                + ", maxQueue=" + maxQueue + ", token=" + (token == null ? "none" : "***")
                + ", shutdownMs=" + shutdownMs + "]";
    }
}
