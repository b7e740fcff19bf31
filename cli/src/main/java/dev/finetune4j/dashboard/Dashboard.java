package dev.finetune4j.dashboard;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.finetune4j.UserError;
import dev.finetune4j.track.RecipeDiff;
import dev.finetune4j.track.RunStore;
import dev.finetune4j.tune.StudyPlots;
import dev.finetune4j.tune.StudyStore;
import dev.finetune4j.tune.Trial;
import io.javalin.Javalin;
import io.javalin.http.Context;
import io.javalin.http.HttpStatus;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * {@code ft4j dashboard}: web pages over the run store on 127.0.0.1. The runs table (sort, filter),
 * a run's curves (live while it trains: the page polls), its confusion matrix, a compare view, and
 * a study page (optimization history, parameter importance, parallel coordinates). Pages are static
 * HTML and JavaScript with the vendored uPlot; the JSON API under {@code /api} reads the stores on
 * every request, so what a training process records shows up without restarting the dashboard.
 */
public final class Dashboard implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String RESOURCES = "/dev/finetune4j/dashboard/";

    private final Path storeFile;
    private final Javalin app;

    private Dashboard(Path storeFile, String host, int port) {
        this.storeFile = storeFile;
        this.app = Javalin.create(config -> {
            config.startup.showJavalinBanner = false;
            config.routes.get("/", ctx -> page(ctx, "runs.html"));
            config.routes.get("/runs/{id}", ctx -> page(ctx, "run.html"));
            config.routes.get("/compare", ctx -> page(ctx, "compare.html"));
            config.routes.get("/studies/{index}", ctx -> page(ctx, "study.html"));
            config.routes.get("/static/{file}", ctx -> asset(ctx, "static/" + ctx.pathParam("file")));
            config.routes.get("/vendor/{file}", ctx -> asset(ctx, "vendor/" + ctx.pathParam("file")));
            config.routes.get("/api/runs", ctx -> json(ctx, runs()));
            config.routes.get("/api/runs/{id}", ctx -> json(ctx, run(ctx.pathParam("id"))));
            config.routes.get("/api/runs/{id}/metrics", ctx -> json(ctx, metrics(ctx.pathParam("id"))));
            config.routes.get("/api/compare", ctx -> json(ctx, compare(ctx.queryParam("ids"))));
            config.routes.get("/api/studies", ctx -> json(ctx, studies()));
            config.routes.get("/api/studies/{index}", ctx -> json(ctx, study(Integer.parseInt(ctx.pathParam("index")))));
            config.routes.exception(NotFound.class, (e, ctx) -> ctx.status(HttpStatus.NOT_FOUND)
                    .json(Map.of("error", e.getMessage())));
            config.routes.exception(NumberFormatException.class, (e, ctx) -> ctx.status(HttpStatus.BAD_REQUEST)
                    .json(Map.of("error", "not a number: " + e.getMessage())));
        });
        try {
            app.start(host, port);
        } catch (RuntimeException e) {
            throw new UserError("cannot serve the dashboard on " + host + ":" + port + ": " + e.getMessage()
                    + " (is the port in use? choose another with --port)", e);
        }
    }

    /** Serves the run store {@code storeFile} on {@code host:port} (port 0: any free port). */
    public static Dashboard start(Path storeFile, String host, int port) {
        return new Dashboard(storeFile, host, port);
    }

    public int port() {
        return app.port();
    }

    private static final class NotFound extends RuntimeException {
        NotFound(String message) {
            super(message);
        }
    }

    private static void page(Context ctx, String name) throws IOException {
        ctx.contentType("text/html; charset=utf-8").result(resource(name));
    }

    private static void asset(Context ctx, String name) throws IOException {
        if (!name.matches("[a-z]+/[A-Za-z0-9_.-]+")) throw new NotFound("no such file");
        String type = name.endsWith(".js") ? "text/javascript" : name.endsWith(".css") ? "text/css" : "text/plain";
        ctx.contentType(type + "; charset=utf-8").header("Cache-Control", "max-age=3600").result(resource(name));
    }

    private static byte[] resource(String name) throws IOException {
        try (InputStream in = Dashboard.class.getResourceAsStream(RESOURCES + name)) {
            if (in == null) throw new NotFound("no such page: " + name);
            return in.readAllBytes();
        }
    }

    private static void json(Context ctx, Object value) throws IOException {
        ctx.contentType("application/json").header("Cache-Control", "no-store").result(JSON.writeValueAsBytes(value));
    }

    private RunStore open() {
        if (!Files.isRegularFile(storeFile)) return null;
        return new RunStore(storeFile);
    }

    List<Map<String, Object>> runs() {
        List<Map<String, Object>> out = new ArrayList<>();
        try (RunStore s = open()) {
            if (s == null) return out;
            for (RunStore.Run r : s.runs()) out.add(brief(r));
        }
        return out;
    }

    private static Map<String, Object> brief(RunStore.Run r) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", r.id());
        m.put("name", r.name());
        m.put("kind", r.kind());
        m.put("status", r.status().name().toLowerCase());
        m.put("started_at", r.startedAt());
        m.put("finished_at", r.finishedAt());
        m.put("seconds", r.seconds());
        m.put("summary", r.summary() == null ? Map.of() : r.summary());
        m.put("study", r.study());
        m.put("trial", r.trial());
        m.put("error", r.error());
        return m;
    }

    Map<String, Object> run(String id) throws IOException {
        try (RunStore s = open()) {
            RunStore.Run r = s == null ? null : s.find(id).orElse(null);
            if (r == null) throw new NotFound("no run " + id);
            Map<String, Object> m = brief(r);
            m.put("output_dir", r.outputDir());
            m.put("recipe", r.recipe());
            m.put("provenance", r.provenance());
            m.put("artifacts", r.artifacts());
            m.put("confusion", confusion(r.outputDir()));
            return m;
        }
    }

    /** The test confusion matrix from the run's metrics.json, else the validation one, else null. */
    private static Map<String, Object> confusion(String outputDir) throws IOException {
        if (outputDir == null) return null;
        Path metrics = Path.of(outputDir, "metrics.json");
        if (!Files.isRegularFile(metrics)) return null;
        JsonNode root = JSON.readTree(metrics.toFile());
        for (String split : List.of("test", "validation")) {
            JsonNode cm = root.path(split).path("confusion_matrix");
            if (cm.isObject()) {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("split", split);
                m.put("labels", JSON.convertValue(cm.get("labels"), List.class));
                m.put("matrix", JSON.convertValue(cm.get("matrix"), List.class));
                return m;
            }
        }
        return null;
    }

    /** Every recorded series of a run: {@code {"status": .., "series": {key: {"step": [..], "value": [..]}}}}. */
    Map<String, Object> metrics(String id) {
        try (RunStore s = open()) {
            RunStore.Run r = s == null ? null : s.find(id).orElse(null);
            if (r == null) throw new NotFound("no run " + id);
            Map<String, Map<String, List<Number>>> series = new TreeMap<>();
            for (RunStore.Point p : s.points(r.id())) {
                Map<String, List<Number>> xy = series.computeIfAbsent(p.key(), k -> {
                    Map<String, List<Number>> v = new LinkedHashMap<>();
                    v.put("step", new ArrayList<>());
                    v.put("value", new ArrayList<>());
                    return v;
                });
                xy.get("step").add(p.step());
                xy.get("value").add(Double.isFinite(p.value()) ? p.value() : null);
            }
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("status", r.status().name().toLowerCase());
            m.put("series", series);
            return m;
        }
    }

    Map<String, Object> compare(String ids) {
        if (ids == null || ids.isBlank()) throw new NotFound("give ?ids=ID,ID");
        List<RunStore.Run> found = new ArrayList<>();
        List<Map<String, Object>> runs = new ArrayList<>();
        try (RunStore s = open()) {
            for (String id : ids.split(",")) {
                RunStore.Run r = s == null ? null : s.find(id.trim()).orElse(null);
                if (r == null) throw new NotFound("no run " + id);
                found.add(r);
                Map<String, Object> m = brief(r);
                List<Number> steps = new ArrayList<>(), values = new ArrayList<>();
                for (RunStore.Point p : s.points(r.id())) {
                    if (p.key().equals("validation.macro_f1")) {
                        steps.add(p.step());
                        values.add(p.value());
                    }
                }
                m.put("validation_macro_f1", Map.of("step", steps, "value", values));
                runs.add(m);
            }
        }
        return Map.of("runs", runs, "params", RecipeDiff.of(found));
    }

    /** Studies that runs in the store belong to, numbered in order of first appearance. */
    List<Map<String, Object>> studies() {
        List<Map<String, Object>> out = new ArrayList<>();
        List<String> dirs = studyDirs();
        for (int i = 0; i < dirs.size(); i++) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("index", i);
            m.put("dir", dirs.get(i));
            Path db = Path.of(dirs.get(i), "study.db");
            m.put("exists", Files.isRegularFile(db));
            if (Files.isRegularFile(db)) {
                try (StudyStore st = new StudyStore(db)) {
                    List<Trial> trials = st.trials();
                    m.put("trials", trials.size());
                    m.put("complete", trials.stream().filter(t -> t.state() == Trial.State.COMPLETE).count());
                    m.put("pruned", trials.stream().filter(t -> t.state() == Trial.State.PRUNED).count());
                    m.put("best", trials.stream().filter(t -> t.value() != null && t.state() == Trial.State.COMPLETE)
                            .mapToDouble(Trial::value).max().stream().boxed().findFirst().orElse(null));
                }
            }
            out.add(m);
        }
        return out;
    }

    private List<String> studyDirs() {
        Set<String> dirs = new LinkedHashSet<>();
        try (RunStore s = open()) {
            if (s == null) return List.of();
            List<RunStore.Run> runs = new ArrayList<>(s.runs());
            java.util.Collections.reverse(runs); // oldest first: stable numbering as studies are added
            for (RunStore.Run r : runs) if (r.study() != null) dirs.add(r.study());
        }
        return new ArrayList<>(dirs);
    }

    Map<String, Object> study(int index) {
        List<String> dirs = studyDirs();
        if (index < 0 || index >= dirs.size()) throw new NotFound("no study " + index);
        Path db = Path.of(dirs.get(index), "study.db");
        if (!Files.isRegularFile(db)) throw new NotFound("the study store " + db + " is gone");
        try (StudyStore st = new StudyStore(db)) {
            List<Trial> trials = st.trials();
            List<Map<String, Object>> rows = new ArrayList<>();
            for (Trial t : trials) {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("number", t.number());
                m.put("state", t.state().name().toLowerCase());
                m.put("value", t.value());
                m.put("last_intermediate", t.lastIntermediate());
                m.put("params", t.params());
                m.put("intermediate", t.intermediate());
                rows.add(m);
            }
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("dir", dirs.get(index));
            m.put("search", st.meta("search"));
            m.put("trials", rows);
            m.put("importance", StudyPlots.importance(trials));
            return m;
        }
    }

    @Override
    public void close() {
        app.stop();
    }
}
