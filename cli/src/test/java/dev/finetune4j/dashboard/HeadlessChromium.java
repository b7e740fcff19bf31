package dev.finetune4j.dashboard;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * A real headless Chromium driven through chromedriver's W3C WebDriver protocol (plain HTTP and
 * JSON; Debian packages {@code chromium} and {@code chromium-driver}, which .ci/run installs).
 *
 * <p>The binaries: system property {@code ft4j.chromium} / environment variable {@code FT4J_CHROMIUM}
 * and {@code ft4j.chromedriver} / {@code FT4J_CHROMEDRIVER} when set, else {@code chromium} and
 * {@code chromedriver} on the PATH. Without them the tests are skipped with a note saying what to
 * install, unless the environment variable {@code CI} is set (as .ci/run sets it): then they fail.
 */
final class HeadlessChromium implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final Process driver;
    private final HttpClient http = HttpClient.newHttpClient();
    private final String base;
    private final String session;

    private HeadlessChromium(Process driver, String base, String session) {
        this.driver = driver;
        this.base = base;
        this.session = session;
    }

    static final String INSTALL = "apt-get install chromium chromium-driver";

    /** The browser, or null: {@code ft4j.chromium}, {@code FT4J_CHROMIUM}, else {@code chromium} on the PATH. */
    static Path chromium() {
        return locate("ft4j.chromium", "FT4J_CHROMIUM", "chromium");
    }

    /** The driver, or null: {@code ft4j.chromedriver}, {@code FT4J_CHROMEDRIVER}, else {@code chromedriver} on the PATH. */
    static Path chromedriver() {
        return locate("ft4j.chromedriver", "FT4J_CHROMEDRIVER", "chromedriver");
    }

    private static Path locate(String property, String variable, String command) {
        String given = System.getProperty(property, System.getenv(variable));
        if (given != null && !given.isEmpty()) return Files.isExecutable(Path.of(given)) ? Path.of(given) : null;
        String path = System.getenv("PATH");
        if (path == null) return null;
        for (String dir : path.split(java.io.File.pathSeparator)) {
            if (dir.isEmpty()) continue;
            Path candidate = Path.of(dir, command);
            if (Files.isExecutable(candidate)) return candidate;
        }
        return null;
    }

    /** Whether the environment variable CI is set (to anything but the empty string): browser tests are required. */
    static boolean onCi() {
        String ci = System.getenv("CI");
        return ci != null && !ci.isEmpty();
    }

    /** Whether chromium and chromedriver are found; when they are not and CI is set, fails (see {@link #requireOrSkip}). */
    static boolean available() {
        if (chromium() != null && chromedriver() != null) return true;
        if (onCi()) requireOrSkip();
        return false;
    }

    /**
     * Returns when chromium and chromedriver are found; otherwise fails on CI and, elsewhere, skips
     * the calling tests (a JUnit assumption) with a note saying what to install.
     */
    static void requireOrSkip() {
        List<String> missing = new java.util.ArrayList<>();
        if (chromium() == null) missing.add("chromium (ft4j.chromium / FT4J_CHROMIUM, else on the PATH)");
        if (chromedriver() == null) missing.add("chromedriver (ft4j.chromedriver / FT4J_CHROMEDRIVER, else on the PATH)");
        if (missing.isEmpty()) return;
        String what = "the dashboard's browser tests need Debian's chromium and chromium-driver: " + INSTALL
                + " (not found: " + String.join(", ", missing) + ")";
        if (onCi()) throw new AssertionError(what + "; CI is set, so they are required (.ci/run installs them)");
        String note = what + "; skipped (with CI set they fail instead)";
        noteOnConsole(note);
        org.junit.jupiter.api.Assumptions.abort(note);
    }

    private static boolean noted;

    /**
     * Prints {@code note} once on the build's console: Maven's summary counts skipped tests but does
     * not say why, and surefire sends System.out/err to files (redirectTestOutputToFile), so this
     * writes to the process's own stderr, which surefire passes through.
     */
    private static synchronized void noteOnConsole(String note) {
        if (noted) return;
        noted = true;
        java.io.PrintStream err = new java.io.PrintStream(new java.io.FileOutputStream(java.io.FileDescriptor.err), true,
                java.nio.charset.StandardCharsets.UTF_8);
        err.println("[NOTE] DashboardTest: " + note);
        err.flush();
    }

    static HeadlessChromium start(Path tmp) throws Exception {
        requireOrSkip();
        Path chromedriver = chromedriver(), chromium = chromium();
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        Process p = new ProcessBuilder(chromedriver.toString(), "--port=" + port)
                .redirectErrorStream(true).redirectOutput(tmp.resolve("chromedriver.log").toFile()).start();
        String base = "http://127.0.0.1:" + port;
        HttpClient http = HttpClient.newHttpClient();
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (true) {
            try {
                JsonNode status = JSON.readTree(http.send(HttpRequest.newBuilder(URI.create(base + "/status")).build(),
                        HttpResponse.BodyHandlers.ofString()).body());
                if (status.path("value").path("ready").asBoolean()) break;
            } catch (IOException e) {
                // not listening yet
            }
            if (System.nanoTime() > deadline) throw new AssertionError("chromedriver did not start: " + Files.readString(tmp.resolve("chromedriver.log")));
            Thread.sleep(100);
        }
        Path profile = Files.createTempDirectory(tmp, "chromium-profile");
        Map<String, Object> caps = Map.of("capabilities", Map.of("alwaysMatch", Map.of("goog:chromeOptions", Map.of(
                "binary", chromium.toString(),
                "args", List.of("--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                        "--disable-background-networking", "--disable-component-update", "--disable-sync",
                        "--no-first-run", "--window-size=1400,1000", "--user-data-dir=" + profile)))));
        JsonNode created = post(http, base + "/session", caps);
        String session = created.path("value").path("sessionId").asText(null);
        if (session == null) throw new AssertionError("chromedriver refused the session: " + created);
        return new HeadlessChromium(p, base, session);
    }

    void open(String url) throws Exception {
        post(http, base + "/session/" + session + "/url", Map.of("url", url));
    }

    /** Runs {@code script} (a function body: use {@code return}) in the page and returns its value as JSON. */
    JsonNode script(String script) throws Exception {
        JsonNode r = post(http, base + "/session/" + session + "/execute/sync", Map.of("script", script, "args", List.of()));
        if (r.path("value").has("error")) throw new AssertionError("script failed: " + r.path("value"));
        return r.path("value");
    }

    /** Waits until {@code condition} (a JavaScript expression) is true in the page. */
    void await(String condition, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!script("return !!(" + condition + ");").asBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for " + condition + " on "
                        + script("return location.href + ': ' + document.body.innerText.substring(0, 500);").asText());
            }
            Thread.sleep(100);
        }
    }

    private static JsonNode post(HttpClient http, String url, Object body) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(url)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body))).build(),
                HttpResponse.BodyHandlers.ofString());
        return JSON.readTree(r.body());
    }

    @Override
    public void close() throws Exception {
        try {
            http.send(HttpRequest.newBuilder(URI.create(base + "/session/" + session)).DELETE().build(),
                    HttpResponse.BodyHandlers.discarding());
        } finally {
            driver.descendants().forEach(ProcessHandle::destroyForcibly);
            driver.destroyForcibly();
        }
    }
}
