package dev.finetune4j.vision;

import dev.finetune4j.UserError;
import dev.finetune4j.data.CleanResult;
import dev.finetune4j.data.Cleaner;
import dev.finetune4j.data.DropReason;
import dev.finetune4j.data.Example;
import dev.finetune4j.data.Format;
import dev.finetune4j.data.OnBadLine;
import dev.finetune4j.data.RawData;
import dev.finetune4j.data.RawRow;
import dev.finetune4j.data.TabularReader;
import dev.finetune4j.track.Provenance;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;

/**
 * Labelled images as a data key names them: a folder with one sub-folder per class (the class is the
 * sub-folder's name; files deeper down count for it), or a CSV / JSONL file with an image path column
 * (paths relative to the file) and a label column. Every file is decoded once here, in parallel, so
 * that cleaning can drop, by path and reason, a file that is missing, empty, of another kind or
 * damaged, and judge duplicates by their bytes. An example's text is its file's absolute path; its
 * line is the row of the table, or the file's place in the folder's sorted listing.
 */
public final class ImageFiles {
    private ImageFiles() {}

    public static CleanResult read(Path data, Format format, String imageColumn, String labelColumn, OnBadLine onBadLine,
            boolean dropDuplicates, String where) {
        Path base = Files.isDirectory(data) ? data : data.toAbsolutePath().getParent();
        RawData raw = Files.isDirectory(data) ? listFolder(data, where)
                : resolved(TabularReader.read(data, format, imageColumn, labelColumn, onBadLine, where), base);
        Map<String, Inspection> inspected = inspect(raw.rows());
        return Cleaner.clean(raw, dropDuplicates, new Cleaner.Content() {
            @Override
            public DropReason check(Example e) {
                return inspected.get(e.text()).problem();
            }

            @Override
            public String identity(Example e) {
                return inspected.get(e.text()).sha256();
            }

            @Override
            public String name(int line, String text) {
                return shown(text, base);
            }
        });
    }

    /**
     * The images an unlabelled input names, as absolute paths: a folder's files (sorted, hidden ones
     * left out, labels not needed), or a CSV / JSONL file's {@code imageColumn} (paths relative to it).
     */
    public static List<String> listed(Path input, String imageColumn, String where) {
        if (Files.isDirectory(input)) return listFolder(input, where).rows().stream().map(RawRow::text).toList();
        RawData raw = resolved(TabularReader.read(input, Format.AUTO, imageColumn, null, OnBadLine.FAIL, where),
                input.toAbsolutePath().getParent());
        List<String> out = new ArrayList<>();
        for (RawRow r : raw.rows()) {
            if (r.text() == null || r.text().isBlank()) {
                throw new UserError(input + ":" + r.line() + ": no '" + imageColumn + "' value — every row needs an image"
                        + " path (or set --image-column)");
            }
            out.add(r.text());
        }
        return out;
    }

    /** Why the image file at {@code path} cannot be used (missing, empty, another kind, damaged), or null. */
    public static String problem(String path) {
        DropReason r = inspect(path).problem();
        return r == null ? null : r.description();
    }

    /** A path as reports show it: relative to the data folder or file when inside it. */
    public static String shown(String path, Path base) {
        try {
            Path p = Path.of(path);
            Path b = base.toAbsolutePath().normalize();
            return p.startsWith(b) ? b.relativize(p).toString() : path;
        } catch (InvalidPathException e) {
            return path;
        }
    }

    /** What one file is: its problem (null when it decodes) and the digest of its bytes. */
    record Inspection(DropReason problem, String sha256) {}

    private static Map<String, Inspection> inspect(List<RawRow> rows) {
        Map<String, Inspection> out = new ConcurrentHashMap<>();
        rows.parallelStream().map(RawRow::text).filter(t -> t != null && !t.isBlank()).map(String::strip).distinct()
                .forEach(path -> out.put(path, inspect(path)));
        return out;
    }

    static Inspection inspect(String path) {
        byte[] bytes;
        try {
            Path p = Path.of(path);
            if (!Files.isRegularFile(p)) return new Inspection(DropReason.MISSING_FILE, path);
            bytes = Files.readAllBytes(p);
        } catch (InvalidPathException | IOException e) {
            return new Inspection(DropReason.MISSING_FILE, path);
        }
        DecodedImage.Result r = DecodedImage.decode(bytes);
        DropReason problem = r.ok() ? null : switch (r.failure()) {
            case EMPTY -> DropReason.EMPTY_FILE;
            case NOT_AN_IMAGE -> DropReason.NOT_AN_IMAGE;
            case CORRUPT -> DropReason.CORRUPT_IMAGE;
        };
        return new Inspection(problem, Provenance.sha256(bytes));
    }

    /** Rows with the paths resolved against the table's folder. */
    private static RawData resolved(RawData raw, Path base) {
        List<RawRow> rows = new ArrayList<>(raw.rows().size());
        for (RawRow r : raw.rows()) {
            String text = r.text();
            if (text != null && !text.isBlank()) {
                try {
                    text = base.resolve(text.strip()).toAbsolutePath().normalize().toString();
                } catch (InvalidPathException e) {
                    // kept as written: cleaning reports it as a file not found
                }
            }
            rows.add(new RawRow(r.line(), text, r.label()));
        }
        return new RawData(raw.file(), rows, raw.badLines());
    }

    /**
     * Every regular file under the class folders of {@code root}, sorted by path; hidden files (names
     * starting with a dot) are left out, and a file directly in {@code root} has no class (missing label).
     */
    static RawData listFolder(Path root, String where) {
        List<Path> files;
        try (Stream<Path> walk = Files.walk(root)) {
            files = walk.filter(Files::isRegularFile)
                    .filter(p -> !hidden(root.relativize(p)))
                    .sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (UncheckedIOException e) {
            throw new UserError(root + " (" + where + "): cannot list the folder: " + e.getCause().getMessage());
        }
        List<RawRow> rows = new ArrayList<>(files.size());
        int line = 0;
        for (Path f : files) {
            Path relative = root.relativize(f);
            String label = relative.getNameCount() > 1 ? relative.getName(0).toString() : null;
            rows.add(new RawRow(++line, f.toAbsolutePath().normalize().toString(), label));
        }
        if (rows.isEmpty()) {
            throw new UserError(root + " (" + where + ") holds no files: give a folder with one sub-folder of images per"
                    + " class (" + root.getFileName() + "/cat/1.jpg, " + root.getFileName() + "/dog/2.jpg), or a CSV /"
                    + " JSONL file with data.image_column and data.label_column");
        }
        return new RawData(root, rows, List.of());
    }

    private static boolean hidden(Path relative) {
        for (Path part : relative) if (part.toString().startsWith(".")) return true;
        return false;
    }
}
