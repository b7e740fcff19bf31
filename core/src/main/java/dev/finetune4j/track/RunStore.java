package dev.finetune4j.track;

import dev.finetune4j.UserError;
import dev.finetune4j.util.Host;
import dev.finetune4j.util.SqliteFile;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Every training run and tuning trial in SQLite ({@code runs/runs.db} by default): the resolved
 * recipe, provenance, metrics by step (train loss, learning rate, examples/s, resident memory,
 * validation metrics), status and artifact paths. WAL mode and a busy timeout make it safe for
 * several processes on one machine (parallel runs, trials, the dashboard) at once.
 *
 * <p>A run whose process died without finishing it (SIGKILL, power loss) still says {@code running};
 * readers on the same host see that its process is gone and report it as {@code killed}.
 */
public final class RunStore implements AutoCloseable {
    /** {@code PRUNED}: a tuning trial its pruner stopped. */
    public enum Status { RUNNING, FINISHED, FAILED, KILLED, PRUNED }

    /** What a run is when it starts. {@code kind}: {@code train} or {@code trial}; {@code study}: the study's directory, for trials and a study's best run. */
    public record NewRun(String name, String kind, Path outputDir, Map<String, Object> recipe, String study, Integer trial) {}

    /** One value of one metric at one step (epoch: 1-based, or null). */
    public record Point(long step, Integer epoch, String key, double value, long timeMillis) {}

    /** A run as stored; JSON columns as maps. */
    public record Run(String id, String name, String kind, Status status, String outputDir, Map<String, Object> recipe,
            Map<String, Object> provenance, Map<String, Object> summary, Map<String, Object> artifacts, String startedAt,
            String finishedAt, String host, long pid, String error, String study, Integer trial) {
        /** How long it ran: until it finished, or until now while it runs; null when unknown (killed). */
        public Double seconds() {
            Instant end = finishedAt != null ? Instant.parse(finishedAt) : status == Status.RUNNING ? Instant.now() : null;
            return end == null ? null : java.time.Duration.between(Instant.parse(startedAt), end).toMillis() / 1000.0;
        }
    }

    private static final DateTimeFormatter ID_TIME = DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss").withZone(ZoneOffset.UTC);
    private static final String HOST = Host.name();

    private final SqliteFile sql;
    private final Connection db;
    private final Path file;

    /** {@code runs.db} in the system property {@code ft4j.runs}, else {@code $FT4J_RUNS}, else {@code runs/}. */
    public static Path defaultFile() {
        String dir = System.getProperty("ft4j.runs", System.getenv("FT4J_RUNS"));
        return Path.of(dir == null || dir.isBlank() ? "runs" : dir).resolve("runs.db");
    }

    public RunStore(Path file) {
        this.file = file;
        this.sql = new SqliteFile(file, "the run store", "NORMAL", 15_000,
                "CREATE TABLE IF NOT EXISTS runs(id TEXT PRIMARY KEY, name TEXT NOT NULL, kind TEXT NOT NULL,"
                        + " status TEXT NOT NULL, output_dir TEXT, recipe TEXT, provenance TEXT, summary TEXT, artifacts TEXT,"
                        + " started_at TEXT NOT NULL, finished_at TEXT, host TEXT, pid INTEGER, pid_started INTEGER,"
                        + " error TEXT, study TEXT, trial INTEGER)",
                "CREATE TABLE IF NOT EXISTS metrics(run TEXT NOT NULL, key TEXT NOT NULL, step INTEGER NOT NULL,"
                        + " epoch INTEGER, value REAL, time INTEGER NOT NULL, PRIMARY KEY(run, key, step))",
                "CREATE INDEX IF NOT EXISTS runs_started ON runs(started_at)");
        this.db = sql.connection();
    }

    public Path file() {
        return file;
    }

