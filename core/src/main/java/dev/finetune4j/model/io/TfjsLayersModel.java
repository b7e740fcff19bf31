package dev.finetune4j.model.io;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.finetune4j.UserError;
import dev.finetune4j.model.HostTensor;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A TensorFlow.js layers-model: its Keras topology and its weights by Keras name, dequantised to
 * float32, in Keras layout (convolution kernels {@code [h, w, in, out]}, dense {@code [in, out]}).
 * Read from {@code model.json} with binary shards, or from the browserify bundles that npm packages
 * such as nsfwjs ship ({@code model.min.js}: the JSON as a JavaScript object literal;
 * {@code group1-shard1of1.min.js}: the shard as a base64 string).
 *
 * <p>Quantised weights ({@code quantization: {dtype: uint8 | uint16, min, scale}}) are
 * {@code min + scale * q}, as tfjs dequantises them.
 */
public record TfjsLayersModel(JsonNode topology, Map<String, HostTensor> weights) {
    private static final ObjectMapper JSON = new ObjectMapper();

    public static TfjsLayersModel read(Path dir) {
        Path json = dir.resolve("model.json");
        Path bundle = dir.resolve("model.min.js");
        JsonNode model;
        Path from;
        if (Files.isRegularFile(json)) {
            from = json;
            model = parse(from, text(from));
        } else if (Files.isRegularFile(bundle)) {
            from = bundle;
            model = parse(from, JsLiteral.toJson(exported(from, text(from), '{')));
        } else {
            throw new UserError(dir + ": no model.json or model.min.js — not a TensorFlow.js layers-model directory");
        }
        JsonNode topology = model.path("modelTopology");
        JsonNode manifest = model.path("weightsManifest");
        if (!topology.isObject() || !manifest.isArray()) {
            throw new UserError(from + ": has no modelTopology and weightsManifest — not a layers-model");
        }
        Map<String, HostTensor> weights = new LinkedHashMap<>();
        for (JsonNode group : manifest) {
            ByteBuffer bytes = ByteBuffer.wrap(groupBytes(dir, group.path("paths"))).order(ByteOrder.LITTLE_ENDIAN);
            for (JsonNode w : group.path("weights")) {
                String name = w.path("name").asText();
                long[] shape = JSON.convertValue(w.path("shape"), long[].class);
                int n = 1;
                for (long d : shape) n *= (int) d;
                try {
                    weights.put(name, new HostTensor(shape, values(w, n, bytes)));
                } catch (java.nio.BufferUnderflowException e) {
                    throw new UserError(from + ": the shards end inside weight '" + name + "' — the files are incomplete");
                }
            }
            if (bytes.hasRemaining()) {
                throw new UserError(from + ": " + bytes.remaining() + " bytes left over after the weights of "
                        + group.path("paths") + " — the manifest does not match its shards");
            }
        }
        return new TfjsLayersModel(topology, weights);
    }

    /** The Keras layers of the topology, in order. */
    public List<JsonNode> layers() {
        List<JsonNode> out = new java.util.ArrayList<>();
        topology.path("model_config").path("config").path("layers").forEach(out::add);
        return out;
    }

    private static float[] values(JsonNode w, int n, ByteBuffer bytes) {
        JsonNode q = w.path("quantization");
        String stored = q.isObject() ? q.path("dtype").asText() : w.path("dtype").asText("float32");
        float[] out = new float[n];
        switch (stored) {
            case "uint8", "uint16" -> {
                double min = q.path("min").asDouble();
                double scale = q.path("scale").asDouble();
                for (int i = 0; i < n; i++) {
                    int v = stored.equals("uint8") ? bytes.get() & 0xFF : bytes.getShort() & 0xFFFF;
                    out[i] = (float) (min + scale * v);
                }
            }
            case "float32" -> {
                for (int i = 0; i < n; i++) out[i] = bytes.getFloat();
            }
            case "int32" -> {
                for (int i = 0; i < n; i++) out[i] = bytes.getInt();
            }
            default -> throw new UserError("weight '" + w.path("name").asText() + "' is stored as " + stored
                    + ", which this reader does not decode (uint8, uint16, float32, int32)");
        }
        return out;
    }

    private static byte[] groupBytes(Path dir, JsonNode paths) {
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        for (JsonNode p : paths) {
            Path plain = dir.resolve(p.asText());
            Path bundled = dir.resolve(p.asText() + ".min.js");
            try {
                if (Files.isRegularFile(plain)) {
                    all.write(Files.readAllBytes(plain));
                } else if (Files.isRegularFile(bundled)) {
                    String base64 = exported(bundled, text(bundled), '"');
                    all.write(Base64.getDecoder().decode(base64.substring(1, base64.length() - 1)));
                } else {
                    throw new UserError(dir + ": the shard " + p.asText() + " named in the manifest is missing");
                }
            } catch (IOException e) {
                throw new UserError("cannot read a shard of " + dir + ": " + e.getMessage(), e);
            }
        }
        return all.toByteArray();
    }

    /**
     * The value a browserify bundle exports ({@code exports=...}): from the first {@code exports=}
     * followed by {@code opening}, to its matching close.
     */
    static String exported(Path file, String js, char opening) {
        String marker = "exports=" + opening;
        int start = js.indexOf(marker);
        if (start < 0) throw new UserError(file + ": no 'exports=" + opening + "' — not a tfjs bundle this reader knows");
        start += "exports=".length();
        if (opening == '"') return js.substring(start, JsLiteral.stringEnd(js, start) + 1);
        int depth = 0;
        for (int i = start; i < js.length(); i++) {
            char c = js.charAt(i);
            if (c == '"' || c == '\'') {
                i = JsLiteral.stringEnd(js, i);
            } else if (c == '{' || c == '[') {
                depth++;
            } else if (c == '}' || c == ']') {
                if (--depth == 0) return js.substring(start, i + 1);
            }
        }
        throw new UserError(file + ": the exported object never closes — the file is truncated");
    }

    private static JsonNode parse(Path file, String json) {
        try {
            return JSON.readTree(json);
        } catch (IOException e) {
            throw new UserError(file + ": cannot parse the model (" + e.getMessage().lines().findFirst().orElse("") + ")");
        }
    }

    private static String text(Path file) {
        try {
            return Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UserError("cannot read " + file + ": " + e.getMessage(), e);
        }
    }
}
