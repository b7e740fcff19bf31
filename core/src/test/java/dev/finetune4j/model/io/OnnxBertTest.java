package dev.finetune4j.model.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.finetune4j.UserError;
import dev.finetune4j.model.HostTensor;
import dev.finetune4j.model.bert.BertConfig;
import dev.finetune4j.model.bert.BertWeights;
import java.io.ByteArrayOutputStream;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OnnxBertTest {
    @TempDir Path dir;

    private static OnnxBertWeights timedRead(Path onnx, String label) {
        long t0 = System.nanoTime();
        OnnxBertWeights w = OnnxBert.read(onnx);
        System.out.printf("OnnxBert.read(%s): %d ms%n", label, (System.nanoTime() - t0) / 1_000_000);
        return w;
    }

    @Test
    void readsMiniLmWithHfNamesAndShapes() throws Exception {
        Path onnx = TestModels.extract("all-minilm-l6-v2.onnx");
        OnnxBertWeights w = timedRead(onnx, "all-minilm-l6-v2");
        BertConfig c = w.config();
        assertThat(c).isEqualTo(new BertConfig(30522, 384, 6, 12, 1536, "gelu", 0.1, 0.1, 512, 2, 1e-12, 0));
        Map<String, long[]> expected = BertWeights.expectedShapes(c);
        assertThat(w.weights().keySet()).containsExactlyElementsOf(expected.keySet()); // no pooler in this export
        expected.forEach((k, shape) -> assertThat(w.weights().get(k).shape()).as(k).isEqualTo(shape));
        assertThat(w.weights().keySet()).noneMatch(k -> k.contains("position_ids") || k.startsWith("onnx::"));

        // the query weight is the transposed anonymous MatMul initializer
        OnnxGraph g = OnnxBert.parse(onnx);
        OnnxGraph.Node mm = g.nodes.stream().filter(n -> n.name().equals("/encoder/layer.0/attention/self/query/MatMul"))
                .findFirst().orElseThrow();
        OnnxGraph.Tensor init = g.initializers.get(mm.inputs().get(1));
        assertThat(init.name()).startsWith("onnx::MatMul_");
        assertThat(init.dims()).containsExactly(384, 384);
        HostTensor stored = new HostTensor(init.dims(), init.toFloats());
        assertThat(w.weights().get("encoder.layer.0.attention.self.query.weight").data())
                .isEqualTo(stored.transpose2d().data());
        // and an [in,out] intermediate initializer became [out,in]
        assertThat(w.weights().get("encoder.layer.5.intermediate.dense.weight").shape()).containsExactly(1536, 384);
        // named tensors are copied verbatim
        OnnxGraph.Tensor emb = g.initializers.get("embeddings.word_embeddings.weight");
        assertThat(w.weights().get("embeddings.word_embeddings.weight").data()).isEqualTo(emb.toFloats());
    }

    @Test
    void readsBgeSmall() {
        OnnxBertWeights w = timedRead(TestModels.extract("bge-small-en-v1.5.onnx"), "bge-small-en-v1.5");
        assertThat(w.config()).isEqualTo(new BertConfig(30522, 384, 12, 12, 1536, "gelu", 0.1, 0.1, 512, 2, 1e-12, 0));
        assertThat(w.weights()).hasSize(5 + 12 * 16);
    }

    @Test
    void readsE5Small() {
        OnnxBertWeights w = timedRead(TestModels.extract("e5-small-v2.onnx"), "e5-small-v2");
        assertThat(w.config()).isEqualTo(new BertConfig(30522, 384, 12, 12, 1536, "gelu", 0.1, 0.1, 512, 2, 1e-12, 0));
        assertThat(w.weights()).hasSize(5 + 12 * 16);
    }

    @Test
    void prefersAConfigJsonBesideTheFileAndChecksItAgainstTheWeights() throws Exception {
        Path onnx = TestModels.extract("all-minilm-l6-v2.onnx");
        Path d = Files.createDirectory(dir.resolve("m"));
        Files.createSymbolicLink(d.resolve("model.onnx"), onnx);
        HfConfig.write(d, new BertConfig(30522, 384, 6, 12, 1536, "gelu", 0.1, 0.1, 512, 2, 1e-6, 0), Map.of());
        assertThat(OnnxBert.read(d.resolve("model.onnx")).config().layerNormEps()).isEqualTo(1e-6);

        HfConfig.write(d, new BertConfig(30522, 384, 4, 12, 1000, "gelu", 0.1, 0.1, 512, 2, 1e-12, 0), Map.of());
        assertThatThrownBy(() -> OnnxBert.read(d.resolve("model.onnx"))).isInstanceOf(UserError.class)
                .hasMessageContaining("model.onnx").hasMessageContaining("wrong shape")
                .hasMessageContaining("encoder.layer.0.intermediate.dense.weight is [1536, 384], expected [1000, 384]");
    }

    // --- hand-made protobuf for the error paths ---

    private static void varint(ByteArrayOutputStream o, long v) {
        while ((v & ~0x7FL) != 0) {
            o.write((int) ((v & 0x7F) | 0x80));
            v >>>= 7;
        }
        o.write((int) v);
    }

    private static void field(ByteArrayOutputStream o, int num, byte[] payload) {
        varint(o, (long) num << 3 | 2);
        varint(o, payload.length);
        o.writeBytes(payload);
    }

    private static void field(ByteArrayOutputStream o, int num, long v) {
        varint(o, (long) num << 3);
        varint(o, v);
    }

    @Test
    void refusesExternalData() throws Exception {
        ByteArrayOutputStream tensor = new ByteArrayOutputStream();
        field(tensor, 1, 2); // dims (unpacked)
        field(tensor, 1, 3);
        field(tensor, 2, 1); // FLOAT
        field(tensor, 8, "embeddings.word_embeddings.weight".getBytes(StandardCharsets.UTF_8));
        field(tensor, 14, 1); // EXTERNAL
        ByteArrayOutputStream graph = new ByteArrayOutputStream();
        field(graph, 5, tensor.toByteArray());
        ByteArrayOutputStream model = new ByteArrayOutputStream();
        field(model, 1, 8); // ir_version
        field(model, 7, graph.toByteArray());
        Path f = dir.resolve("ext.onnx");
        Files.write(f, model.toByteArray());
        assertThatThrownBy(() -> OnnxBert.read(f)).isInstanceOf(UserError.class)
                .hasMessageContaining(f.toString()).hasMessageContaining("external data");
    }

    @Test
    void packedAndUnpackedFieldsParseTheSame() throws Exception {
        ByteArrayOutputStream packedDims = new ByteArrayOutputStream();
        varint(packedDims, 2);
        varint(packedDims, 300);
        ByteArrayOutputStream t = new ByteArrayOutputStream();
        field(t, 1, packedDims.toByteArray());
        field(t, 2, 7); // INT64
        field(t, 7, 5); // int64_data unpacked
        field(t, 7, -1);
        OnnxGraph.Tensor parsed = OnnxGraph.parseTensor(java.nio.ByteBuffer.wrap(t.toByteArray()));
        assertThat(parsed.dims()).containsExactly(2, 300);
        assertThat(parsed.int64Data()).containsExactly(5, -1);
    }

    @Test
    void corruptOrNonBertFilesGiveUserErrors() throws Exception {
        Path onnx = TestModels.extract("all-minilm-l6-v2.onnx");
        Path truncated = dir.resolve("truncated.onnx");
        try (FileChannel in = FileChannel.open(onnx); FileChannel out = FileChannel.open(truncated,
                java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.WRITE)) {
            in.transferTo(0, in.size() / 2, out);
        }
        assertThatThrownBy(() -> OnnxBert.read(truncated)).isInstanceOf(UserError.class)
                .hasMessageContaining(truncated.toString());

        Path text = dir.resolve("text.onnx");
        Files.writeString(text, "this is not protobuf at all, just some words");
        assertThatThrownBy(() -> OnnxBert.read(text)).isInstanceOf(UserError.class).hasMessageContaining(text.toString());

        ByteArrayOutputStream model = new ByteArrayOutputStream();
        field(model, 7, new byte[0]); // empty graph
        Path empty = dir.resolve("empty.onnx");
        Files.write(empty, model.toByteArray());
        assertThatThrownBy(() -> OnnxBert.read(empty)).isInstanceOf(UserError.class)
                .hasMessageContaining(empty.toString()).hasMessageContaining("BERT");
    }

    @Test
    void mapsNodeNamesToModules() {
        assertThat(OnnxBert.moduleFromNodeName("/encoder/layer.11/output/dense/MatMul")).isEqualTo("encoder.layer.11.output.dense");
        assertThat(OnnxBert.moduleFromNodeName("/bert/encoder/layer.0/attention/self/key/MatMul"))
                .isEqualTo("encoder.layer.0.attention.self.key");
        assertThat(OnnxBert.moduleFromNodeName("/encoder/layer.0/attention/self/MatMul")).isNull();
        assertThat(OnnxBert.moduleFromNodeName("MatMul_12")).isNull();
        assertThat(OnnxBert.hfKey("bert.pooler.dense.weight")).isEqualTo("pooler.dense.weight");
        assertThat(OnnxBert.hfKey("embeddings.position_ids")).isNull();
        assertThat(Arrays.asList(OnnxBert.hfKey("onnx::MatMul_1"))).containsOnlyNulls();
    }
}