    /** Records a new running run and returns its id, e.g. {@code 20261123-081502-spam-3f9a}. */
    public synchronized String start(NewRun run) {
        Instant now = Instant.now();
        String id = ID_TIME.format(now) + "-" + slug(run.name()) + "-"
                + HexFormat.of().toHexDigits((short) ThreadLocalRandom.current().nextInt());
        sql.update("INSERT INTO runs(id, name, kind, status, output_dir, recipe, started_at, host, pid, pid_started,"
                + " study, trial) VALUES(?, ?, ?, 'RUNNING', ?, ?, ?, ?, ?, ?, ?, ?)", id, run.name(), run.kind(),
                run.outputDir() == null ? null : run.outputDir().toAbsolutePath().normalize().toString(),
                SqliteFile.json(run.recipe()),
                now.toString(), HOST, ProcessHandle.current().pid(), processStart(ProcessHandle.current()), run.study(),
                run.trial());
        return id;
    }

    /**
     * The unfinished run last recorded for {@code outputDir} (for {@code --resume}, which continues
     * it under the same id), marked running by this process again.
     */
    public synchronized Optional<String> reopen(Path outputDir) {
        String dir = outputDir.toAbsolutePath().normalize().toString();
        try (PreparedStatement q = db.prepareStatement("SELECT id FROM runs WHERE output_dir = ? AND status != 'FINISHED'"
                + " ORDER BY started_at DESC LIMIT 1")) {
            q.setString(1, dir);
            ResultSet r = q.executeQuery();
            if (!r.next()) return Optional.empty();
            String id = r.getString(1);
            sql.update("UPDATE runs SET status = 'RUNNING', finished_at = NULL, error = NULL, host = ?, pid = ?,"
                    + " pid_started = ? WHERE id = ?", HOST, ProcessHandle.current().pid(), processStart(ProcessHandle.current()), id);
            return Optional.of(id);
        } catch (SQLException e) {
            throw sql.failed(e);
        }
    }

    /** Adds metric values in one transaction; a value for a step already recorded (a resumed run) replaces it. */
    public synchronized void record(String run, List<Point> points) {
        if (points.isEmpty()) return;
        try {
            db.setAutoCommit(false);
            try (PreparedStatement p = db.prepareStatement("INSERT INTO metrics(run, key, step, epoch, value, time)"
                    + " VALUES(?, ?, ?, ?, ?, ?) ON CONFLICT(run, key, step) DO UPDATE SET epoch = excluded.epoch,"
                    + " value = excluded.value, time = excluded.time")) {
                for (Point pt : points) {
                    p.setString(1, run);
                    p.setString(2, pt.key());
                    p.setLong(3, pt.step());
                    p.setObject(4, pt.epoch());
                    p.setObject(5, Double.isFinite(pt.value()) ? pt.value() : null);
                    p.setLong(6, pt.timeMillis());
                    p.addBatch();
                }
                p.executeBatch();
            }
            db.commit();
        } catch (SQLException e) {
            try {
                db.rollback();
            } catch (SQLException ignored) {
                // the original error says more
            }
            throw sql.failed(e);
        } finally {
            try {
                db.setAutoCommit(true);
            } catch (SQLException ignored) {
                // next statement reports it
            }
        }
    }

    /** Replaces the run's recipe by the one it runs with, the settings it chose filled in. */
    public synchronized void recipe(String run, Map<String, Object> recipe) {
        sql.update("UPDATE runs SET recipe = ? WHERE id = ?", SqliteFile.json(recipe), run);
    }

    /** Sets provenance as soon as it is known (it hashes the inputs, after the run started). */
    public synchronized void provenance(String run, Map<String, Object> provenance) {
        sql.update("UPDATE runs SET provenance = ? WHERE id = ?", SqliteFile.json(provenance), run);
    }

    /** Ends a run: its summary metrics and artifact paths, or the error it failed with. */
    public synchronized void finish(String run, Status status, Map<String, Object> summary, Map<String, Object> artifacts,
            String error) {
        sql.update("UPDATE runs SET status = ?, summary = COALESCE(?, summary), artifacts = COALESCE(?, artifacts),"
                + " error = ?, finished_at = ? WHERE id = ?", status.name(), SqliteFile.json(summary),
                SqliteFile.json(artifacts), error, Instant.now().toString(), run);
    }

