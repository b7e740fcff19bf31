/*
 * Curates examples/fashion/{train,test}/<class>/<index>.png from Fashion-MNIST (Zalando Research,
 * MIT) as Debian's package dataset-fashion-mnist ships it (/usr/share/datasets/fashion-mnist:
 * train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz, t10k-labels-idx1-ubyte.gz).
 *
 * Usage (Java 17+, no dependencies):
 *
 *   java examples/fashion/curate/Curate.java /usr/share/datasets/fashion-mnist examples/fashion
 *
 * Per class, 300 images of the official training set and 100 of the test set, drawn by a seeded
 * shuffle of the class's indices (java.util.Random(13)), skipping any image whose pixels equal one
 * already taken (in either subset). Each file is named by its index in the source file, so that it
 * traces back; PNGs are 8-bit grayscale written here (zlib level 9, no metadata), so that a rerun
 * gives the same bytes on any JDK. Prints the counts and a SHA-256 over the sorted paths and bytes.
 */

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.stream.Stream;
import java.util.zip.CRC32;
import java.util.zip.Deflater;
import java.util.zip.GZIPInputStream;

public class Curate {
    static final String[] CLASSES = {"t-shirt", "trouser", "pullover", "dress", "coat", "sandal", "shirt", "sneaker", "bag",
            "ankle-boot"};
    static final int TRAIN_PER_CLASS = 300;
    static final int TEST_PER_CLASS = 100;
    static final long SEED = 13;
    static final int SIDE = 28;

    public static void main(String[] args) throws Exception {
        if (args.length != 2) {
            System.err.println("usage: java Curate.java <folder with the Fashion-MNIST .gz files> <out folder>");
            System.exit(2);
        }
        Path in = Path.of(args[0]), out = Path.of(args[1]);
        Set<String> taken = new HashSet<>();
        int duplicates = 0;
        for (String split : new String[] {"train", "test"}) {
            Path dir = out.resolve(split);
            if (Files.isDirectory(dir)) deleteTree(dir);
            String prefix = split.equals("train") ? "train" : "t10k";
            byte[] images = idx(in.resolve(prefix + "-images-idx3-ubyte.gz"), 2051, 16);
            byte[] labels = idx(in.resolve(prefix + "-labels-idx1-ubyte.gz"), 2049, 8);
            int per = split.equals("train") ? TRAIN_PER_CLASS : TEST_PER_CLASS;
            Random random = new Random(SEED);
            for (int c = 0; c < CLASSES.length; c++) {
                List<Integer> indices = new ArrayList<>();
                for (int i = 0; i < labels.length; i++) if (labels[i] == c) indices.add(i);
                Collections.shuffle(indices, random);
                List<Integer> chosen = new ArrayList<>();
                for (int i : indices) {
                    if (chosen.size() == per) break;
                    byte[] px = java.util.Arrays.copyOfRange(images, i * SIDE * SIDE, (i + 1) * SIDE * SIDE);
                    if (!taken.add(HexFormat.of().formatHex(px))) {
                        duplicates++;
                        continue;
                    }
                    chosen.add(i);
                }
                Collections.sort(chosen);
                Path classDir = dir.resolve(CLASSES[c]);
                Files.createDirectories(classDir);
                for (int i : chosen) {
                    Files.write(classDir.resolve(String.format("%05d.png", i)),
                            png(java.util.Arrays.copyOfRange(images, i * SIDE * SIDE, (i + 1) * SIDE * SIDE)));
                }
            }
        }
        MessageDigest digest = MessageDigest.getInstance("SHA-256");
        List<Path> files;
        try (Stream<Path> walk = Files.walk(out)) {
            files = walk.filter(p -> p.toString().endsWith(".png"))
                    .filter(p -> out.relativize(p).getName(0).toString().matches("train|test"))
                    .sorted(Comparator.comparing(p -> out.relativize(p).toString())).toList();
        }
        long bytes = 0;
        for (Path f : files) {
            byte[] b = Files.readAllBytes(f);
            bytes += b.length;
            digest.update(out.relativize(f).toString().replace('\\', '/').getBytes(java.nio.charset.StandardCharsets.UTF_8));
            digest.update((byte) 0);
            digest.update(b);
        }
        System.out.printf("wrote %d images (%d train, %d test; %,d bytes), skipped %d duplicate images%n", files.size(),
                TRAIN_PER_CLASS * CLASSES.length, TEST_PER_CLASS * CLASSES.length, bytes, duplicates);
        System.out.println("sha256 " + HexFormat.of().formatHex(digest.digest()));
    }

    /** The payload of a gzipped IDX file after its header, checking the magic number. */
    static byte[] idx(Path file, int magic, int header) throws IOException {
        try (InputStream in = new GZIPInputStream(Files.newInputStream(file))) {
            byte[] all = in.readAllBytes();
            int m = ByteBuffer.wrap(all, 0, 4).getInt();
            if (m != magic) throw new IOException(file + ": magic " + m + ", expected " + magic);
            return java.util.Arrays.copyOfRange(all, header, all.length);
        }
    }

    /** An 8-bit grayscale PNG of a 28x28 image: IHDR, one IDAT (filter 0 per row), IEND. */
    static byte[] png(byte[] pixels) throws IOException {
        ByteArrayOutputStream raw = new ByteArrayOutputStream();
        for (int y = 0; y < SIDE; y++) {
            raw.write(0);
            raw.write(pixels, y * SIDE, SIDE);
        }
        Deflater deflater = new Deflater(9);
        deflater.setInput(raw.toByteArray());
        deflater.finish();
        ByteArrayOutputStream z = new ByteArrayOutputStream();
        byte[] buf = new byte[4096];
        while (!deflater.finished()) z.write(buf, 0, deflater.deflate(buf));
        deflater.end();
        ByteArrayOutputStream png = new ByteArrayOutputStream();
        png.write(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'});
        chunk(png, "IHDR", ByteBuffer.allocate(13).putInt(SIDE).putInt(SIDE).put((byte) 8).put((byte) 0).put((byte) 0)
                .put((byte) 0).put((byte) 0).array());
        chunk(png, "IDAT", z.toByteArray());
        chunk(png, "IEND", new byte[0]);
        return png.toByteArray();
    }

    static void chunk(ByteArrayOutputStream out, String type, byte[] data) throws IOException {
        byte[] t = type.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        out.write(ByteBuffer.allocate(4).putInt(data.length).array());
        out.write(t);
        out.write(data);
        CRC32 crc = new CRC32();
        crc.update(t);
        crc.update(data);
        out.write(ByteBuffer.allocate(4).putInt((int) crc.getValue()).array());
    }

    static void deleteTree(Path dir) throws IOException {
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) Files.delete(p);
        }
    }
}
