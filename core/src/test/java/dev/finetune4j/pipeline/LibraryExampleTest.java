package dev.finetune4j.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.finetune4j.testing.TinyRun;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The library example under examples/library compiles against the library and runs on a tiny model. */
class LibraryExampleTest {
    static final Path EXAMPLE = Path.of("../examples/library/TrainAndPredict.java");

    @Test
    void theExampleProgramTrainsExportsAndPredicts(@TempDir Path tmp) throws Exception {
        TinyRun.write(tmp, 80);
        Path recipe = tmp.resolve("recipe.yaml");
        Files.writeString(recipe, String.join("\n", "name: tiny", "model: tiny-bert", "seed: 3", "data:",
                "  train: mails.jsonl", "  max_length: 32", "train:", "  epochs: 1", "  batch_size: 16", ""));

        Path classes = Files.createDirectories(tmp.resolve("classes"));
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        ByteArrayOutputStream diagnostics = new ByteArrayOutputStream();
        int status = javac.run(null, null, diagnostics, "-classpath", System.getProperty("java.class.path"), "-d",
                classes.toString(), EXAMPLE.toString());
        assertThat(status).as(diagnostics.toString(StandardCharsets.UTF_8)).isZero();

        ByteArrayOutputStream printed = new ByteArrayOutputStream();
        PrintStream oldOut = System.out;
        Path output = tmp.resolve("run");
        try (URLClassLoader loader = new URLClassLoader(new java.net.URL[] {classes.toUri().toURL()},
                getClass().getClassLoader())) {
            System.setOut(new PrintStream(printed, true, StandardCharsets.UTF_8));
            loader.loadClass("TrainAndPredict").getMethod("main", String[].class)
                    .invoke(null, (Object) new String[] {recipe.toString(), output.toString(), "train.learning_rate=1e-3"});
        } finally {
            System.setOut(oldOut);
        }
        String out = printed.toString(StandardCharsets.UTF_8);
        JsonNode metrics = new ObjectMapper().readTree(output.resolve("metrics.json").toFile());
        assertThat(out).contains(String.format("test macro-F1 %.4f after %d steps",
                metrics.path("test").path("macro_f1").asDouble(), metrics.path("train").path("steps").asInt()));
        assertThat(out).containsPattern("WIN a FREE cruise, click now +-> (ham|spam) \\{ham=0\\.\\d+, spam=0\\.\\d+\\}");
        assertThat(out).containsPattern("Minutes of Tuesday's meeting attached +-> (ham|spam) ");
        JsonNode run = new ObjectMapper().readTree(output.resolve("run.json").toFile());
        assertThat(run.path("recipe").path("train").path("learning_rate").asDouble()).as("the override reached the run")
                .isEqualTo(1e-3);
    }
}
