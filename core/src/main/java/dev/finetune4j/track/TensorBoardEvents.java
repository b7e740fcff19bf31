package dev.finetune4j.track;

import static dev.finetune4j.track.TensorBoardWriter.END_GROUP;
import static dev.finetune4j.track.TensorBoardWriter.FIXED32;
import static dev.finetune4j.track.TensorBoardWriter.FIXED64;
import static dev.finetune4j.track.TensorBoardWriter.LENGTH_DELIMITED;
import static dev.finetune4j.track.TensorBoardWriter.START_GROUP;
import static dev.finetune4j.track.TensorBoardWriter.VARINT;

import dev.finetune4j.UserError;
import dev.finetune4j.track.TensorBoardWriter.Scalar;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads a TensorBoard event file back, to check what {@link TensorBoardWriter} (or TensorFlow,
 * PyTorch, TensorBoard itself) wrote: every record's length and data checksums are verified and
 * each Event is decoded. Fields this reader does not know (graphs, images, tensors) are skipped by
 * wire type; values other than {@code simple_value} scalars are left out.
 *
 * <p>Records are counted from 0 (the file_version record) in error messages.
 */
public final class TensorBoardEvents {
    private TensorBoardEvents() {}

    /** One Event; {@code fileVersion} is empty unless this is the event that starts a file. */
    public record Event(double wallTime, long step, String fileVersion, List<Value> values) {
        public Event {
            values = List.copyOf(values);
        }

        /** This event's values as scalars, with its step and wall time. */
        public List<Scalar> scalars() {
            return values.stream().map(v -> new Scalar(v.tag(), step, wallTime, v.simpleValue())).toList();
        }
    }

    /** A {@code simple_value} summary value; {@code pluginName} is empty when the value carries no metadata. */
    public record Value(String tag, float simpleValue, String pluginName) {}

