package dev.finetune4j.track;

import dev.finetune4j.util.AtomicFiles;
import dev.finetune4j.util.Host;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.zip.CRC32C;

/**
 * Writes scalar series as a TensorBoard event file, so runs can be compared in TensorBoard without
 * TensorFlow or a protobuf library on the classpath: the Event protobuf and the TFRecord framing
 * (length, masked CRC32C of the length, data, masked CRC32C of the data) are encoded here by hand.
 *
 * <p>Each call writes one new file, {@code events.out.tfevents.<epoch seconds>.<host>.<pid>.ft4j},
 * atomically. TensorBoard merges every event file of a directory into one run, so export each run
 * into its own directory. {@link TensorBoardEvents#read} reads such files back and checks them.
 */
public final class TensorBoardWriter {
    /** The version TensorBoard expects in the first event of a file. */
    public static final String FILE_VERSION = "brain.Event:2";
    static final String SCALARS_PLUGIN = "scalars";

    // Field numbers from tensorflow/core/util/event.proto and tensorflow/core/framework/summary.proto.
    static final int EVENT_WALL_TIME = 1;
    static final int EVENT_STEP = 2;
    static final int EVENT_FILE_VERSION = 3;
    static final int EVENT_SUMMARY = 5;
    static final int SUMMARY_VALUE = 1;
    static final int VALUE_TAG = 1;
    static final int VALUE_SIMPLE_VALUE = 2;
    static final int VALUE_METADATA = 9;
    static final int METADATA_PLUGIN_DATA = 1;
    static final int PLUGIN_DATA_PLUGIN_NAME = 1;

    static final int VARINT = 0;
    static final int FIXED64 = 1;
    static final int LENGTH_DELIMITED = 2;
    static final int START_GROUP = 3;
    static final int END_GROUP = 4;
    static final int FIXED32 = 5;

    private TensorBoardWriter() {}

    /** One point of a series: {@code tag} (e.g. {@code train/loss}) at {@code step}, logged at a wall time. */
    public record Scalar(String tag, long step, double wallTimeSeconds, float value) {
        public Scalar {
            if (tag == null || tag.isBlank()) throw new IllegalArgumentException("a scalar needs a tag");
        }
    }

    /**
     * Writes {@code scalars} into a new event file in {@code dir} (created if needed) and returns it.
     * Events are ordered by step; scalars sharing a step and wall time go into one event.
     */
    public static Path write(Path dir, List<Scalar> scalars) {
        Path file = dir.resolve(fileName(Instant.now().getEpochSecond(), hostname(), ProcessHandle.current().pid()));
        byte[] content = encode(scalars);
        try {
            AtomicFiles.write(file, ch -> {
                ByteBuffer buf = ByteBuffer.wrap(content);
                while (buf.hasRemaining()) ch.write(buf);
            });
        } catch (IOException e) {
            throw AtomicFiles.writeFailed(file, e);
        }
        return file;
    }

    static String fileName(long epochSeconds, String host, long pid) {
        return "events.out.tfevents." + epochSeconds + "." + host + "." + pid + ".ft4j";
    }

    private static String hostname() {
        String safe = Host.name().replaceAll("[^A-Za-z0-9._-]", "_");
        return safe.isEmpty() ? "localhost" : safe;
    }

    /** The whole file: the file_version event, then the scalar events. */
    static byte[] encode(List<Scalar> scalars) {
        List<Scalar> byStep = new ArrayList<>(scalars);
        byStep.sort(Comparator.comparingLong(Scalar::step)); // stable: keeps the caller's order within a step
        double started = byStep.stream().mapToDouble(Scalar::wallTimeSeconds).min()
                .orElse(System.currentTimeMillis() / 1000.0);

        ByteArrayOutputStream file = new ByteArrayOutputStream();
        Proto header = new Proto().fixed64(EVENT_WALL_TIME, started).string(EVENT_FILE_VERSION, FILE_VERSION);
        file.writeBytes(record(header.bytes()));

        // Like TensorFlow's writer, metadata goes on a tag's first value only; TensorBoard remembers it per tag.
        Set<String> described = new HashSet<>();
        for (int i = 0; i < byStep.size(); ) {
            Scalar first = byStep.get(i);
            Proto summary = new Proto();
            for (; i < byStep.size() && sameEvent(first, byStep.get(i)); i++) {
                Scalar s = byStep.get(i);
                Proto value = new Proto().string(VALUE_TAG, s.tag()).fixed32(VALUE_SIMPLE_VALUE, s.value());
                if (described.add(s.tag())) {
                    Proto pluginData = new Proto().string(PLUGIN_DATA_PLUGIN_NAME, SCALARS_PLUGIN);
                    value.message(VALUE_METADATA, new Proto().message(METADATA_PLUGIN_DATA, pluginData));
                }
                summary.message(SUMMARY_VALUE, value);
            }
            Proto event = new Proto().fixed64(EVENT_WALL_TIME, first.wallTimeSeconds()).varint(EVENT_STEP, first.step())
                    .message(EVENT_SUMMARY, summary);
            file.writeBytes(record(event.bytes()));
        }
        return file.toByteArray();
    }

    private static boolean sameEvent(Scalar a, Scalar b) {
        return a.step() == b.step() && Double.compare(a.wallTimeSeconds(), b.wallTimeSeconds()) == 0;
    }

    /** One TFRecord: uint64 length, masked CRC32C of the length, data, masked CRC32C of the data (little-endian). */
    static byte[] record(byte[] data) {
        ByteBuffer r = ByteBuffer.allocate(8 + 4 + data.length + 4).order(ByteOrder.LITTLE_ENDIAN);
        r.putLong(data.length);
        r.putInt(maskedCrc32c(r.array(), 0, 8));
        r.put(data);
        r.putInt(maskedCrc32c(data, 0, data.length));
        return r.array();
    }

    /** CRC32C, masked as TFRecord does so that a CRC of data that itself holds CRCs stays well distributed. */
    static int maskedCrc32c(byte[] bytes, int offset, int length) {
        CRC32C crc = new CRC32C();
        crc.update(bytes, offset, length);
        int c = (int) crc.getValue();
        return ((c >>> 15) | (c << 17)) + 0xa282ead8;
    }

    /** Just enough of the protobuf wire format to write an Event. */
    static final class Proto {
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();

        Proto varint(int field, long value) {
            key(field, VARINT);
            rawVarint(value);
            return this;
        }

        Proto fixed64(int field, double value) {
            key(field, FIXED64);
            long bits = Double.doubleToRawLongBits(value);
            for (int i = 0; i < 8; i++) out.write((int) (bits >>> (8 * i)));
            return this;
        }

        Proto fixed32(int field, float value) {
            key(field, FIXED32);
            int bits = Float.floatToRawIntBits(value);
            for (int i = 0; i < 4; i++) out.write(bits >>> (8 * i));
            return this;
        }

        Proto string(int field, String value) {
            return bytes(field, value.getBytes(StandardCharsets.UTF_8));
        }

        Proto message(int field, Proto message) {
            return bytes(field, message.bytes());
        }

        Proto bytes(int field, byte[] value) {
            key(field, LENGTH_DELIMITED);
            rawVarint(value.length);
            out.writeBytes(value);
            return this;
        }

        Proto key(int field, int wireType) {
            rawVarint(((long) field << 3) | wireType);
            return this;
        }

        private void rawVarint(long value) {
            while ((value & ~0x7FL) != 0) {
                out.write((int) ((value & 0x7F) | 0x80));
                value >>>= 7;
            }
            out.write((int) value);
        }

        byte[] bytes() {
            return out.toByteArray();
        }
    }
}
