package dev.finetune4j.model.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.finetune4j.UserError;
import dev.finetune4j.model.HostTensor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Base64;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Reading TensorFlow.js layers-models as npm packages ship them, and mapping Keras MobileNetV2 onto torchvision. */
class TfjsImportTest {
    static final ObjectMapper JSON = new ObjectMapper();
    /** The nsfwjs release the catalogue pins (tarball SHA-256 as `npm pack nsfwjs@4.4.0` gave it on 2026-12-02). */
    static final NpmPackage NSFWJS = new NpmPackage("nsfwjs", "4.4.0",
            "585cd178f3b994337c4d10a87b080d342fc52f8b9bf0085c4d1f345a3a1c5382");

    @Test
    void minifiedObjectLiteralsBecomeJson() throws IOException {
        String js = "{a:!0,b:!1,c:.5,d:-.25,e:1e-5,f:43655835165112626e-21,g:\"x:y,\\\"z\\\"\",h:[null,-0],'i':'j'}";
        JsonNode n = JSON.readTree(JsLiteral.toJson(js));
        assertThat(n.path("a").asBoolean()).isTrue();
        assertThat(n.path("b").asBoolean()).isFalse();
        assertThat(n.path("c").asDouble()).isEqualTo(0.5);
        assertThat(n.path("d").asDouble()).isEqualTo(-0.25);
        assertThat(n.path("e").asDouble()).isEqualTo(1e-5);
        assertThat(n.path("f").asDouble()).isEqualTo(43655835165112626e-21);
        assertThat(n.path("g").asText()).isEqualTo("x:y,\"z\"");
        assertThat(n.path("h").get(0).isNull()).isTrue();
        assertThat(n.path("i").asText()).isEqualTo("j");
    }

    @Test
    void aBundledModelIsReadAndDequantisedAsTfjsDoes(@TempDir Path dir) throws IOException {
        // two uint8-quantised weights and one float32 in one shard, as browserify bundles them
        byte[] shard = new byte[2 * 3 + 2 + 4];
        for (int i = 0; i < 6; i++) shard[i] = (byte) (i * 50);
        shard[6] = (byte) 255;
        shard[7] = 0;
        java.nio.ByteBuffer.wrap(shard, 8, 4).order(java.nio.ByteOrder.LITTLE_ENDIAN).putFloat(1.5f);
        String prelude = "!function(e){module.exports=e()}(function(){return function(){var h={};";
        Files.writeString(dir.resolve("group1-shard1of1.min.js"), prelude + "h.exports=\""
                + Base64.getEncoder().encodeToString(shard) + "\"}})");
        Files.writeString(dir.resolve("model.min.js"), prelude + "h.exports={modelTopology:{keras_version:\"2.2.4\","
                + "model_config:{class_name:\"Model\",config:{layers:[{name:\"d\",class_name:\"Dense\",config:{trainable:!1,"
                + "units:3}}]}}},weightsManifest:[{paths:[\"group1-shard1of1\"],weights:["
                + "{name:\"d/kernel\",shape:[2,3],dtype:\"float32\",quantization:{min:-.5,scale:.01,dtype:\"uint8\"}},"
                + "{name:\"d/bias\",shape:[2],dtype:\"float32\",quantization:{min:1,scale:2e-3,dtype:\"uint8\"}},"
                + "{name:\"s\",shape:[],dtype:\"float32\"}]}]}}})");
        TfjsLayersModel m = TfjsLayersModel.read(dir);
        assertThat(m.layers()).hasSize(1);
        assertThat(m.layers().get(0).path("config").path("trainable").asBoolean()).isFalse();
        HostTensor kernel = m.weights().get("d/kernel");
        assertThat(kernel.shape()).containsExactly(2, 3);
        for (int i = 0; i < 6; i++) assertThat(kernel.data()[i]).isEqualTo((float) (-0.5 + 0.01 * (i * 50)));
        assertThat(m.weights().get("d/bias").data()).containsExactly((float) (1 + 2e-3 * 255), 1f);
        assertThat(m.weights().get("s").data()).containsExactly(1.5f);

        Files.writeString(dir.resolve("group1-shard1of1.min.js"), prelude + "h.exports=\""
                + Base64.getEncoder().encodeToString(Arrays.copyOf(shard, 7)) + "\"}})");
        assertThatThrownBy(() -> TfjsLayersModel.read(dir)).isInstanceOf(UserError.class)
                .hasMessageContaining("the shards end inside weight 'd/bias'");
    }

