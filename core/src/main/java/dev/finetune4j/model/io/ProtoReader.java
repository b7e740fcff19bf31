package dev.finetune4j.model.io;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * A minimal reader for the protobuf wire format (no code generation): walks the fields of one
 * message held in a {@link ByteBuffer} slice. Length-delimited fields come back as zero-copy slices.
 */
final class ProtoReader {
    static final int VARINT = 0, FIXED64 = 1, LEN = 2, FIXED32 = 5;

    /** Thrown on malformed input; callers turn it into a UserError that names the file. */
    static final class MalformedException extends RuntimeException {
        MalformedException(String message) {
            super(message);
        }
    }

    private final ByteBuffer buf;
    private int field;
    private int wireType;

    ProtoReader(ByteBuffer message) {
        this.buf = message.slice().order(ByteOrder.LITTLE_ENDIAN);
    }

    /** Advances to the next field; false at the end of the message. */
    boolean next() {
        if (!buf.hasRemaining()) return false;
        long tag = readVarint();
        field = (int) (tag >>> 3);
        wireType = (int) (tag & 7);
        if (field <= 0) throw new MalformedException("invalid field number " + field + " at byte " + buf.position());
        return true;
    }

    int field() {
        return field;
    }

    int wireType() {
        return wireType;
    }

    long readVarint() {
        long result = 0;
        for (int shift = 0; shift < 64; shift += 7) {
            if (!buf.hasRemaining()) throw new MalformedException("truncated varint");
            byte b = buf.get();
            result |= (long) (b & 0x7F) << shift;
            if ((b & 0x80) == 0) return result;
        }
        throw new MalformedException("varint longer than 10 bytes");
    }

    long readFixed64() {
        need(8);
        return buf.getLong();
    }

    int readFixed32() {
        need(4);
        return buf.getInt();
    }

    float readFloat() {
        return Float.intBitsToFloat(readFixed32());
    }

    /** The payload of a length-delimited field, as a little-endian zero-copy slice. */
    ByteBuffer readBytes() {
        long len = readVarint();
        if (len < 0 || len > buf.remaining()) {
            throw new MalformedException("length-delimited field " + field + " of " + len
                    + " bytes runs past the end of its message (" + buf.remaining() + " bytes left)");
        }
        ByteBuffer slice = buf.slice().limit((int) len).order(ByteOrder.LITTLE_ENDIAN);
        buf.position(buf.position() + (int) len);
        return slice;
    }

    String readString() {
        ByteBuffer b = readBytes();
        byte[] bytes = new byte[b.remaining()];
        b.get(bytes);
        return new String(bytes, StandardCharsets.UTF_8);
    }

    /** Reads a repeated int64/int32 field that may be packed (LEN) or one value per tag (VARINT). */
    void readInt64s(LongList out) {
        if (wireType == LEN) {
            ProtoReader packed = new ProtoReader(readBytes());
            while (packed.buf.hasRemaining()) out.add(packed.readVarint());
        } else if (wireType == VARINT) {
            out.add(readVarint());
        } else {
            throw new MalformedException("field " + field + ": expected varint, got wire type " + wireType);
        }
    }

    /** Reads a repeated float field that may be packed (LEN) or one value per tag (FIXED32). */
    void readFloats(FloatList out) {
        if (wireType == LEN) {
            ByteBuffer b = readBytes();
            if (b.remaining() % 4 != 0) throw new MalformedException("packed floats not a multiple of 4 bytes");
            while (b.hasRemaining()) out.add(b.getFloat());
        } else if (wireType == FIXED32) {
            out.add(readFloat());
        } else {
            throw new MalformedException("field " + field + ": expected float, got wire type " + wireType);
        }
    }

    /** Reads a repeated double field that may be packed (LEN) or one value per tag (FIXED64). */
    void readDoubles(FloatList out) {
        if (wireType == LEN) {
            ByteBuffer b = readBytes();
            if (b.remaining() % 8 != 0) throw new MalformedException("packed doubles not a multiple of 8 bytes");
            while (b.hasRemaining()) out.add((float) b.getDouble());
        } else if (wireType == FIXED64) {
            out.add((float) Double.longBitsToDouble(readFixed64()));
        } else {
            throw new MalformedException("field " + field + ": expected double, got wire type " + wireType);
        }
    }

    void skip() {
        switch (wireType) {
            case VARINT -> readVarint();
            case FIXED64 -> skipBytes(8);
            case LEN -> readBytes();
            case FIXED32 -> skipBytes(4);
            default -> throw new MalformedException("unsupported wire type " + wireType + " (field " + field + ")");
        }
    }

    private void skipBytes(int n) {
        need(n);
        buf.position(buf.position() + n);
    }

    private void need(int n) {
        if (buf.remaining() < n) throw new MalformedException("truncated field " + field);
    }

    /** A growable long array. */
    static final class LongList {
        long[] a = new long[8];
        int n;

        void add(long v) {
            if (n == a.length) a = java.util.Arrays.copyOf(a, n * 2);
            a[n++] = v;
        }

        long[] toArray() {
            return java.util.Arrays.copyOf(a, n);
        }
    }

    /** A growable float array. */
    static final class FloatList {
        float[] a = new float[8];
        int n;

        void add(float v) {
            if (n == a.length) a = java.util.Arrays.copyOf(a, n * 2);
            a[n++] = v;
        }

        float[] toArray() {
            return java.util.Arrays.copyOf(a, n);
        }
    }
}
