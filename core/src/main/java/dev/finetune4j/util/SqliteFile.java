package dev.finetune4j.util;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.finetune4j.UserError;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One SQLite file that several processes share (the study and run stores): WAL mode, a busy
 * timeout instead of "database is locked", statements run with arguments, JSON columns, and errors
 * that name the file (and say when the disk is full).
 */
public final class SqliteFile implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Connection db;
    private final Path file;
    private final String what;

    /**
     * @param what how errors name it, e.g. {@code the run store}
     * @param synchronous {@code FULL} (every commit survives power loss) or {@code NORMAL} (WAL: the
     *     last commits may be lost, the file is never corrupted)
     * @param schema statements run once the file is open ({@code CREATE TABLE IF NOT EXISTS ...})
     */
    public SqliteFile(Path file, String what, String synchronous, int busyMillis, String... schema) {
        this.file = file;
        this.what = what;
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
            db = DriverManager.getConnection("jdbc:sqlite:" + file.toAbsolutePath());
            try (Statement s = db.createStatement()) {
                s.execute("PRAGMA journal_mode=WAL");
                s.execute("PRAGMA busy_timeout=" + busyMillis);
                s.execute("PRAGMA synchronous=" + synchronous);
                for (String sql : schema) s.execute(sql);
            }
        } catch (SQLException | java.io.IOException e) {
            throw new UserError("cannot open " + what + " " + file + ": " + e.getMessage(), e);
        }
    }

    public Path file() {
        return file;
    }

    public Connection connection() {
        return db;
    }

    /** Adds a column to a table made by an earlier version, unless it is there. */
    public void addColumnIfMissing(String table, String column) {
        try (Statement s = db.createStatement()) {
            s.execute("ALTER TABLE " + table + " ADD COLUMN " + column);
        } catch (SQLException e) {
            if (!String.valueOf(e.getMessage()).contains("duplicate column")) throw failed(e);
        }
    }

    /** Runs an insert, update or delete with {@code args} bound in order; returns the rows changed. */
    public int update(String sql, Object... args) {
        try (PreparedStatement p = db.prepareStatement(sql)) {
            for (int i = 0; i < args.length; i++) p.setObject(i + 1, args[i]);
            return p.executeUpdate();
        } catch (SQLException e) {
            throw failed(e);
        }
    }

    public UserError failed(SQLException e) {
        return new UserError(what + " " + file + " failed: " + e.getMessage()
                + (String.valueOf(e.getMessage()).contains("full") ? " (is the disk full?)" : ""), e);
    }

    /** A map as a JSON column value (null stays null). */
    public static String json(Map<String, Object> m) {
        if (m == null) return null;
        try {
            return JSON.writeValueAsString(m);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** A JSON column value as a map, keys in their stored order (null stays null). */
    public static Map<String, Object> map(String json) {
        if (json == null) return null;
        try {
            return JSON.readValue(json, new TypeReference<LinkedHashMap<String, Object>>() {});
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        try {
            db.close();
        } catch (SQLException ignored) {
            // closing: nothing left to save
        }
    }
}
