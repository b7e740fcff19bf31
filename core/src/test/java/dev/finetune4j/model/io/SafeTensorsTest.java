package dev.finetune4j.model.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.finetune4j.UserError;
import dev.finetune4j.model.HostTensor;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafeTensorsTest {
    @TempDir Path dir;

    /** A safetensors file from its parts, as the spec describes it. */
    static byte[] file(String headerJson, byte[] data) {
        byte[] h = headerJson.getBytes(StandardCharsets.UTF_8);
        return ByteBuffer.allocate(8 + h.length + data.length).order(ByteOrder.LITTLE_ENDIAN)
                .putLong(h.length).put(h).put(data).array();
    }

    static byte[] le(int bytesPerValue, long... values) {
        ByteBuffer b = ByteBuffer.allocate(values.length * bytesPerValue).order(ByteOrder.LITTLE_ENDIAN);
        for (long v : values) {
            if (bytesPerValue == 2) b.putShort((short) v);
            else if (bytesPerValue == 4) b.putInt((int) v);
            else b.putLong(v);
        }
        return b.array();
    }

    @Test
    void roundTripKeepsTensorsMetadataAndAlignsTheHeader() throws IOException {
        Map<String, HostTensor> in = new LinkedHashMap<>();
        in.put("b.weight", new HostTensor(new long[] {2, 3}, new float[] {1, -2, 3.5f, 4, 5, 6e-7f}));
        in.put("a.bias", new HostTensor(new long[] {3}, new float[] {Float.MIN_VALUE, -0f, Float.MAX_VALUE}));
        in.put("scalar", new HostTensor(new long[] {}, new float[] {42}));
        Path f = dir.resolve("model.safetensors");
        SafeTensors.write(f, in, Map.of("format", "pt", "source", "test"));

        Map<String, HostTensor> out = SafeTensors.read(f);
        assertThat(out.keySet()).containsExactly("a.bias", "b.weight", "scalar"); // sorted on write
        for (String k : in.keySet()) {
            assertThat(out.get(k).shape()).isEqualTo(in.get(k).shape());
            assertThat(out.get(k).data()).isEqualTo(in.get(k).data());
        }
        assertThat(SafeTensors.readMetadata(f)).containsExactlyInAnyOrderEntriesOf(Map.of("format", "pt", "source", "test"));

        byte[] bytes = Files.readAllBytes(f);
        long n = ByteBuffer.wrap(bytes, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        assertThat(n % 8).isZero();
        String header = new String(bytes, 8, (int) n, StandardCharsets.UTF_8);
        assertThat(header).startsWith("{\"__metadata__\":");
        assertThat(header.trim()).endsWith("}");
        assertThat(header.substring(header.trim().length())).matches(" *");
        assertThat(bytes.length).isEqualTo(8 + n + 4 * (6 + 3 + 1));
    }

    @Test
    void readsAFileWrittenByHandFromTheSpec() throws IOException {
        String header = "{\"w\":{\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":[0,16]},"
                + "\"__metadata__\":{\"format\":\"pt\"},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[16,20]}}";
        byte[] data = le(4, Float.floatToIntBits(1f), Float.floatToIntBits(2f), Float.floatToIntBits(3f),
                Float.floatToIntBits(4f), Float.floatToIntBits(-0.5f));
        Path f = dir.resolve("hand.safetensors");
        Files.write(f, file(header, data));
        Map<String, HostTensor> t = SafeTensors.read(f);
        assertThat(t.keySet()).containsExactly("w", "b");
        assertThat(t.get("w").shape()).containsExactly(2, 2);
        assertThat(t.get("w").data()).containsExactly(1, 2, 3, 4);
        assertThat(t.get("b").data()).containsExactly(-0.5f);
        assertThat(SafeTensors.readMetadata(f)).containsEntry("format", "pt");
    }

    @Test
    void convertsF16Bf16AndF64ToFloat32() throws IOException {
        String header = "{\"h\":{\"dtype\":\"F16\",\"shape\":[6],\"data_offsets\":[0,12]},"
                + "\"bf\":{\"dtype\":\"BF16\",\"shape\":[3],\"data_offsets\":[12,18]},"
                + "\"d\":{\"dtype\":\"F64\",\"shape\":[2],\"data_offsets\":[18,34]}}";
        byte[] f16 = le(2, 0x3C00, 0xC000, 0x3555, 0x0001, 0x7C00, 0x7BFF); // 1, -2, ~1/3, min subnormal, +inf, max
        byte[] bf16 = le(2, 0x3F80, 0x4049, 0xBF00); // 1, 3.140625, -0.5
        byte[] f64 = le(8, Double.doubleToLongBits(0.1), Double.doubleToLongBits(-1e300));
        byte[] data = ByteBuffer.allocate(34).put(f16).put(bf16).put(f64).array();
        Path f = dir.resolve("half.safetensors");
        Files.write(f, file(header, data));
        Map<String, HostTensor> t = SafeTensors.read(f);
        assertThat(t.get("h").data()).containsExactly(1f, -2f, 0.33325195f, 5.9604645e-8f, Float.POSITIVE_INFINITY, 65504f);
        assertThat(t.get("bf").data()).containsExactly(1f, 3.140625f, -0.5f);
        assertThat(t.get("d").data()).containsExactly(0.1f, Float.NEGATIVE_INFINITY);
    }

    @Test
    void refusesIntegerTensorsUnlessFilteredOut() throws IOException {
        String header = "{\"ids\":{\"dtype\":\"I64\",\"shape\":[1,2],\"data_offsets\":[0,16]},"
                + "\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[16,20]}}";
        Path f = dir.resolve("ints.safetensors");
        Files.write(f, file(header, ByteBuffer.allocate(20).array()));
        assertThatThrownBy(() -> SafeTensors.read(f)).isInstanceOf(UserError.class)
                .hasMessageContaining(f.toString()).hasMessageContaining("'ids' has dtype I64");
        assertThat(SafeTensors.read(f, n -> !n.equals("ids")).keySet()).containsExactly("w");
    }

    @Test
    void atomicWriteLeavesNoTemporaryFilesAndReplacesTheOldFile() throws IOException {
        Path f = dir.resolve("m.safetensors");
        SafeTensors.write(f, Map.of("x", new HostTensor(new long[] {1}, new float[] {1})), Map.of());
        SafeTensors.write(f, Map.of("y", new HostTensor(new long[] {2}, new float[] {2, 3})), null);
        try (Stream<Path> s = Files.list(dir)) {
            assertThat(s.map(p -> p.getFileName().toString())).containsExactly("m.safetensors");
        }
        assertThat(SafeTensors.read(f).keySet()).containsExactly("y");
    }

    @Test
    void truncatedOrCorruptFilesGiveAUserErrorNamingTheFile() throws IOException {
        Path good = dir.resolve("good.safetensors");
        SafeTensors.write(good, Map.of("w", new HostTensor(new long[] {4, 4}, new float[16])), null);
        byte[] bytes = Files.readAllBytes(good);

        Path truncated = dir.resolve("truncated.safetensors");
        Files.write(truncated, Arrays.copyOf(bytes, bytes.length - 10));
        assertThatThrownBy(() -> SafeTensors.read(truncated)).isInstanceOf(UserError.class)
                .hasMessageContaining(truncated.toString()).hasMessageContaining("truncated");

        Path tiny = dir.resolve("tiny.safetensors");
        Files.write(tiny, new byte[] {1, 2, 3});
        assertThatThrownBy(() -> SafeTensors.read(tiny)).isInstanceOf(UserError.class).hasMessageContaining(tiny.toString());

        Path garbage = dir.resolve("garbage.safetensors");
        byte[] g = bytes.clone();
        g[8] = 'x'; // header no longer JSON
        Files.write(garbage, g);
        assertThatThrownBy(() -> SafeTensors.read(garbage)).isInstanceOf(UserError.class)
                .hasMessageContaining(garbage.toString()).hasMessageContaining("not valid JSON");

        Path hugeHeader = dir.resolve("huge.safetensors");
        byte[] h = bytes.clone();
        ByteBuffer.wrap(h).order(ByteOrder.LITTLE_ENDIAN).putLong(0, 1L << 40);
        Files.write(hugeHeader, h);
        assertThatThrownBy(() -> SafeTensors.read(hugeHeader)).isInstanceOf(UserError.class)
                .hasMessageContaining(hugeHeader.toString()).hasMessageContaining("header length");

        assertThatThrownBy(() -> SafeTensors.read(dir.resolve("absent.safetensors"))).isInstanceOf(UserError.class)
                .hasMessageContaining("absent.safetensors").hasMessageContaining("not found");
    }
}
