package dev.finetune4j.spark;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.finetune4j.tune.TrialCoordinator;
import dev.finetune4j.tune.TrialOutcome;
import java.io.IOException;
import java.io.OutputStream;
import java.io.Serializable;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * The study's {@link TrialCoordinator} over HTTP, so that trials running in Spark executors report
 * their intermediate values to the driver (where the pruner and the store are) and learn at once
 * whether to stop. The driver serves it on the address Spark gave the driver; every request carries
 * the study's random bearer token.
 */
final class HttpCoordinator {
    private static final ObjectMapper JSON = new ObjectMapper();

    private HttpCoordinator() {}

    /** The driver's end: serves {@code /claim}, {@code /report} and {@code /finish} until closed. */
    static final class Server implements AutoCloseable {
        private final HttpServer http;
        private final ExecutorService pool = Executors.newFixedThreadPool(4, r -> {
            Thread t = new Thread(r, "ft4j-coordinator");
            t.setDaemon(true);
            return t;
        });
        private final String token = HexFormat.of().formatHex(new SecureRandom().generateSeed(16));
        private final String url;

        Server(String host, TrialCoordinator coordinator) throws IOException {
            http = HttpServer.create(new InetSocketAddress(host, 0), 64);
            http.setExecutor(pool);
            http.createContext("/claim", ex -> handle(ex, body -> Map.of("run",
                    coordinator.claim(body.get("trial").asInt(), body.get("attempt").asText()))));
            http.createContext("/report", ex -> handle(ex, body -> Map.of("continue",
                    coordinator.report(body.get("trial").asInt(), body.get("attempt").asText(),
                            body.get("step").asLong(), body.get("value").asDouble()))));
            http.createContext("/finish", ex -> handle(ex, body -> {
                coordinator.finish(body.get("trial").asInt(), body.get("attempt").asText(),
                        JSON.treeToValue(body.get("outcome"), TrialOutcome.class));
                return Map.of();
            }));
            http.start();
            url = "http://" + host + ":" + http.getAddress().getPort();
        }

        /** A serializable client for the executors. */
        Client client() {
            return new Client(url, token);
        }

        private interface Handler {
            Object answer(JsonNode body) throws IOException;
        }

        private void handle(HttpExchange ex, Handler handler) throws IOException {
            try (ex) {
                int status;
                byte[] out;
                if (!("Bearer " + token).equals(ex.getRequestHeaders().getFirst("Authorization"))) {
                    status = 401;
                    out = "{\"error\":\"bad token\"}".getBytes();
                } else if (!"POST".equals(ex.getRequestMethod())) {
                    status = 405;
                    out = "{\"error\":\"POST only\"}".getBytes();
                } else {
                    try {
                        out = JSON.writeValueAsBytes(handler.answer(JSON.readTree(ex.getRequestBody())));
                        status = 200;
                    } catch (RuntimeException | IOException e) {
                        status = 500;
                        out = JSON.writeValueAsBytes(Map.of("error", String.valueOf(e.getMessage())));
                    }
                }
                ex.getResponseHeaders().set("Content-Type", "application/json");
                ex.sendResponseHeaders(status, out.length);
                try (OutputStream os = ex.getResponseBody()) {
                    os.write(out);
                }
            }
        }

        @Override
        public void close() {
            http.stop(0);
            pool.shutdownNow();
        }
    }

    /** The executors' end: a {@link TrialCoordinator} that calls the driver. */
    static final class Client implements TrialCoordinator, Serializable {
        private static final long serialVersionUID = 1L;
        private final String url;
        private final String token;
        private transient HttpClient http;

        Client(String url, String token) {
            this.url = url;
            this.token = token;
        }

        @Override
        public boolean claim(int trial, String attempt) {
            return call("/claim", Map.of("trial", trial, "attempt", attempt)).get("run").asBoolean();
        }

        @Override
        public boolean report(int trial, String attempt, long step, double value) {
            return call("/report", Map.of("trial", trial, "attempt", attempt, "step", step, "value", value))
                    .get("continue").asBoolean();
        }

        @Override
        public void finish(int trial, String attempt, TrialOutcome outcome) {
            call("/finish", Map.of("trial", trial, "attempt", attempt, "outcome", outcome));
        }

        /** Retries for up to a minute: the driver may be busy (a GC, the store), and a lost report loses a trial. */
        private JsonNode call(String path, Map<String, Object> body) {
            if (http == null) http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
            IOException last = null;
            long deadline = System.nanoTime() + Duration.ofMinutes(1).toNanos();
            for (int i = 0; System.nanoTime() < deadline; i++) {
                try {
                    HttpRequest request = HttpRequest.newBuilder(URI.create(url + path))
                            .timeout(Duration.ofSeconds(30))
                            .header("Authorization", "Bearer " + token)
                            .header("Content-Type", "application/json")
                            .POST(HttpRequest.BodyPublishers.ofByteArray(JSON.writeValueAsBytes(body)))
                            .build();
                    HttpResponse<byte[]> r = http.send(request, HttpResponse.BodyHandlers.ofByteArray());
                    JsonNode answer = JSON.readTree(r.body());
                    if (r.statusCode() != 200) {
                        throw new IllegalStateException("the study driver answered " + r.statusCode() + " to " + path
                                + ": " + answer.path("error").asText());
                    }
                    return answer;
                } catch (IOException e) {
                    last = e;
                    try {
                        Thread.sleep(Math.min(5_000, 200L << Math.min(i, 5)));
                    } catch (InterruptedException ie) {
                        Thread.currentThread().interrupt();
                        throw new IllegalStateException("interrupted calling the study driver", ie);
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("interrupted calling the study driver", e);
                }
            }
            throw new IllegalStateException("cannot reach the study driver at " + url + ": " + last, last);
        }
    }
}
