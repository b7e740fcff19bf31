package dev.finetune4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.finetune4j.recipe.Recipe;
import dev.finetune4j.recipe.RecipeLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** Every recipe shipped under examples/ must load: schema, paths, the lot. */
class ExampleRecipesTest {
    @Test
    void everyExampleRecipeLoads() throws Exception {
        List<Path> recipes;
        try (Stream<Path> files = Files.walk(Path.of("../examples"))) {
            recipes = files.filter(p -> p.toString().endsWith(".yaml")).sorted().toList();
        }
        assertThat(recipes).hasSizeGreaterThanOrEqualTo(4);
        for (Path file : recipes) {
            boolean tuneFile = Files.readAllLines(file).stream().anyMatch(l -> l.startsWith("search:"));
            Recipe r = tuneFile ? RecipeLoader.loadTuneBase(file, List.of()) : RecipeLoader.load(file);
            assertThat(Files.exists(r.data().train())).as(file.toString()).isTrue();
        }
    }
}
