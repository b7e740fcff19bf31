package dev.finetune4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.finetune4j.vision.TinyImages;
import dev.finetune4j.vision.TinyVisionExport;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** ft4j predict and eval with an image model: files, folders, tables of paths, and files that do not decode. */
class ImageCommandsTest {
    static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void predictAndEvalTakeImagesFoldersAndTablesAndSayWhichFilesDoNotDecode(@TempDir Path tmp) throws Exception {
        Path model = TinyVisionExport.write(tmp.resolve("model"), List.of("red", "green", "blue"), 32, 1);
        Path photos = TinyImages.write(tmp.resolve("photos"), 2, 3);
        Files.write(photos.resolve("red/empty.png"), new byte[0]);

        CliContractTest.Result folder = CliContractTest.ft4j("predict", "--model", model.toString(), "--input",
                photos.toString());
        assertThat(folder.exit()).as(folder.err()).isZero();
        List<JsonNode> lines = folder.out().lines().map(l -> {
            try {
                return JSON.readTree(l);
            } catch (Exception e) {
                throw new AssertionError(l, e);
            }
        }).toList();
        assertThat(lines).hasSize(7);
        assertThat(lines).filteredOn(n -> n.has("error")).singleElement()
                .satisfies(n -> assertThat(n.path("error").asText()).isEqualTo("empty file"))
                .satisfies(n -> assertThat(n.path("path").asText()).endsWith("red/empty.png"));
        assertThat(lines).filteredOn(n -> n.has("label")).hasSize(6)
                .allSatisfy(n -> assertThat(n.path("scores").size()).isEqualTo(3));

        Files.writeString(tmp.resolve("list.csv"), "image\nphotos/blue/000.jpg\nphotos/green/001.png\n");
        CliContractTest.Result table = CliContractTest.ft4j("predict", "--model", model.toString(), "--input",
                tmp.resolve("list.csv").toString());
        assertThat(table.out().lines().toList()).hasSize(2).first().asString().contains("photos/blue/000.jpg");

        CliContractTest.Result one = CliContractTest.ft4j("predict", "--model", model.toString(), "--image",
                photos.resolve("green/001.png").toString());
        assertThat(JSON.readTree(one.out().strip()).path("label").asText()).isIn("red", "green", "blue");

        CliContractTest.Result text = CliContractTest.ft4j("predict", "--model", model.toString(), "--text", "hello");
        assertThat(text.exit()).isEqualTo(2);
        assertThat(text.err()).contains("classifies images").doesNotContain("Exception");

        CliContractTest.Result eval = CliContractTest.ft4j("eval", "--model", model.toString(), "--data", photos.toString());
        assertThat(eval.exit()).as(eval.err()).isZero();
        assertThat(eval.out()).contains("empty file").contains("macro avg").contains("confusion matrix");
    }
}
