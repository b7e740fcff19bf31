package dev.finetune4j.util;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.finetune4j.UserError;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/**
 * Writes a file so that readers see either the old content or the complete new content: data goes
 * to a temporary file in the same directory, is forced to disk, then renamed over the target.
 */
public final class AtomicFiles {
    public static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    public static final ObjectMapper JSON_COMPACT = new ObjectMapper();

    private AtomicFiles() {}

    /** Writes JSON atomically; a failure becomes a UserError naming the file (disk full, permissions). */
    public static void writeJson(Path target, Object value) {
        try {
            writeBytes(target, JSON.writeValueAsBytes(value));
        } catch (IOException e) {
            throw writeFailed(target, e);
        }
    }

    public static void writeString(Path target, String content) {
        try {
            writeBytes(target, content.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw writeFailed(target, e);
        }
    }

    public static void copy(Path source, Path target) {
        try {
            writeStream(target, out -> Files.copy(source, out));
        } catch (IOException e) {
            throw writeFailed(target, e);
        }
    }

    /** A fresh, empty directory beside {@code target} in which to stage a directory's files. */
    public static Path stagingDirectory(Path target) {
        Path abs = target.toAbsolutePath();
        try {
            Files.createDirectories(abs.getParent());
            Path dir = Files.createTempDirectory(abs.getParent(), "." + abs.getFileName() + ".");
            readableByAll(dir, true);
            return dir;
        } catch (IOException e) {
            throw writeFailed(target, e);
        }
    }

    /**
     * Puts the fully written {@code staged} directory in place of {@code target}: an existing
     * target is moved aside first and deleted only once the new one is in place.
     */
    public static void replaceDirectory(Path staged, Path target) {
        Path abs = target.toAbsolutePath();
        try {
            Path old = null;
            if (Files.exists(abs)) {
                old = Files.createTempDirectory(abs.getParent(), "." + abs.getFileName() + ".old.");
                Files.delete(old);
                Files.move(abs, old, StandardCopyOption.ATOMIC_MOVE);
            }
            Files.move(staged, abs, StandardCopyOption.ATOMIC_MOVE);
            fsyncDirectory(abs.getParent());
            if (old != null) deleteRecursively(old);
        } catch (IOException e) {
            throw writeFailed(target, e);
        }
    }

    public static void deleteRecursively(Path dir) {
        if (!Files.exists(dir)) return;
        try (java.util.stream.Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** The user-facing error for a failed write: what, why, and that nothing was left half-written. */
    public static UserError writeFailed(Path target, IOException e) {
        String msg = String.valueOf(e.getMessage());
        String why = msg.contains("No space left") ? "the disk is full"
                : e instanceof java.nio.file.AccessDeniedException ? "permission denied"
                : e.getClass().getSimpleName() + ": " + msg;
        return new UserError("cannot write " + target.toAbsolutePath() + " (" + why
                + ") — free space or choose another --output; no half-written file was left behind", e);
    }

    /** What produces the file's content; gets a channel positioned at 0. */
    @FunctionalInterface
    public interface Writer {
        void write(FileChannel channel) throws IOException;
    }

    public static void write(Path target, Writer writer) throws IOException {
        Path abs = target.toAbsolutePath();
        Path dir = abs.getParent();
        Files.createDirectories(dir);
        Path tmp = Files.createTempFile(dir, "." + abs.getFileName() + ".", ".tmp");
        readableByAll(tmp, false);
        boolean done = false;
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
                writer.write(ch);
                ch.force(true);
            }
            try {
                Files.move(tmp, abs, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, abs, StandardCopyOption.REPLACE_EXISTING);
            }
            done = true;
            fsyncDirectory(dir);
        } finally {
            if (!done) Files.deleteIfExists(tmp);
        }
    }

    /** Convenience for stream-shaped content (JSON, copies). */
    public static void writeStream(Path target, StreamWriter writer) throws IOException {
        write(target, ch -> {
            OutputStream out = Channels.newOutputStream(ch);
            writer.write(out);
            out.flush();
        });
    }

    @FunctionalInterface
    public interface StreamWriter {
        void write(OutputStream out) throws IOException;
    }

    public static void writeBytes(Path target, byte[] bytes) throws IOException {
        writeStream(target, out -> out.write(bytes));
    }

    /** Temporary files are created owner-only; what we publish is meant to be shared like any output. */
    private static void readableByAll(Path p, boolean directory) throws IOException {
        if (Files.getFileStore(p).supportsFileAttributeView("posix")) {
            Files.setPosixFilePermissions(p, java.nio.file.attribute.PosixFilePermissions.fromString(
                    directory ? "rwxr-xr-x" : "rw-r--r--"));
        }
    }

    /** Makes renames inside {@code dir} durable (best effort). */
    public static void fsyncDirectory(Path dir) {
        // Makes the rename durable on POSIX file systems; not possible everywhere (e.g. Windows).
        try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
            d.force(true);
        } catch (IOException | UnsupportedOperationException ignored) {
            // best effort
        }
    }
}
