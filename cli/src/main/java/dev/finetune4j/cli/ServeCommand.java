package dev.finetune4j.cli;

import dev.finetune4j.UserError;
import dev.finetune4j.serve.PredictionServer;
import dev.finetune4j.serve.ServeConfig;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "serve", mixinStandardHelpOptions = true,
        description = {"Serve a fine-tuned model over HTTP until stopped (Ctrl-C / SIGTERM stop it gracefully).",
                "POST /v1/predict {\"texts\": [..]} -> {\"predictions\": [{\"label\", \"scores\"}, ..]};"
                        + " GET /v1/model, GET /v1/stats, GET /health.",
                "An image model takes {\"images\": [\"<base64>\", ..]}, or one image as the body"
                        + " (Content-Type image/png, image/jpeg, image/bmp or image/gif)."})
final class ServeCommand implements Callable<Integer> {
    static final String TOKEN_ENV = "FT4J_SERVE_TOKEN";

    @Option(names = "--model", required = true, paramLabel = "DIR", description = "a model directory (runs/<name>/model)")
    Path model;

    @Option(names = "--host", defaultValue = ServeConfig.LOOPBACK,
            description = "interface to listen on (default: ${DEFAULT-VALUE}; 0.0.0.0 exposes the server to the network)")
    String host;

    @Option(names = "--port", defaultValue = "8080", description = "TCP port (default: ${DEFAULT-VALUE}; 0 picks a free one)")
    int port;

    @Option(names = "--max-batch", defaultValue = "32",
            description = "most texts (images) the model runs at once (default: ${DEFAULT-VALUE}; 1 turns micro-batching off)")
    int maxBatch;

    @Option(names = "--max-wait-ms", defaultValue = "5",
            description = "how long to wait to fill a batch once a text (image) is waiting (default: ${DEFAULT-VALUE})")
    int maxWaitMs;

    @Option(names = "--max-request-bytes", defaultValue = "1048576",
            description = "largest request body; 413 beyond (default: ${DEFAULT-VALUE}; images in base64 may need more)")
    int maxRequestBytes;

    @Option(names = "--max-texts", defaultValue = "64", description = "most texts per request; 413 beyond (default: ${DEFAULT-VALUE})")
    int maxTexts;

    @Option(names = "--max-text-chars", defaultValue = "10000",
            description = "longest text in characters; 422 beyond (default: ${DEFAULT-VALUE})")
    int maxTextChars;

    @Option(names = "--max-images", defaultValue = "64",
            description = "image models: most images per request; 413 beyond (default: ${DEFAULT-VALUE})")
    int maxImages;

    @Option(names = "--max-image-pixels", defaultValue = "40000000",
            description = "image models: most pixels (width x height) of one image, read from its header before"
                    + " decoding; 422 beyond (default: ${DEFAULT-VALUE})")
    long maxImagePixels;

    @Option(names = "--max-queue", defaultValue = "1024",
            description = "most texts (images) waiting for the model; 503 + Retry-After beyond (default: ${DEFAULT-VALUE})")
    int maxQueue;

    @Option(names = "--token-file", paramLabel = "FILE",
            description = "require 'Authorization: Bearer <token>' on every endpoint but /health; the token is this "
                    + "file's content (or set " + TOKEN_ENV + ")")
    Path tokenFile;

    @Override
    public Integer call() throws Exception {
        ServeConfig config = new ServeConfig(model, host, port, maxBatch, maxWaitMs, maxRequestBytes, maxTexts,
                maxTextChars, maxImages, maxImagePixels, maxQueue, token(), ServeConfig.DEFAULT_SHUTDOWN_MS);
        if (!config.loopbackOnly() && config.token() == null) {
            System.err.println("warning: listening on " + host + " without a token: anyone who can reach this port can "
                    + "use the model. Set --token-file FILE or " + TOKEN_ENV + ", or keep the default --host 127.0.0.1");
        }
        PredictionServer server = PredictionServer.start(config);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            System.err.println("ft4j serve: stopping (finishing requests in flight) ...");
            server.close();
            System.err.println("ft4j serve: stopped");
        }, "ft4j-serve-shutdown"));
        System.out.println(server.banner(model));
        System.out.flush();
        server.awaitStopped();
        return 0;
    }

    private String token() {
        if (tokenFile != null) {
            try {
                String t = Files.readString(tokenFile, StandardCharsets.UTF_8).strip();
                if (t.isEmpty()) throw new UserError("--token-file " + tokenFile + " is empty — put the token in it");
                return t;
            } catch (IOException e) {
                throw new UserError("--token-file " + tokenFile + ": cannot read it (" + e.getMessage() + ")");
            }
        }
        String env = System.getenv(TOKEN_ENV);
        return env == null || env.isBlank() ? null : env.strip();
    }
}
