package dev.finetune4j.model.io;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.finetune4j.UserError;
import dev.finetune4j.model.HostTensor;
import dev.finetune4j.util.AtomicFiles;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Predicate;

/**
 * Reads and writes the <a href="https://github.com/huggingface/safetensors">safetensors</a> format:
 * an 8-byte little-endian header length N, N bytes of JSON header
 * ({@code {name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {..}}}), then the raw
 * little-endian tensor data. Offsets are relative to the start of the data section.
 *
 * <p>Reading maps each tensor on its own, so files larger than 2 GB work (each tensor must fit in
 * a Java array). F32 is read as is; F16, BF16 and F64 are converted to float32; other dtypes are
 * refused.
 */
public final class SafeTensors {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Same limit as the Rust implementation. */
    private static final long MAX_HEADER = 100_000_000L;

    private SafeTensors() {}

    /** One header entry. */
    public record Entry(String name, String dtype, long[] shape, long begin, long end) {
        public long numel() {
            long n = 1;
            for (long d : shape) n *= d;
            return n;
        }
    }

    /** The parsed header: entries in file order, metadata, and where the data section starts. */
    public record Header(List<Entry> entries, Map<String, String> metadata, long dataStart) {}

    public static Map<String, HostTensor> read(Path file) {
        return read(file, name -> true);
    }

    /**
     * Reads the tensors whose names pass {@code include} (the others are not read or converted, so
     * e.g. integer buffers such as {@code position_ids} can be skipped).
     */
    public static Map<String, HostTensor> read(Path file, Predicate<String> include) {
        try (FileChannel ch = open(file)) {
            Header h = readHeader(file, ch);
            Map<String, HostTensor> out = new LinkedHashMap<>();
            for (Entry e : h.entries()) {
                if (!include.test(e.name())) continue;
                out.put(e.name(), readTensor(file, ch, h.dataStart(), e));
            }
            return out;
        } catch (IOException e) {
            throw new UserError(file + ": cannot read safetensors file: " + e.getMessage(), e);
        }
    }

    public static Header readHeader(Path file) {
        try (FileChannel ch = open(file)) {
            return readHeader(file, ch);
        } catch (IOException e) {
            throw new UserError(file + ": cannot read safetensors file: " + e.getMessage(), e);
        }
    }

    public static Map<String, String> readMetadata(Path file) {
        return readHeader(file).metadata();
    }

    private static FileChannel open(Path file) throws IOException {
        try {
            return FileChannel.open(file, StandardOpenOption.READ);
        } catch (NoSuchFileException e) {
            throw new UserError(file + ": file not found");
        }
    }