    @Test
    void kernelsTakeTorchLayouts() {
        // [h, w, in, out] = [1, 2, 2, 3]: value = 1000h + 100w + 10in + out
        float[] v = new float[12];
        for (int w = 0; w < 2; w++) for (int i = 0; i < 2; i++) for (int o = 0; o < 3; o++) v[(w * 2 + i) * 3 + o] = 100 * w + 10 * i + o;
        HostTensor t = KerasToTorchvision.hwioToOihw(new HostTensor(new long[] {1, 2, 2, 3}, v));
        assertThat(t.shape()).containsExactly(3, 2, 1, 2);
        // torch [out, in, h, w]: element [o=2, i=1, 0, w=1]
        assertThat(t.data()[((2 * 2 + 1) * 1) * 2 + 1]).isEqualTo(100 + 10 + 2);
    }

    @Test
    void nsfwjsMobileNetV2MapsOntoEveryTorchvisionFeatureKeyWithItsShape() throws IOException {
        Path cache = ModelCatalog.Locations.fromEnvironment().cacheRoot();
        boolean canFetch = NSFWJS.isCached(cache) || onPath("npm");
        if (!canFetch && System.getenv("CI") != null) throw new AssertionError("npm is needed to fetch nsfwjs in CI");
        assumeTrue(canFetch, "nsfwjs is not cached and npm is not on the PATH");
        Path pkg = NSFWJS.fetch(cache, System.out);
        TfjsLayersModel model = TfjsLayersModel.read(pkg.resolve("dist/models/mobilenet_v2"));
        KerasToTorchvision.Mapped mapped = KerasToTorchvision.mobileNetV2(model.weights(), "nsfwjs mobilenet_v2");

        JsonNode shapes = JSON.readTree(getClass().getResource("/dev/finetune4j/vision/torchvision-shapes.json"))
                .path("mobilenet_v2");
        Map<String, String> expected = new TreeMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = shapes.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (e.getKey().endsWith("num_batches_tracked") || e.getKey().startsWith("classifier.")) continue;
            expected.put(e.getKey(), e.getValue().toString());
        }
        Map<String, String> got = new TreeMap<>();
        mapped.body().forEach((k, v) -> got.put(k, Arrays.toString(v.shape()).replace(" ", "")));
        assertThat(got).isEqualTo(expected);
        assertThat(mapped.body()).hasSize(260);
        assertThat(mapped.rest().keySet()).containsExactlyInAnyOrder("dense_1/kernel", "dense_1/bias", "dense_2/kernel",
                "dense_2/bias", "dense_3/kernel", "dense_3/bias");

