package dev.finetune4j.vision;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** Images become the tensors the body was trained on: resized as torchvision / PIL resize, cropped, normalised. */
class PreprocessingTest {
    static final ObjectMapper JSON = new ObjectMapper();

    static Rgb rgb(int w, int h, JsonNode values) {
        byte[] b = new byte[values.size()];
        for (int i = 0; i < b.length; i++) b[i] = (byte) values.get(i).asInt();
        return new Rgb(w, h, b);
    }

    @Test
    void resizingMatchesTorchvisionsAntialiasedBilinearToOneLevel() throws Exception {
        JsonNode f = JSON.readTree(getClass().getResource("/dev/finetune4j/vision/resize-torchvision.json"));
        Rgb image = rgb(f.get("width").asInt(), f.get("height").asInt(), f.get("rgb"));
        for (JsonNode r : f.get("resized")) {
            Rgb ours = image.resized(r.get("width").asInt(), r.get("height").asInt());
            JsonNode expected = r.get("rgb");
            int worst = 0;
            for (int i = 0; i < expected.size(); i++) worst = Math.max(worst, Math.abs((ours.data()[i] & 0xFF) - expected.get(i).asInt()));
            assertThat(worst).as("largest difference at %dx%d", r.get("width").asInt(), r.get("height").asInt())
                    .isLessThanOrEqualTo(1);
        }
    }

    @Test
    void torchvisionsTransformResizesTheShorterSideAndCropsTheCentre() {
        Preprocessing p = Preprocessing.torchvision(224);
        assertThat(p.resize()).isEqualTo(256);
        byte[] data = new byte[40 * 20 * 3];
        for (int y = 0; y < 20; y++) for (int x = 0; x < 40; x++) data[(y * 40 + x) * 3] = (byte) (x < 20 ? 0 : 255);
        Preprocessing small = new Preprocessing(true, 20, 10, new float[] {0, 0, 0}, new float[] {1, 1, 1});
        Rgb fitted = small.fitted(new Rgb(40, 20, data));
        assertThat(fitted.width()).isEqualTo(40);
        assertThat(fitted.height()).isEqualTo(20);
        float[] out = new float[3 * 10 * 10];
        small.centre(fitted, out, 0);
        // The centre 10x10 of a half-black, half-white image: columns 15..24, the edge between 19 and 20.
        assertThat(out[0]).isEqualTo(0f);
        assertThat(out[9]).isEqualTo(1f);
        assertThat(out[4]).isEqualTo(0f);
        assertThat(out[5]).isEqualTo(1f);
    }

    @Test
    void normalisationUsesTheBodysStatistics() {
        Preprocessing p = new Preprocessing(false, 2, 2, Preprocessing.IMAGENET_MEAN, Preprocessing.IMAGENET_STD);
        byte[] white = new byte[2 * 2 * 3];
        java.util.Arrays.fill(white, (byte) 255);
        float[] out = new float[12];
        p.centre(p.fitted(new Rgb(2, 2, white)), out, 0);
        assertThat(out[0]).isCloseTo((1 - 0.485f) / 0.229f, org.assertj.core.api.Assertions.within(1e-5f));
        assertThat(out[11]).isCloseTo((1 - 0.406f) / 0.225f, org.assertj.core.api.Assertions.within(1e-5f));
    }

    @Test
    void thePreprocessorConfigRoundTripsInHuggingFacesKeys() throws Exception {
        for (Preprocessing p : new Preprocessing[] {Preprocessing.torchvision(224).atSize(96), Preprocessing.squashed(299)}) {
            JsonNode json = JSON.valueToTree(p.toJson());
            assertThat(json.path("crop_size").path("height").asInt()).isEqualTo(p.size());
            assertThat(Preprocessing.fromJson(json, Path.of("preprocessor_config.json"))).isEqualTo(p);
        }
        assertThat(Preprocessing.torchvision(224).atSize(96).resize()).isEqualTo(109);
    }
}