    private static Header readHeader(Path file, FileChannel ch) throws IOException {
        long size = ch.size();
        String fix = " The file is truncated or not a safetensors file; copy or download it again.";
        if (size < 8) throw new UserError(file + ": only " + size + " bytes, too short for a safetensors header." + fix);
        ByteBuffer lenBuf = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
        readFully(ch, lenBuf, 0);
        long n = lenBuf.flip().getLong();
        if (n <= 0 || n > MAX_HEADER || n > size - 8) {
            throw new UserError(file + ": header length " + Long.toUnsignedString(n) + " does not fit in the file ("
                    + size + " bytes)." + fix);
        }
        ByteBuffer hb = ByteBuffer.allocate((int) n);
        readFully(ch, hb, 8);
        String json = new String(hb.array(), StandardCharsets.UTF_8);
        JsonNode root;
        try {
            root = JSON.readTree(json);
        } catch (JsonProcessingException e) {
            throw new UserError(file + ": the safetensors header is not valid JSON (" + e.getOriginalMessage() + ")." + fix);
        }
        if (root == null || !root.isObject()) throw new UserError(file + ": the safetensors header is not a JSON object." + fix);
        long dataStart = 8 + n;
        long dataLen = size - dataStart;
        List<Entry> entries = new ArrayList<>();
        Map<String, String> metadata = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> f = it.next();
            String name = f.getKey();
            JsonNode v = f.getValue();
            if (name.equals("__metadata__")) {
                if (!v.isObject()) throw new UserError(file + ": __metadata__ must be an object of strings." + fix);
                v.fields().forEachRemaining(m -> metadata.put(m.getKey(), m.getValue().asText()));
                continue;
            }
            JsonNode dtype = v.get("dtype"), shape = v.get("shape"), offs = v.get("data_offsets");
            if (dtype == null || shape == null || !shape.isArray() || offs == null || !offs.isArray() || offs.size() != 2) {
                throw new UserError(file + ": header entry '" + name + "' lacks dtype/shape/data_offsets." + fix);
            }
            long[] dims = new long[shape.size()];
            for (int i = 0; i < dims.length; i++) {
                dims[i] = shape.get(i).asLong(-1);
                if (dims[i] < 0) throw new UserError(file + ": tensor '" + name + "' has a negative dimension." + fix);
            }
            Entry e = new Entry(name, dtype.asText(), dims, offs.get(0).asLong(-1), offs.get(1).asLong(-1));
            int width = dtypeWidth(e.dtype());
            if (e.begin() < 0 || e.end() < e.begin()) {
                throw new UserError(file + ": tensor '" + name + "' has invalid data_offsets " + offs + "." + fix);
            }
            if (e.end() > dataLen) {
                throw new UserError(file + ": tensor '" + name + "' needs data bytes [" + e.begin() + ", " + e.end()
                        + ") but the data section has only " + dataLen + " bytes." + fix);
            }
            if (width > 0 && e.end() - e.begin() != e.numel() * width) {
                throw new UserError(file + ": tensor '" + name + "' " + Arrays.toString(dims) + " of " + e.dtype()
                        + " needs " + e.numel() * width + " bytes, data_offsets give " + (e.end() - e.begin()) + "." + fix);
            }
            entries.add(e);
        }
        return new Header(entries, metadata, dataStart);
    }

    /** Bytes per element, or -1 for dtypes we do not read. */
    private static int dtypeWidth(String dtype) {
        return switch (dtype) {
            case "F32" -> 4;
            case "F16", "BF16" -> 2;
            case "F64" -> 8;
            default -> -1;
        };
    }

    private static HostTensor readTensor(Path file, FileChannel ch, long dataStart, Entry e) throws IOException {
        int width = dtypeWidth(e.dtype());
        if (width < 0) {
            throw new UserError(file + ": tensor '" + e.name() + "' has dtype " + e.dtype()
                    + ", which is not supported (only F32, F16, BF16 and F64 are read as float32)."
                    + " Re-save the checkpoint with floating-point weights (e.g. model.float() before save_pretrained).");
        }
        long n = e.numel();
        if (n > Integer.MAX_VALUE - 8) {
            throw new UserError(file + ": tensor '" + e.name() + "' has " + n + " elements, more than a Java array holds.");
        }
        float[] out = new float[(int) n];
        long len = e.end() - e.begin();
        if (len > 0) {
            // map in chunks so that one tensor over 2 GB of F64 data still works
            long pos = dataStart + e.begin();
            int idx = 0;
            long chunkElems = (1L << 30) / width;
            while (idx < n) {
                int count = (int) Math.min(chunkElems, n - idx);
                MappedByteBuffer mb = ch.map(FileChannel.MapMode.READ_ONLY, pos, (long) count * width);
                mb.order(ByteOrder.LITTLE_ENDIAN);
                switch (e.dtype()) {
                    case "F32" -> mb.asFloatBuffer().get(out, idx, count);
                    case "F64" -> {
                        for (int i = 0; i < count; i++) out[idx + i] = (float) mb.getDouble();
                    }
                    case "F16" -> {
                        for (int i = 0; i < count; i++) out[idx + i] = HalfFloats.f16ToFloat(mb.getShort());
                    }
                    case "BF16" -> {
                        for (int i = 0; i < count; i++) out[idx + i] = HalfFloats.bf16ToFloat(mb.getShort());
                    }
                    default -> throw new IllegalStateException(e.dtype());
                }
                idx += count;
                pos += (long) count * width;
            }
        }
        return new HostTensor(e.shape().clone(), out);
    }

    private static void readFully(FileChannel ch, ByteBuffer buf, long pos) throws IOException {
        while (buf.hasRemaining()) {
            int r = ch.read(buf, pos);
            if (r < 0) throw new IOException("unexpected end of file");
            pos += r;
        }
    }

    /**
     * Writes {@code tensors} as F32 with keys sorted, header padded with spaces to a multiple of 8
     * bytes (as the Rust implementation does), and optional string metadata. The file is replaced
     * atomically (temp file in the same directory, fsync, rename).
     */
    public static void write(Path file, Map<String, HostTensor> tensors, Map<String, String> metadata) {
        TreeMap<String, HostTensor> sorted = new TreeMap<>(tensors);
        if (sorted.containsKey("__metadata__")) throw new IllegalArgumentException("'__metadata__' is not a tensor name");
        ObjectNode header = JSON.createObjectNode();
        if (metadata != null && !metadata.isEmpty()) {
            ObjectNode md = header.putObject("__metadata__");
            new TreeMap<>(metadata).forEach(md::put);
        }
        long offset = 0;
        for (Map.Entry<String, HostTensor> e : sorted.entrySet()) {
            ObjectNode t = header.putObject(e.getKey());
            t.put("dtype", "F32");
            ArrayNode shape = t.putArray("shape");
            for (long d : e.getValue().shape()) shape.add(d);
            long bytes = e.getValue().size() * 4;
            t.putArray("data_offsets").add(offset).add(offset + bytes);
            offset += bytes;
        }
        byte[] json;
        try {
            json = JSON.writeValueAsBytes(header);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
        int pad = (8 - json.length % 8) % 8;
        ByteBuffer head = ByteBuffer.allocate(8 + json.length + pad).order(ByteOrder.LITTLE_ENDIAN);
        head.putLong(json.length + pad).put(json);
        for (int i = 0; i < pad; i++) head.put((byte) ' ');
        head.flip();
        try {
            AtomicFiles.write(file, ch -> {
                writeFully(ch, head);
                ByteBuffer chunk = ByteBuffer.allocateDirect(1 << 20).order(ByteOrder.LITTLE_ENDIAN);
                for (HostTensor t : sorted.values()) {
                    float[] d = t.data();
                    int i = 0;
                    while (i < d.length) {
                        int count = Math.min(d.length - i, chunk.capacity() / 4);
                        chunk.clear();
                        chunk.asFloatBuffer().put(d, i, count);
                        chunk.limit(count * 4);
                        writeFully(ch, chunk);
                        i += count;
                    }
                }
            });
        } catch (IOException e) {
            throw new UserError(file + ": cannot write safetensors file: " + e.getMessage()
                    + ". Check that the directory is writable and the disk has space.", e);
        }
    }

    private static void writeFully(FileChannel ch, ByteBuffer b) throws IOException {
        while (b.hasRemaining()) ch.write(b);
    }
}
