package dev.finetune4j.model.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.finetune4j.UserError;
import dev.finetune4j.model.HostTensor;
import dev.finetune4j.model.bert.BertConfig;
import dev.finetune4j.model.bert.BertWeights;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelSourceTest {
    @TempDir Path tmp;

    static Map<String, HostTensor> randomWeights(BertConfig c, String prefix, long seed) {
        Random r = new Random(seed);
        Map<String, HostTensor> m = new LinkedHashMap<>();
        Map<String, long[]> shapes = BertWeights.expectedShapes(c);
        shapes.putAll(BertWeights.poolerShapes(c));
        shapes.forEach((k, s) -> {
            long n = 1;
            for (long d : s) n *= d;
            float[] data = new float[(int) n];
            for (int i = 0; i < data.length; i++) data[i] = (float) r.nextGaussian();
            m.put(prefix + k, new HostTensor(s, data));
        });
        return m;
    }

    @Test
    void hfDirectoryRoundTripsThroughWriteAndLoad() throws Exception {
        BertConfig c = BertConfig.tiny(50);
        Path dir = Files.createDirectory(tmp.resolve("exported"));
        Map<String, HostTensor> w = randomWeights(c, "bert.", 1);
        w.put("classifier.weight", new HostTensor(new long[] {3, 32}, new float[96]));
        w.put("classifier.bias", new HostTensor(new long[] {3}, new float[] {1, 2, 3}));
        SafeTensors.write(dir.resolve("model.safetensors"), w, Map.of("format", "pt"));
        HfConfig.write(dir, c, HfConfig.classifierExtras(List.of("neg", "neu", "pos"), "single_label_classification",
                Map.of("version", "0.1.0")));
        Files.writeString(dir.resolve("tokenizer.json"), "{}");

        ResolvedModelFiles files = ModelSource.resolve("exported", tmp);
        assertThat(files.kind()).isEqualTo(ResolvedModelFiles.Kind.HF_DIR);
        assertThat(files.configJson()).isEqualTo(dir.resolve("config.json"));
        BertCheckpoint ck = BertCheckpoint.load(files);
        assertThat(ck.config()).isEqualTo(c);
        assertThat(ck.weights()).containsKeys("embeddings.word_embeddings.weight", "pooler.dense.weight", "classifier.weight");
        assertThat(ck.weights().keySet()).noneMatch(k -> k.startsWith("bert."));
        assertThat(ck.weights().get("encoder.layer.1.output.dense.weight").data())
                .isEqualTo(w.get("bert.encoder.layer.1.output.dense.weight").data());
        assertThat(ck.rawConfig().at("/id2label/2").asText()).isEqualTo("pos");
        assertThat(ck.rawConfig().at("/architectures/0").asText()).isEqualTo("BertForSequenceClassification");
        assertThat(ck.rawConfig().at("/finetune4j/version").asText()).isEqualTo("0.1.0");
        try (var s = Files.list(dir)) {
            assertThat(s.map(p -> p.getFileName().toString()))
                    .containsExactlyInAnyOrder("model.safetensors", "config.json", "tokenizer.json");
        }
    }

    @Test
    void plainBertModelCheckpointWithPositionIdsBufferLoads() throws Exception {
        BertConfig c = BertConfig.tiny(50);
        Path dir = Files.createDirectory(tmp.resolve("plain"));
        SafeTensors.write(dir.resolve("model.safetensors"), randomWeights(c, "", 2), null);
        HfConfig.write(dir, c, Map.of());
        Files.writeString(dir.resolve("tokenizer.json"), "{}");
        assertThat(BertCheckpoint.load(ModelSource.resolve(dir.toString(), tmp)).weights()).hasSize(5 + 2 * 16 + 2);
    }

    @Test
    void incompleteCheckpointListsWhatIsMissing() throws Exception {
        BertConfig c = BertConfig.tiny(50);
        Path dir = Files.createDirectory(tmp.resolve("partial"));
        Map<String, HostTensor> w = randomWeights(c, "", 3);
        w.remove("encoder.layer.1.attention.self.key.weight");
        w.put("embeddings.LayerNorm.bias", new HostTensor(new long[] {31}, new float[31]));
        SafeTensors.write(dir.resolve("model.safetensors"), w, null);
        HfConfig.write(dir, c, Map.of());
        Files.writeString(dir.resolve("tokenizer.json"), "{}");
        assertThatThrownBy(() -> BertCheckpoint.load(ModelSource.resolve(dir.toString(), tmp)))
                .isInstanceOf(UserError.class).hasMessageContaining("model.safetensors")
                .hasMessageContaining("missing 1 tensor(s): encoder.layer.1.attention.self.key.weight")
                .hasMessageContaining("embeddings.LayerNorm.bias is [31], expected [32]");
    }

    @Test
    void pickleCheckpointsAreRefused() throws Exception {
        Path dir = Files.createDirectory(tmp.resolve("torch"));
        Files.writeString(dir.resolve("config.json"), "{\"model_type\":\"bert\"}");
        Files.write(dir.resolve("pytorch_model.bin"), new byte[] {1});
        Files.writeString(dir.resolve("tokenizer.json"), "{}");
        assertThatThrownBy(() -> ModelSource.resolve("torch", tmp)).isInstanceOf(UserError.class)
                .hasMessageContaining("pytorch_model.bin")
                .hasMessageContaining("pickle checkpoints are not loaded (they can run code)")
                .hasMessageContaining("save_pretrained(safe_serialization=True)");
        assertThatThrownBy(() -> ModelSource.resolve("torch/pytorch_model.bin", tmp)).hasMessageContaining("pickle");
    }

    @Test
    void missingFilesAreNamed() throws Exception {
        Path dir = Files.createDirectory(tmp.resolve("notok"));
        SafeTensors.write(dir.resolve("model.safetensors"), Map.of(), null);
        Files.writeString(dir.resolve("config.json"), "{\"model_type\":\"bert\"}");
        assertThatThrownBy(() -> ModelSource.resolve("notok", tmp)).hasMessageContaining("no tokenizer.json")
                .hasMessageContaining("found: config.json, model.safetensors");
        Files.createDirectory(tmp.resolve("emptydir"));
        assertThatThrownBy(() -> ModelSource.resolve("emptydir", tmp)).hasMessageContaining("no model.safetensors")
                .hasMessageContaining("found: nothing");
        assertThatThrownBy(() -> ModelSource.resolve("minilm", tmp)).hasMessageContaining("Did you mean 'all-minilm-l6-v2'");
        assertThatThrownBy(() -> ModelSource.resolve("BAAI/bge-small-en-v1.5", tmp)).hasMessageContaining("huggingface-cli download");
        assertThatThrownBy(() -> ModelSource.resolve("./nope.onnx", tmp)).hasMessageContaining("no such file");
        Path lone = tmp.resolve("lone.onnx");
        Files.write(lone, new byte[0]);
        assertThatThrownBy(() -> ModelSource.resolve("lone.onnx", tmp)).hasMessageContaining("no tokenizer.json beside it");
    }

    @Test
    void configOfAnotherModelTypeIsRefused() throws Exception {
        ObjectMapper json = new ObjectMapper();
        Path f = tmp.resolve("config.json");
        Files.writeString(f, "{\"model_type\":\"roberta\",\"hidden_size\":768}");
        assertThatThrownBy(() -> HfConfig.read(tmp)).isInstanceOf(UserError.class)
                .hasMessageContaining(f.toString()).hasMessageContaining("model_type 'roberta' is not supported");
        Files.writeString(f, "{\"architectures\":[\"BertForMaskedLM\"],\"hidden_size\":384,\"num_attention_heads\":12,\"id2label\":{\"0\":\"a\"}}");
        HfConfig h = HfConfig.read(tmp);
        assertThat(h.config().hiddenSize()).isEqualTo(384);
        assertThat(h.raw().get("id2label")).isEqualTo(json.readTree("{\"0\":\"a\"}"));
        Files.writeString(f, "{\"architectures\":[\"GPT2LMHeadModel\"]}");
        assertThatThrownBy(() -> HfConfig.read(tmp)).hasMessageContaining("only BERT-family models");
        Files.writeString(f, "{\"model_type\":\"bert\",\"hidden_act\":\"relu\"}");
        assertThatThrownBy(() -> HfConfig.read(f)).isInstanceOf(UserError.class).hasMessageContaining("hidden_act 'relu'");
        ObjectNode written = HfConfig.toJson(BertConfig.tiny(10));
        assertThat(written.get("model_type").asText()).isEqualTo("bert");
    }

    @Test
    void catalogueIdAndOnnxFileLoad() throws Exception {
        var loc = new ModelCatalog.Locations(tmp.resolve("cache"), tmp.resolve("no-repo"), getClass().getClassLoader());
        ResolvedModelFiles cat = ModelSource.resolve("all-minilm-l6-v2", tmp, loc);
        assertThat(cat.kind()).isEqualTo(ResolvedModelFiles.Kind.CATALOG);
        assertThat(cat.configJson()).isNull();
        BertCheckpoint ck = BertCheckpoint.load(cat);
        assertThat(ck.config().numHiddenLayers()).isEqualTo(6);
        assertThat(ck.rawConfig()).isNull();

        ResolvedModelFiles onnx = ModelSource.resolve(cat.weights().toString(), tmp);
        assertThat(onnx.kind()).isEqualTo(ResolvedModelFiles.Kind.ONNX_FILE);
        assertThat(onnx.tokenizerJson()).isEqualTo(cat.tokenizerJson());
    }
}
