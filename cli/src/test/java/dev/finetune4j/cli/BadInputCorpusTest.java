package dev.finetune4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.finetune4j.model.HostTensor;
import dev.finetune4j.model.bert.BertConfig;
import dev.finetune4j.model.bert.BertModel;
import dev.finetune4j.model.io.HfConfig;
import dev.finetune4j.model.io.ModelCatalog;
import dev.finetune4j.model.io.SafeTensors;
import dev.finetune4j.testing.TinyRun;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs every case under {@code src/test/resources/bad-inputs/} through the CLI. A case is a
 * directory with the files it needs (recipe, data) and {@code expect.yaml}: {@code args} ({@code {dir}}
 * = the case's copy, {@code {out}} = an output directory), the {@code exit} code, {@code messages}
 * the output must contain, and optional fixtures: {@code data} ({@code none}: no train.jsonl;
 * default: 40 real mails), {@code model} (default {@code tiny}: a tiny random BERT in {@code model/};
 * or a broken variant), {@code long_text} (a file with one 2,000,000-character text).
 *
 * <p>Every failing case must exit non-zero with its message, print no stack trace, and leave no
 * output behind: the output directory absent or empty, no temporary files.
 */
class BadInputCorpusTest {
    static final Path CORPUS = Path.of("src/test/resources/bad-inputs");
    static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

    @TempDir
    static Path tmp;

    @TestFactory
    Stream<DynamicTest> corpus() throws IOException {
        Path fixtures = tmp.resolve("fixtures");
        TinyRun.write(fixtures, 40);
        List<Path> cases;
        try (Stream<Path> s = Files.list(CORPUS)) {
            cases = s.filter(Files::isDirectory).sorted().toList();
        }
        assertThat(cases).hasSizeGreaterThanOrEqualTo(25);
        return cases.stream().map(c -> DynamicTest.dynamicTest(c.getFileName().toString(), () -> run(c, fixtures)));
    }

    static void run(Path source, Path fixtures) throws Exception {
        JsonNode expect = YAML.readTree(source.resolve("expect.yaml").toFile());
        Path dir = tmp.resolve(source.getFileName());
        copyDirectory(source, dir);
        Path out = tmp.resolve(source.getFileName() + "-out");
        String data = expect.path("data").asText("mails");
        if (data.equals("mails") && !Files.exists(dir.resolve("train.jsonl"))) {
            Files.copy(fixtures.resolve("mails.jsonl"), dir.resolve("train.jsonl"));
        }
        model(expect.path("model").asText("tiny"), fixtures.resolve("tiny-bert"), dir.resolve("model"));
        if (expect.has("long_text")) {
            Files.writeString(dir.resolve(expect.get("long_text").asText()),
                    "{\"text\": \"" + "word ".repeat(400_000) + "\", \"label\": \"spam\"}\n");
        }
        List<String> args = new ArrayList<>();
        for (JsonNode a : expect.get("args")) {
            args.add(a.asText().replace("{dir}", dir.toString()).replace("{out}", out.toString()));
        }
        Map<Path, byte[]> before = snapshot(dir);

        CliContractTest.Result r = CliContractTest.ft4j(args.toArray(String[]::new));

        int exit = expect.get("exit").asInt();
        String shown = exit == 0 ? r.out() + r.err() : r.err();
        assertThat(r.exit()).as("exit code; stderr:%n%s", r.err()).isEqualTo(exit);
        for (JsonNode m : expect.get("messages")) assertThat(shown).contains(m.asText());
        assertThat(r.err()).doesNotContain("\tat ").doesNotContain("internal error");
        if (exit != 0) {
            assertThat(r.err().strip().lines().count()).as("one clear message, not a dump:%n%s", r.err()).isLessThanOrEqualTo(3);
            if (Files.isDirectory(out)) {
                try (Stream<Path> s = Files.list(out)) {
                    assertThat(s.toList()).as("nothing left in the output directory").isEmpty();
                }
            }
            assertThat(snapshot(dir).keySet()).as("no files created or removed beside the inputs")
                    .containsExactlyInAnyOrderElementsOf(before.keySet());
            snapshot(dir).forEach((p, bytes) -> assertThat(bytes).as("%s unchanged", p).isEqualTo(before.get(p)));
        }
    }

    /** A model directory: the tiny fixture or one broken in a named way. */
    static void model(String kind, Path tiny, Path target) throws IOException {
        if (kind.equals("none")) return;
        Files.createDirectories(target);
        Files.copy(tiny.resolve("tokenizer.json"), target.resolve("tokenizer.json"));
        Files.copy(tiny.resolve("config.json"), target.resolve("config.json"));
        Path weights = target.resolve("model.safetensors");
        Map<String, HostTensor> w = new LinkedHashMap<>(BertModel.randomWeights(BertConfig.tiny(30522), 1));
        String query = w.keySet().stream().filter(k -> k.endsWith("layer.0.attention.self.query.weight")).findFirst()
                .orElseThrow();
        switch (kind) {
            case "tiny" -> Files.copy(tiny.resolve("model.safetensors"), weights);
            case "no-weights" -> { }
            case "wrong-shape" -> {
                w.put(query, new HostTensor(new long[] {16, 64}, new float[16 * 64]));
                SafeTensors.write(weights, w, Map.of());
            }
            case "missing-tensor" -> {
                w.remove(query);
                SafeTensors.write(weights, w, Map.of());
            }
            case "bad-config" -> {
                Files.copy(tiny.resolve("model.safetensors"), weights);
                Files.writeString(target.resolve("config.json"), "{\"model_type\": \"bert\", \"hidden_size\": ");
            }
            case "pickle" -> Files.write(target.resolve("pytorch_model.bin"), new byte[] {(byte) 0x80, 2, 'c'});
            case "truncated" -> {
                byte[] all = Files.readAllBytes(tiny.resolve("model.safetensors"));
                Files.write(weights, Arrays.copyOf(all, all.length / 2));
            }
            default -> throw new IllegalArgumentException("unknown model fixture " + kind);
        }
    }

    static Map<Path, byte[]> snapshot(Path dir) throws IOException {
        Map<Path, byte[]> m = new LinkedHashMap<>();
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.filter(Files::isRegularFile).toList()) m.put(dir.relativize(p), Files.readAllBytes(p));
        }
        return m;
    }

    static void copyDirectory(Path from, Path to) throws IOException {
        try (Stream<Path> s = Files.walk(from)) {
            for (Path p : s.toList()) {
                Path t = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) Files.createDirectories(t);
                else Files.copy(p, t);
            }
        }
    }
}