    /** Every run, newest first. Runs whose process is gone are reported (and stored) as killed. */
    public synchronized List<Run> runs() {
        List<Run> out = new ArrayList<>();
        try (Statement s = db.createStatement()) {
            ResultSet r = s.executeQuery("SELECT " + COLUMNS + " FROM runs ORDER BY started_at DESC, id DESC");
            while (r.next()) out.add(row(r));
        } catch (SQLException e) {
            throw sql.failed(e);
        }
        for (Run run : out) {
            if (run.status() == Status.KILLED) {
                sql.update("UPDATE runs SET status = 'KILLED', error = COALESCE(error, ?) WHERE id = ?"
                        + " AND status = 'RUNNING'", KILLED, run.id());
            }
        }
        return out;
    }

    /** The run with this id, or the only one whose id starts with it (ids are long). */
    public synchronized Optional<Run> find(String idOrPrefix) {
        List<Run> matches = runs().stream().filter(r -> r.id().equals(idOrPrefix)).toList();
        if (matches.isEmpty()) matches = runs().stream().filter(r -> r.id().startsWith(idOrPrefix)).toList();
        if (matches.size() > 1) {
            throw new UserError("run id '" + idOrPrefix + "' is ambiguous in " + file + ": it starts " + matches.size()
                    + " runs (" + matches.get(0).id() + ", " + matches.get(1).id() + ", ...); give more of it");
        }
        return matches.stream().findFirst();
    }

    /** A run's metric values, by key then step. */
    public synchronized List<Point> points(String run) {
        return points(run, 0);
    }

    /** Values recorded at or after {@code sinceMillis} (for live views that poll). */
    public synchronized List<Point> points(String run, long sinceMillis) {
        List<Point> out = new ArrayList<>();
        try (PreparedStatement q = db.prepareStatement("SELECT step, epoch, key, value, time FROM metrics WHERE run = ?"
                + " AND time >= ? ORDER BY key, step")) {
            q.setString(1, run);
            q.setLong(2, sinceMillis);
            ResultSet r = q.executeQuery();
            while (r.next()) {
                int epoch = r.getInt(2);
                Integer e = r.wasNull() ? null : epoch;
                double v = r.getDouble(4);
                out.add(new Point(r.getLong(1), e, r.getString(3), r.wasNull() ? Double.NaN : v, r.getLong(5)));
            }
        } catch (SQLException e) {
            throw sql.failed(e);
        }
        return out;
    }

    private static final String KILLED = "the process ended without finishing the run";
    private static final String COLUMNS = "id, name, kind, status, output_dir, recipe, provenance, summary, artifacts,"
            + " started_at, finished_at, host, pid, pid_started, error, study, trial";

    private Run row(ResultSet r) throws SQLException {
        Status status = Status.valueOf(r.getString(4));
        String id = r.getString(1);
        long pid = r.getLong(13);
        long pidStarted = r.getLong(14);
        String finishedAt = r.getString(11);
        if (status == Status.RUNNING && HOST.equals(r.getString(12)) && !alive(pid, pidStarted)) status = Status.KILLED;
        int trial = r.getInt(17);
        Integer t = r.wasNull() ? null : trial;
        return new Run(id, r.getString(2), r.getString(3), status, r.getString(5), SqliteFile.map(r.getString(6)),
                SqliteFile.map(r.getString(7)), SqliteFile.map(r.getString(8)), SqliteFile.map(r.getString(9)),
                r.getString(10), finishedAt, r.getString(12), pid,
                status == Status.KILLED && r.getString(15) == null ? KILLED : r.getString(15), r.getString(16), t);
    }

    /** Whether the process that started the run still runs (the same process: a reused pid has another start time). */
    private static boolean alive(long pid, long started) {
        Optional<ProcessHandle> p = ProcessHandle.of(pid);
        return p.isPresent() && p.get().isAlive() && (started == 0 || processStart(p.get()) == started);
    }

    private static long processStart(ProcessHandle p) {
        return p.info().startInstant().map(Instant::toEpochMilli).orElse(0L);
    }

    private static String slug(String name) {
        String s = name.toLowerCase().replaceAll("[^a-z0-9]+", "-").replaceAll("(^-|-$)", "");
        return s.isEmpty() ? "run" : s.length() > 40 ? s.substring(0, 40) : s;
    }

    @Override
    public synchronized void close() {
        sql.close();
    }
}
