package dev.finetune4j.recipe;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

/**
 * Reads a recipe file: YAML, then {@code --set} overrides, then the schema and the checks it cannot
 * express, then defaults. Every problem found is reported at once in one {@link RecipeError}.
 */
public final class RecipeLoader {
    private static final ObjectMapper YAML_WRITER = new ObjectMapper(YAMLFactory.builder()
            .disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
            .enable(YAMLGenerator.Feature.MINIMIZE_QUOTES)
            .build());

    private RecipeLoader() {}

    public static Recipe load(Path file) {
        return load(file, List.of());
    }

    /**
     * A recipe to train once. A {@code search:} section (a tune file's) is an error that says to
     * run {@code ft4j tune}: training would otherwise drop it without a word.
     *
     * @param overrides {@code key.path=value}, the value read as YAML ({@code null}, {@code false}, {@code 1e-4})
     * @throws RecipeError listing every problem with the recipe or the overrides
     */
    public static Recipe load(Path file, List<String> overrides) {
        return load(file, overrides, false);
    }

    /** The recipe of a tune file (a recipe plus {@code search:}, read by {@code SearchConfig}): every trial's base. */
    public static Recipe loadTuneBase(Path file, List<String> overrides) {
        return load(file, overrides, true);
    }

    /**
     * A tune file's {@code search:} section, checked by the recipe's schema (every problem with its
     * line, column and a did-you-mean) and with its defaults filled in.
     *
     * @param overrides as for {@link #load}; {@code search.*} ones change the section
     */
    public static ObjectNode searchSection(Path file, List<String> overrides) {
        String name = file.toString();
        RecipeDocument doc = RecipeDocument.parse(read(file, name), name);
        List<String> searchOverrides = overrides.stream().filter(o -> o.startsWith("search.")).toList();
        Overrides.apply(doc, searchOverrides);
        if (!(doc.root.get("search") instanceof ObjectNode section)) {
            throw RecipeError.of(name, "has no 'search:' section; a tune file is a recipe plus search:"
                    + " {metric, sampler, trials, space} (see docs/tuning.md)");
        }
        RecipeSchema.validateSearch(doc);
        if (!doc.problems().isEmpty()) {
            throw new RecipeError(name, sorted(doc.problems(), name, searchOverrides));
        }
        ObjectNode out = section.deepCopy();
        RecipeSchema.applyDefaults(out, "/search");
        return out;
    }

    private static Recipe load(Path file, List<String> overrides, boolean tuneFile) {
        RecipeDocument doc = checked(file, overrides, tuneFile);
        ObjectNode full = doc.root.deepCopy();
        RecipeSchema.applyDefaults(full);
        full.remove("search"); // a tune file's section (SearchConfig's), not part of the recipe; defaults made it
        Path baseDir = file.toAbsolutePath().normalize().getParent();
        RecipeChecks.check(doc, full, baseDir);
        if (!doc.problems().isEmpty()) {
            throw new RecipeError(file.toString(), sorted(doc.problems(), file.toString(), overrides));
        }
        return RecipeBinding.recipe(full, baseDir);
    }

    /** The document with the overrides applied and its schema problems recorded (not yet thrown). */
    private static RecipeDocument checked(Path file, List<String> overrides, boolean tuneFile) {
        String name = file.toString();
        RecipeDocument doc = RecipeDocument.parse(read(file, name), name);
        // before the overrides too, so that --set strategy.type=... works on 'strategy: full'
        RecipeSchema.expandShorthands(doc.root);
        Overrides.apply(doc, overrides);
        if (!tuneFile && doc.root.has("search")) {
            doc.problem(doc.keyAt("/search").problem("'search' is a tuning section: run `ft4j tune " + name
                    + "` to search, or remove it to train once"));
            doc.root.remove("search");
        }
        RecipeSchema.validate(doc);
        return doc;
    }

    /** Writes a map such as {@link Recipe#resolved()} as YAML. */
    public static String toYaml(Map<String, ?> map) {
        try {
            return YAML_WRITER.writeValueAsString(map);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String read(Path file, String name) {
        if (!Files.exists(file)) {
            throw RecipeError.of(name, "recipe file not found (looked for " + file.toAbsolutePath().normalize() + ")");
        }
        if (Files.isDirectory(file)) {
            throw RecipeError.of(name, "is a directory; expected a recipe YAML file");
        }
        try {
            return Files.readString(file, StandardCharsets.UTF_8);
        } catch (CharacterCodingException e) {
            throw RecipeError.of(name, "cannot read: the file is not UTF-8 text");
        } catch (AccessDeniedException e) {
            throw RecipeError.of(name, "cannot read: permission denied");
        } catch (IOException e) {
            throw RecipeError.of(name, "cannot read: " + e.getMessage());
        }
    }

    /** The file's problems in line order (whole-file ones first), then the overrides' in command-line order. */
    private static List<Problem> sorted(List<Problem> problems, String file, List<String> overrides) {
        return problems.stream()
                .sorted(Comparator.comparingInt((Problem p) -> p.source().equals(file)
                                ? -1 : overrides.indexOf(p.source().substring("--set ".length())))
                        .thenComparingInt(Problem::line)
                        .thenComparingInt(Problem::column))
                .toList();
    }
}