        // what parity needs from the topology: BatchNorm eps 1e-3, stride-2 padding on the right and bottom only
        Map<String, JsonNode> layers = new LinkedHashMap<>();
        model.layers().forEach(l -> layers.put(l.path("name").asText(), l));
        assertThat(layers.get("bn_Conv1").path("config").path("epsilon").asDouble()).isEqualTo(1e-3);
        assertThat(layers.get("block_1_pad").path("config").path("padding").toString()).isEqualTo("[[0,1],[0,1]]");
        assertThat(layers.get("block_10_depthwise").path("config").path("trainable").asBoolean())
                .as("nsfwjs kept blocks up to 10 frozen").isFalse();
    }

    @Test
    void nsfwjsMobileNetV2GivesTheFeaturesAndProbabilitiesThatTfjsGives() throws Exception {
        agreesWithTfjs("mobilenet_v2", 224, p -> new dev.finetune4j.model.mobilenet.MobileNetV2(
                dev.finetune4j.model.mobilenet.MobileNetV2.Config.keras(), p),
                (keras, body) -> KerasToTorchvision.mobileNetV2(keras, "nsfwjs"));
    }

    @Test
    void nsfwjsInceptionV3GivesTheFeaturesAndProbabilitiesThatTfjsGives() throws Exception {
        agreesWithTfjs("inception_v3", 299, p -> new dev.finetune4j.model.inception.InceptionV3(
                dev.finetune4j.model.inception.InceptionV3.Config.keras(), p),
                (keras, body) -> KerasToTorchvision.inceptionV3(keras, body.modules().stream()
                        .filter(m -> m.kind() == dev.finetune4j.model.Module.Kind.CONVOLUTION)
                        .map(m -> m.name().substring(0, m.name().length() - ".conv".length())).toList(), "nsfwjs"));
    }

    /**
     * The nsfwjs model's body, mapped onto ours, gives the pooled features that @tensorflow/tfjs
     * gives (nsfwjs_reference.js, committed with its output) to 1e-4 relative, and through nsfwjs's own
     * dense head (256 relu, 128 relu, 5 softmax) its probabilities to 1e-4.
     */
    private void agreesWithTfjs(String name, int side,
            java.util.function.Function<dev.finetune4j.model.ParameterStore, dev.finetune4j.model.Body<ai.djl.ndarray.NDArray>> bodyOf,
            java.util.function.BiFunction<Map<String, HostTensor>, dev.finetune4j.model.Body<ai.djl.ndarray.NDArray>,
                    KerasToTorchvision.Mapped> mapping) throws Exception {
        Path cache = ModelCatalog.Locations.fromEnvironment().cacheRoot();
        boolean canFetch = NSFWJS.isCached(cache) || onPath("npm");
        if (!canFetch && System.getenv("CI") != null) throw new AssertionError("npm is needed to fetch nsfwjs in CI");
        assumeTrue(canFetch, "nsfwjs is not cached and npm is not on the PATH");
        TfjsLayersModel model = TfjsLayersModel.read(NSFWJS.fetch(cache, System.out).resolve("dist/models/" + name));
        JsonNode reference = JSON.readTree(getClass().getResource("/dev/finetune4j/vision/nsfwjs-" + name + "-tfjs.json"));
        float[] nchw = new float[3 * side * side];
        for (int y = 0; y < side; y++) {
            for (int x = 0; x < side; x++) {
                for (int c = 0; c < 3; c++) {
                    long i = ((long) y * side + x) * 3 + c; // the reference's NHWC flat index
                    nchw[(c * side + y) * side + x] = (float) ((i * 7919) % 1000) / 1000f;
                }
            }
        }
        try (ai.djl.ndarray.NDManager manager = dev.finetune4j.TensorRuntime.newManager();
                dev.finetune4j.model.ParameterStore params = new dev.finetune4j.model.ParameterStore(manager)) {
            dev.finetune4j.model.Body<ai.djl.ndarray.NDArray> body = bodyOf.apply(params);
            KerasToTorchvision.Mapped mapped = mapping.apply(model.weights(), body);
            for (dev.finetune4j.model.Module m : body.modules()) {
                m.parameters().keySet().forEach(l -> params.put(m.key(l), mapped.body().get(m.key(l))));
                m.buffers().keySet().forEach(l -> params.putBuffer(m.key(l), mapped.body().get(m.key(l))));
            }
            assertThat(mapped.rest().keySet()).as("all but nsfwjs's head is mapped").allMatch(k -> k.startsWith("dense_"));
            ai.djl.ndarray.NDArray input = manager.create(nchw, new ai.djl.ndarray.types.Shape(1, 3, side, side));
            ai.djl.ndarray.NDArray features = body.features(manager, input, false);
            float[] f = features.toFloatArray();
            JsonNode expected = reference.path("features");
            assertThat(f).hasSize(expected.size());
            double worst = 0;
            for (int i = 0; i < f.length; i++) {
                worst = Math.max(worst, Math.abs(f[i] - expected.get(i).asDouble()) / Math.max(1, Math.abs(expected.get(i).asDouble())));
            }
            assertThat(worst).as("largest relative feature error against tfjs").isLessThan(1e-4);
            ai.djl.ndarray.NDArray x = features;
            for (String dense : new String[] {"dense_1", "dense_2", "dense_3"}) {
                Map<String, HostTensor> d = KerasToTorchvision.dense(mapped.rest(), dense, dense, "nsfwjs");
                x = ai.djl.nn.core.Linear.linear(x, manager.create(d.get(dense + ".weight").data(),
                        new ai.djl.ndarray.types.Shape(d.get(dense + ".weight").shape())), manager.create(
                        d.get(dense + ".bias").data(), new ai.djl.ndarray.types.Shape(d.get(dense + ".bias").shape())))
                        .singletonOrThrow();
                x = dense.equals("dense_3") ? x.softmax(-1) : x.maximum(0f);
            }
            float[] p = x.toFloatArray();
            for (int i = 0; i < p.length; i++) {
                assertThat((double) p[i]).as("probability %d", i)
                        .isCloseTo(reference.path("probabilities").get(i).asDouble(), org.assertj.core.api.Assertions.within(1e-4));
            }
        }
    }

    private static boolean onPath(String command) {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(java.io.File.pathSeparator)) {
            if (Files.isExecutable(Path.of(dir, command))) return true;
        }
        return false;
    }
}
