package dev.finetune4j.tune;

import dev.finetune4j.UserError;
import dev.finetune4j.util.SqliteFile;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A study's trials in SQLite ({@code study.db}): parameters, state, final and intermediate values,
 * errors and timing. Every change is one transaction, so a killed study loses at most the trial
 * that was running, which {@link #requeueInterrupted()} turns back into a waiting trial.
 * WAL mode and a busy timeout let several processes (parallel trials, a dashboard) share it.
 *
 * <p>A running trial belongs to the attempt that {@linkplain #claim claimed} it last; reports and
 * results from any other attempt (a Spark task retried after its executor was lost, or a
 * speculative copy) are refused, so no trial is recorded twice.
 */
public final class StudyStore implements AutoCloseable {
    private final SqliteFile sql;
    private final Connection db;
    private final Path file;

    public StudyStore(Path file) {
        this.file = file;
        this.sql = new SqliteFile(file, "the study store", "FULL", 10_000,
                "CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL)",
                "CREATE TABLE IF NOT EXISTS trials(number INTEGER PRIMARY KEY, state TEXT NOT NULL,"
                        + " params TEXT NOT NULL, value REAL, error TEXT, started_at TEXT, finished_at TEXT,"
                        + " seconds REAL, attempts INTEGER NOT NULL DEFAULT 0, rss_mb INTEGER, heap_mb INTEGER,"
                        + " attempt TEXT, worker TEXT, refused_attempts INTEGER NOT NULL DEFAULT 0)",
                "CREATE TABLE IF NOT EXISTS intermediate(trial INTEGER NOT NULL, step INTEGER NOT NULL,"
                        + " value REAL, PRIMARY KEY(trial, step))");
        // stores written before attempts and memory were tracked
        for (String column : List.of("attempt TEXT", "worker TEXT", "heap_mb INTEGER",
                "refused_attempts INTEGER NOT NULL DEFAULT 0")) {
            sql.addColumnIfMissing("trials", column);
        }
        this.db = sql.connection();
    }

    public Path file() {
        return file;
    }

    /** Records what the study is (its search settings); a store made for different settings is refused. */
    public synchronized void bind(String fingerprint, String description) {
        String existing = meta("fingerprint");
        if (existing == null) {
            putMeta("fingerprint", fingerprint);
            putMeta("search", description);
        } else if (!existing.equals(fingerprint)) {
            throw new UserError(file + " holds a study with different settings (recipe or search changed); continue it"
                    + " with the same tune file, or choose another --output");
        }
    }

    public synchronized String meta(String key) {
        try (PreparedStatement q = db.prepareStatement("SELECT value FROM meta WHERE key = ?")) {
            q.setString(1, key);
            ResultSet r = q.executeQuery();
            return r.next() ? r.getString(1) : null;
        } catch (SQLException e) {
            throw sql.failed(e);
        }
    }

    public synchronized void putMeta(String key, String value) {
        sql.update("INSERT INTO meta(key, value) VALUES(?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                key, value);
    }

    /** A new trial, running from now (to be {@linkplain #claim claimed} by the attempt that runs it). */
    public synchronized Trial start(Map<String, Object> params) {
        int number = nextNumber();
        sql.update("INSERT INTO trials(number, state, params, started_at, attempts) VALUES(?, 'RUNNING', ?, ?, 0)", number,
                SqliteFile.json(params), Instant.now().toString());
        return new Trial(number, params, Trial.State.RUNNING, null, Map.of());
    }

    /** Takes the oldest waiting trial (one that was interrupted) and marks it running, or returns null. */
    public synchronized Trial startWaiting() {
        for (Trial t : trials()) {
            if (t.state() == Trial.State.WAITING) {
                sql.update("DELETE FROM intermediate WHERE trial = ?", t.number());
                sql.update("UPDATE trials SET state = 'RUNNING', started_at = ?, attempt = NULL WHERE number = ?",
                        Instant.now().toString(), t.number());
                return new Trial(t.number(), t.params(), Trial.State.RUNNING, null, Map.of());
            }
        }
        return null;
    }

    /** Trials left running by a study that was killed go back to waiting: they are run again first. */
    public synchronized int requeueInterrupted() {
        return sql.update("UPDATE trials SET state = 'WAITING' WHERE state = 'RUNNING'");
    }

    /**
     * Gives a running trial to {@code attempt}, dropping what an earlier attempt reported. False when
     * the trial is not running (an earlier attempt finished it): the attempt must not run it.
     */
    public synchronized boolean claim(int trial, String attempt) {
        if (!"RUNNING".equals(state(trial))) {
            sql.update("UPDATE trials SET refused_attempts = refused_attempts + 1 WHERE number = ?", trial);
            return false;
        }
        sql.update("DELETE FROM intermediate WHERE trial = ?", trial);
        sql.update("UPDATE trials SET attempt = ?, attempts = attempts + 1 WHERE number = ?", attempt, trial);
        return true;
    }

    /** Records an intermediate value; false (nothing recorded) unless {@code attempt} holds the running trial. */
    public synchronized boolean report(int trial, String attempt, long step, double value) {
        if (!holds(trial, attempt)) return false;
        sql.update("INSERT INTO intermediate(trial, step, value) VALUES(?, ?, ?) ON CONFLICT(trial, step) DO UPDATE"
                + " SET value = excluded.value", trial, step, value);
        return true;
    }

    /** Records how the trial ended; false (nothing recorded) unless {@code attempt} holds the running trial. */
    public synchronized boolean finish(int trial, String attempt, TrialOutcome o) {
        if (!holds(trial, attempt)) return false;
        sql.update("UPDATE trials SET state = ?, value = ?, error = ?, finished_at = ?, seconds = ?, rss_mb = ?,"
                + " heap_mb = ?, worker = ? WHERE number = ?", o.state().name(), o.value(), o.error(), Instant.now().toString(), o.seconds(),
                o.rssMb(), o.heapMb(), o.worker(), trial);
        return true;
    }

    /** Marks a trial failed if it is still running: for a trial its backend could not run at all. */
    public synchronized boolean failIfRunning(int trial, String error) {
        return sql.update("UPDATE trials SET state = 'FAILED', error = ?, finished_at = ? WHERE number = ?"
                + " AND state = 'RUNNING'", error, Instant.now().toString(), trial) > 0;
    }

    private boolean holds(int trial, String attempt) {
        try (PreparedStatement q = db.prepareStatement("SELECT state, attempt FROM trials WHERE number = ?")) {
            q.setInt(1, trial);
            ResultSet r = q.executeQuery();
            return r.next() && "RUNNING".equals(r.getString(1)) && attempt.equals(r.getString(2));
        } catch (SQLException e) {
            throw sql.failed(e);
        }
    }

    private String state(int trial) {
        try (PreparedStatement q = db.prepareStatement("SELECT state FROM trials WHERE number = ?")) {
            q.setInt(1, trial);
            ResultSet r = q.executeQuery();
            return r.next() ? r.getString(1) : null;
        } catch (SQLException e) {
            throw sql.failed(e);
        }
    }

    /** Every trial with its intermediate values, by number. */
    public synchronized List<Trial> trials() {
        Map<Integer, Map<Long, Double>> inter = new HashMap<>();
        try (Statement s = db.createStatement()) {
            ResultSet r = s.executeQuery("SELECT trial, step, value FROM intermediate");
            while (r.next()) inter.computeIfAbsent(r.getInt(1), k -> new HashMap<>()).put(r.getLong(2), r.getDouble(3));
            List<Trial> out = new ArrayList<>();
            r = s.executeQuery("SELECT number, state, params, value FROM trials ORDER BY number");
            while (r.next()) {
                double v = r.getDouble(4);
                Double value = r.wasNull() ? null : v;
                out.add(new Trial(r.getInt(1), SqliteFile.map(r.getString(3)), Trial.State.valueOf(r.getString(2)), value,
                        inter.getOrDefault(r.getInt(1), Map.of())));
            }
            return out;
        } catch (SQLException e) {
            throw sql.failed(e);
        }
    }

    /** Rows for the leaderboard: number, state, value, seconds, attempts, error, params, times, resident memory after the trial, where it ran. */
    public synchronized List<Map<String, Object>> rows() {
        List<Map<String, Object>> out = new ArrayList<>();
        try (Statement s = db.createStatement()) {
            ResultSet r = s.executeQuery("SELECT number, state, value, seconds, attempts, error, params, started_at,"
                    + " finished_at, rss_mb, worker, refused_attempts, heap_mb FROM trials ORDER BY number");
            while (r.next()) {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("number", r.getInt(1));
                m.put("state", r.getString(2));
                double v = r.getDouble(3);
                m.put("value", r.wasNull() ? null : v);
                double sec = r.getDouble(4);
                m.put("seconds", r.wasNull() ? null : sec);
                m.put("attempts", r.getInt(5));
                m.put("error", r.getString(6));
                m.put("params", SqliteFile.map(r.getString(7)));
                m.put("started_at", r.getString(8));
                m.put("finished_at", r.getString(9));
                long rss = r.getLong(10);
                m.put("rss_mb_after", r.wasNull() ? null : rss);
                m.put("worker", r.getString(11));
                m.put("refused_attempts", r.getInt(12));
                long heap = r.getLong(13);
                m.put("heap_mb_after", r.wasNull() ? null : heap);
                out.add(m);
            }
            return out;
        } catch (SQLException e) {
            throw sql.failed(e);
        }
    }

    private int nextNumber() {
        try (Statement s = db.createStatement()) {
            ResultSet r = s.executeQuery("SELECT COALESCE(MAX(number) + 1, 0) FROM trials");
            r.next();
            return r.getInt(1);
        } catch (SQLException e) {
            throw sql.failed(e);
        }
    }

    @Override
    public synchronized void close() {
        sql.close();
    }
}
