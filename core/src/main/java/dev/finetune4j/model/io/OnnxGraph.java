package dev.finetune4j.model.io;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The parts of an ONNX {@code ModelProto} that weight import needs: the graph's nodes and its
 * initializers, parsed straight from the protobuf wire format. Tensor payloads stay zero-copy
 * slices of the mapped file until {@link Tensor#toFloats()} / {@link Tensor#toLongs()}.
 */
final class OnnxGraph {
    static final int FLOAT = 1, INT32 = 6, INT64 = 7, FLOAT16 = 10, DOUBLE = 11, BFLOAT16 = 16;

    /** Data stored outside the .onnx file (TensorProto.data_location = EXTERNAL). */
    static final class ExternalDataException extends RuntimeException {
        ExternalDataException(String tensor) {
            super(tensor);
        }
    }

    record Tensor(String name, int dataType, long[] dims, ByteBuffer raw, float[] floatData, long[] int64Data,
            long[] int32Data, float[] doubleData) {

        long numel() {
            long n = 1;
            for (long d : dims) n *= d;
            return n;
        }

        float[] toFloats() {
            long n = numel();
            if (n > Integer.MAX_VALUE - 8) throw new ProtoReader.MalformedException("tensor " + name + " too large");
            float[] out = new float[(int) n];
            ByteBuffer r = raw == null ? null : raw.duplicate().order(ByteOrder.LITTLE_ENDIAN);
            switch (dataType) {
                case FLOAT -> {
                    if (r != null) {
                        check(r.remaining(), n * 4);
                        r.asFloatBuffer().get(out);
                    } else {
                        check(floatData.length, n);
                        System.arraycopy(floatData, 0, out, 0, out.length);
                    }
                }
                case DOUBLE -> {
                    if (r != null) {
                        check(r.remaining(), n * 8);
                        for (int i = 0; i < out.length; i++) out[i] = (float) r.getDouble();
                    } else {
                        check(doubleData.length, n);
                        System.arraycopy(doubleData, 0, out, 0, out.length);
                    }
                }
                case FLOAT16, BFLOAT16 -> {
                    boolean bf = dataType == BFLOAT16;
                    if (r != null) {
                        check(r.remaining(), n * 2);
                        for (int i = 0; i < out.length; i++) {
                            short s = r.getShort();
                            out[i] = bf ? HalfFloats.bf16ToFloat(s) : HalfFloats.f16ToFloat(s);
                        }
                    } else {
                        check(int32Data.length, n);
                        for (int i = 0; i < out.length; i++) {
                            short s = (short) int32Data[i];
                            out[i] = bf ? HalfFloats.bf16ToFloat(s) : HalfFloats.f16ToFloat(s);
                        }
                    }
                }
                case INT64, INT32 -> {
                    long[] l = toLongs();
                    for (int i = 0; i < out.length; i++) out[i] = l[i];
                }
                default -> throw new ProtoReader.MalformedException(
                        "tensor " + name + " has unsupported ONNX data_type " + dataType);
            }
            return out;
        }

        long[] toLongs() {
            long n = numel();
            long[] out = new long[(int) n];
            ByteBuffer r = raw == null ? null : raw.duplicate().order(ByteOrder.LITTLE_ENDIAN);
            switch (dataType) {
                case INT64 -> {
                    if (r != null) {
                        check(r.remaining(), n * 8);
                        r.asLongBuffer().get(out);
                    } else {
                        check(int64Data.length, n);
                        System.arraycopy(int64Data, 0, out, 0, out.length);
                    }
                }
                case INT32 -> {
                    if (r != null) {
                        check(r.remaining(), n * 4);
                        for (int i = 0; i < out.length; i++) out[i] = r.getInt();
                    } else {
                        check(int32Data.length, n);
                        System.arraycopy(int32Data, 0, out, 0, out.length);
                    }
                }
                default -> {
                    float[] f = toFloats();
                    for (int i = 0; i < out.length; i++) out[i] = (long) f[i];
                }
            }
            return out;
        }

        private void check(long have, long need) {
            if (have != need) {
                throw new ProtoReader.MalformedException("tensor " + name + " " + Arrays.toString(dims)
                        + " has " + have + " data units, expected " + need);
            }
        }

        boolean isFloating() {
            return dataType == FLOAT || dataType == FLOAT16 || dataType == DOUBLE || dataType == BFLOAT16;
        }
    }

    record Attribute(String name, int type, float f, long i, long[] ints, Tensor t) {}

    record Node(String name, String opType, List<String> inputs, List<String> outputs, Map<String, Attribute> attributes) {}

    final List<Node> nodes = new ArrayList<>();
    final Map<String, Tensor> initializers = new LinkedHashMap<>();

    static OnnxGraph parseModel(ByteBuffer model) {
        OnnxGraph g = new OnnxGraph();
        ProtoReader r = new ProtoReader(model);
        boolean sawGraph = false;
        while (r.next()) {
            if (r.field() == 7 && r.wireType() == ProtoReader.LEN) {
                g.parseGraph(r.readBytes());
                sawGraph = true;
            } else {
                r.skip();
            }
        }
        if (!sawGraph) throw new ProtoReader.MalformedException("no graph (ModelProto field 7) found");
        return g;
    }

    private void parseGraph(ByteBuffer b) {
        ProtoReader r = new ProtoReader(b);
        while (r.next()) {
            if (r.wireType() != ProtoReader.LEN) {
                r.skip();
                continue;
            }
            switch (r.field()) {
                case 1 -> nodes.add(parseNode(r.readBytes()));
                case 5 -> {
                    Tensor t = parseTensor(r.readBytes());
                    initializers.put(t.name(), t);
                }
                default -> r.skip();
            }
        }
    }

    private static Node parseNode(ByteBuffer b) {
        ProtoReader r = new ProtoReader(b);
        List<String> in = new ArrayList<>(), out = new ArrayList<>();
        String name = "", op = "";
        Map<String, Attribute> attrs = new LinkedHashMap<>();
        while (r.next()) {
            if (r.wireType() != ProtoReader.LEN) {
                r.skip();
                continue;
            }
            switch (r.field()) {
                case 1 -> in.add(r.readString());
                case 2 -> out.add(r.readString());
                case 3 -> name = r.readString();
                case 4 -> op = r.readString();
                case 5 -> {
                    Attribute a = parseAttribute(r.readBytes());
                    attrs.put(a.name(), a);
                }
                default -> r.skip();
            }
        }
        return new Node(name, op, in, out, attrs);
    }

    private static Attribute parseAttribute(ByteBuffer b) {
        ProtoReader r = new ProtoReader(b);
        String name = "";
        int type = 0;
        float f = 0;
        long i = 0;
        ProtoReader.LongList ints = new ProtoReader.LongList();
        Tensor t = null;
        while (r.next()) {
            switch (r.field()) {
                case 1 -> name = r.readString();
                case 2 -> f = r.wireType() == ProtoReader.FIXED32 ? r.readFloat() : skipZero(r);
                case 3 -> i = r.wireType() == ProtoReader.VARINT ? r.readVarint() : (long) skipZero(r);
                case 5 -> {
                    if (r.wireType() == ProtoReader.LEN) t = parseTensor(r.readBytes());
                    else r.skip();
                }
                case 8 -> r.readInt64s(ints);
                case 20 -> type = r.wireType() == ProtoReader.VARINT ? (int) r.readVarint() : (int) skipZero(r);
                default -> r.skip();
            }
        }
        return new Attribute(name, type, f, i, ints.toArray(), t);
    }

    private static float skipZero(ProtoReader r) {
        r.skip();
        return 0;
    }

    static Tensor parseTensor(ByteBuffer b) {
        ProtoReader r = new ProtoReader(b);
        ProtoReader.LongList dims = new ProtoReader.LongList();
        ProtoReader.LongList int64 = new ProtoReader.LongList();
        ProtoReader.LongList int32 = new ProtoReader.LongList();
        ProtoReader.FloatList floats = new ProtoReader.FloatList();
        ProtoReader.FloatList doubles = new ProtoReader.FloatList();
        int dataType = 0;
        int location = 0;
        String name = "";
        ByteBuffer raw = null;
        while (r.next()) {
            switch (r.field()) {
                case 1 -> r.readInt64s(dims);
                case 2 -> dataType = (int) r.readVarint();
                case 4 -> r.readFloats(floats);
                case 5 -> r.readInt64s(int32);
                case 7 -> r.readInt64s(int64);
                case 8 -> name = r.readString();
                case 9 -> raw = r.readBytes();
                case 10 -> r.readDoubles(doubles);
                case 14 -> location = (int) r.readVarint();
                default -> r.skip();
            }
        }
        if (location == 1) throw new ExternalDataException(name);
        return new Tensor(name, dataType, dims.toArray(), raw, floats.toArray(), int64.toArray(), int32.toArray(),
                doubles.toArray());
    }
}
