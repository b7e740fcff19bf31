package dev.finetune4j.model.io;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/** The catalogue's ONNX files from the test classpath, extracted once per JVM into a temp dir. */
final class TestModels {
    private static Path dir;

    private TestModels() {}

    static synchronized Path extract(String resource) {
        try {
            if (dir == null) {
                dir = Files.createTempDirectory("ft4j-test-models");
                dir.toFile().deleteOnExit();
            }
            Path p = dir.resolve(resource);
            if (!Files.exists(p)) {
                try (InputStream in = TestModels.class.getClassLoader().getResourceAsStream(resource)) {
                    if (in == null) throw new IllegalStateException("resource " + resource + " not on the test classpath");
                    Files.copy(in, p, StandardCopyOption.REPLACE_EXISTING);
                }
                p.toFile().deleteOnExit();
            }
            return p;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