    /** Every event of {@code file}, in order; a damaged or truncated file is a UserError saying where. */
    public static List<Event> read(Path file) {
        List<Event> events = new ArrayList<>();
        try (InputStream in = new BufferedInputStream(Files.newInputStream(file))) {
            long size = Files.size(file);
            long offset = 0;
            for (int index = 0; offset < size; index++) {
                byte[] header = readFully(in, 12, file, index, offset, size);
                if (maskedCrc(header, 0, 8) != littleEndianInt(header, 8)) {
                    throw damaged(file, index, offset, "its length checksum does not match");
                }
                long length = ByteBuffer.wrap(header, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
                if (length < 0 || length > Integer.MAX_VALUE - 4) {
                    throw damaged(file, index, offset, "it claims " + Long.toUnsignedString(length) + " bytes of data");
                }
                byte[] body = readFully(in, (int) length + 4, file, index, offset, size);
                if (maskedCrc(body, 0, (int) length) != littleEndianInt(body, (int) length)) {
                    throw damaged(file, index, offset, "its data checksum does not match");
                }
                try {
                    events.add(event(new Decoder(body, 0, (int) length)));
                } catch (MalformedException e) {
                    throw damaged(file, index, offset, "its data is not an Event protobuf (" + e.getMessage() + ")");
                }
                offset += 12 + length + 4;
            }
        } catch (IOException e) {
            throw new UserError("cannot read the event file " + file + ": " + e.getMessage(), e);
        }
        return events;
    }

    private static byte[] readFully(InputStream in, int n, Path file, int index, long recordOffset, long size)
            throws IOException {
        byte[] b = in.readNBytes(n);
        if (b.length < n) {
            throw new UserError("the event file " + file + " is truncated: record " + index + " at byte " + recordOffset
                    + " runs past the end of the file (" + size + " bytes)");
        }
        return b;
    }

    private static UserError damaged(Path file, int index, long offset, String why) {
        return new UserError("the event file " + file + " is damaged: record " + index + " at byte " + offset
                + " is unreadable (" + why + ")");
    }

    private static int maskedCrc(byte[] b, int off, int len) {
        return TensorBoardWriter.maskedCrc32c(b, off, len);
    }

    private static int littleEndianInt(byte[] b, int off) {
        return ByteBuffer.wrap(b, off, 4).order(ByteOrder.LITTLE_ENDIAN).getInt();
    }

    private static Event event(Decoder d) {
        double wallTime = 0;
        long step = 0;
        String fileVersion = "";
        List<Value> values = new ArrayList<>();
        while (d.hasMore()) {
            long key = d.varint();
            int field = (int) (key >>> 3);
            int wireType = (int) (key & 7);
            if (field == TensorBoardWriter.EVENT_WALL_TIME && wireType == FIXED64) {
                wallTime = Double.longBitsToDouble(d.fixed64());
            } else if (field == TensorBoardWriter.EVENT_STEP && wireType == VARINT) {
                step = d.varint();
            } else if (field == TensorBoardWriter.EVENT_FILE_VERSION && wireType == LENGTH_DELIMITED) {
                fileVersion = d.string();
            } else if (field == TensorBoardWriter.EVENT_SUMMARY && wireType == LENGTH_DELIMITED) {
                Decoder summary = d.message();
                while (summary.hasMore()) {
                    long k = summary.varint();
                    if ((k >>> 3) == TensorBoardWriter.SUMMARY_VALUE && (k & 7) == LENGTH_DELIMITED) {
                        Value v = value(summary.message());
                        if (v != null) values.add(v);
                    } else {
                        summary.skip(k);
                    }
                }
            } else {
                d.skip(key);
            }
        }
        return new Event(wallTime, step, fileVersion, values);
    }

    /** The value, or null when it is not a simple_value scalar. */
    private static Value value(Decoder d) {
        String tag = "";
        Float simple = null;
        String plugin = "";
        while (d.hasMore()) {
            long key = d.varint();
            int field = (int) (key >>> 3);
            int wireType = (int) (key & 7);
            if (field == TensorBoardWriter.VALUE_TAG && wireType == LENGTH_DELIMITED) {
                tag = d.string();
            } else if (field == TensorBoardWriter.VALUE_SIMPLE_VALUE && wireType == FIXED32) {
                simple = Float.intBitsToFloat(d.fixed32());
            } else if (field == TensorBoardWriter.VALUE_METADATA && wireType == LENGTH_DELIMITED) {
                Decoder pluginData = Decoder.lastField(d.message(), TensorBoardWriter.METADATA_PLUGIN_DATA);
                Decoder name = pluginData == null ? null
                        : Decoder.lastField(pluginData, TensorBoardWriter.PLUGIN_DATA_PLUGIN_NAME);
                if (name != null) plugin = name.rest();
            } else {
                d.skip(key);
            }
        }
        return simple == null ? null : new Value(tag, simple, plugin);
    }

    private static final class MalformedException extends RuntimeException {
        MalformedException(String message) {
            super(message, null, false, false);
        }
    }

    /** Reads protobuf wire format from {@code bytes[pos, limit)}; running past the limit is malformed. */
    private static final class Decoder {
        private final byte[] bytes;
        private int pos;
        private final int limit;

        Decoder(byte[] bytes, int pos, int limit) {
            this.bytes = bytes;
            this.pos = pos;
            this.limit = limit;
        }

        boolean hasMore() {
            return pos < limit;
        }

        long varint() {
            long result = 0;
            for (int shift = 0; shift < 64; shift += 7) {
                need(1);
                byte b = bytes[pos++];
                result |= (long) (b & 0x7F) << shift;
                if (b >= 0) return result;
            }
            throw new MalformedException("a varint longer than 10 bytes at byte " + pos);
        }

        long fixed64() {
            need(8);
            long v = ByteBuffer.wrap(bytes, pos, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
            pos += 8;
            return v;
        }

        int fixed32() {
            need(4);
            int v = ByteBuffer.wrap(bytes, pos, 4).order(ByteOrder.LITTLE_ENDIAN).getInt();
            pos += 4;
            return v;
        }

        Decoder message() {
            long length = varint();
            if (length < 0 || length > limit - pos) {
                throw new MalformedException("a field of " + length + " bytes with " + (limit - pos) + " left");
            }
            Decoder m = new Decoder(bytes, pos, pos + (int) length);
            pos += (int) length;
            return m;
        }

        String string() {
            return message().rest();
        }

        /** What is left of this (sub)message as UTF-8 text. */
        String rest() {
            String s = new String(bytes, pos, limit - pos, StandardCharsets.UTF_8);
            pos = limit;
            return s;
        }

        /** The last length-delimited {@code field} in {@code m} (proto3: the last one wins), or null. */
        static Decoder lastField(Decoder m, int field) {
            Decoder found = null;
            while (m.hasMore()) {
                long key = m.varint();
                if ((key >>> 3) == field && (key & 7) == LENGTH_DELIMITED) found = m.message();
                else m.skip(key);
            }
            return found;
        }

        /** Skips the value of a field we do not read, whatever its wire type. */
        void skip(long key) {
            switch ((int) (key & 7)) {
                case VARINT -> varint();
                case FIXED64 -> advance(8);
                case LENGTH_DELIMITED -> message();
                case FIXED32 -> advance(4);
                case START_GROUP -> {
                    long end = ((key >>> 3) << 3) | END_GROUP;
                    while (true) {
                        long k = varint();
                        if (k == end) break;
                        skip(k);
                    }
                }
                default -> throw new MalformedException("wire type " + (key & 7) + " at byte " + pos);
            }
        }

        private void advance(int n) {
            need(n);
            pos += n;
        }

        private void need(int n) {
            if (limit - pos < n) throw new MalformedException("a field runs past its message at byte " + pos);
        }
    }
}
