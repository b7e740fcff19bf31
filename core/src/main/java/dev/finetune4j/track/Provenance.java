package dev.finetune4j.track;

import ai.djl.engine.Engine;
import dev.finetune4j.model.io.ResolvedModelFiles;
import dev.finetune4j.recipe.DataConfig;
import dev.finetune4j.recipe.Recipe;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;

/** How a model was made: enough to repeat the run (versions, inputs by hash, seed, time). */
public final class Provenance {
    private Provenance() {}

    public static Map<String, Object> of(Recipe recipe, ResolvedModelFiles model, long startedMillis) {
        Map<String, Object> p = new LinkedHashMap<>();
        p.put("finetune4j", version());
        p.put("java", System.getProperty("java.version") + " (" + System.getProperty("java.vendor") + ")");
        p.put("os", System.getProperty("os.name") + " " + System.getProperty("os.arch"));
        p.put("engine", "PyTorch " + Engine.getEngine("PyTorch").getVersion() + " via DJL " + Engine.getDjlVersion());
        p.put("started_at", Instant.ofEpochMilli(startedMillis).toString());
        p.put("seed", recipe.seed());
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("spec", recipe.model());
        m.put("kind", model.kind().name().toLowerCase());
        m.put("description", model.description());
        m.put("weights_sha256", sha256(model.weights()));
        if (model.tokenizerJson() != null) m.put("tokenizer_sha256", sha256(model.tokenizerJson()));
        p.put("model", m);
        Map<String, Object> data = new LinkedHashMap<>();
        DataConfig dc = recipe.data();
        data.put("train", file(dc.train()));
        if (dc.validation() != null) data.put("validation", file(dc.validation()));
        if (dc.test() != null) data.put("test", file(dc.test()));
        p.put("data", data);
        return p;
    }

    private static Map<String, Object> file(Path f) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("path", f.toString());
        m.put("sha256", sha256(f));
        return m;
    }

    public static String version() {
        String v = Provenance.class.getPackage().getImplementationVersion();
        return v != null ? v : "dev";
    }

    public static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * The SHA-256 of a file's bytes; of a folder (images in class folders), that of its files' relative
     * paths and digests, sorted; null for none.
     */
    public static String sha256(Path file) {
        if (file == null) return null;
        if (Files.isDirectory(file)) {
            try (java.util.stream.Stream<Path> walk = Files.walk(file)) {
                StringBuilder sb = new StringBuilder();
                for (Path f : walk.filter(Files::isRegularFile).sorted().toList()) {
                    sb.append(file.relativize(f)).append(' ').append(sha256(f)).append('\n');
                }
                return sha256(sb.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        try (InputStream in = Files.newInputStream(file)) {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            byte[] buf = new byte[1 << 16];
            for (int n; (n = in.read(buf)) > 0; ) md.update(buf, 0, n);
            return HexFormat.of().formatHex(md.digest());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
