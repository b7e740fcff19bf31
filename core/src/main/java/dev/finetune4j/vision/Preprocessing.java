package dev.finetune4j.vision;

import com.fasterxml.jackson.databind.JsonNode;
import dev.finetune4j.UserError;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * How an image becomes the tensor a body was trained on, as the body's own preprocessing does it:
 * torchvision's resize of the shorter side to {@code resize} and centre crop of {@code size}, or
 * nsfwjs's squash of the whole image to {@code size x size}; then values scaled to 0..1 and
 * normalised by {@code mean} and {@code std}. Written to and read from an export's
 * {@code preprocessor_config.json} in Hugging Face's image processor keys.
 *
 * @param crop true: resize the shorter side and crop the centre; false: squash to the square
 * @param resize the shorter side before the centre crop (the square's side when squashing)
 */
public record Preprocessing(boolean crop, int resize, int size, float[] mean, float[] std) {
    public static final float[] IMAGENET_MEAN = {0.485f, 0.456f, 0.406f};
    public static final float[] IMAGENET_STD = {0.229f, 0.224f, 0.225f};

    /** torchvision's evaluation transform for ImageNet weights: resize to size / 0.875, crop, ImageNet statistics. */
    public static Preprocessing torchvision(int size) {
        return new Preprocessing(true, (int) Math.floor(size / 0.875), size, IMAGENET_MEAN, IMAGENET_STD);
    }

    /** nsfwjs: the whole image squashed to the square, values 0..1. */
    public static Preprocessing squashed(int size) {
        return new Preprocessing(false, size, size, new float[] {0, 0, 0}, new float[] {1, 1, 1});
    }

    /** The same at another side ({@code data.image_size}), the resize keeping its ratio to the crop. */
    public Preprocessing atSize(int side) {
        int r = crop ? (int) Math.floor(side * (double) resize / size) : side;
        return new Preprocessing(crop, r, side, mean, std);
    }

    /** The image as the cache keeps it: its shorter side at {@link #resize} (both sides when squashing). */
    Rgb fitted(Rgb image) {
        if (!crop) return image.resized(resize, resize);
        int w = image.width(), h = image.height();
        int ow = w <= h ? resize : (int) ((long) resize * w / h);
        int oh = w <= h ? (int) ((long) resize * h / w) : resize;
        return image.resized(Math.max(ow, 1), Math.max(oh, 1));
    }

    /** A fitted image's centre {@link #size} square, normalised, into {@code out} at {@code offset} as [3, size, size]. */
    void centre(Rgb fitted, float[] out, int offset) {
        Rgb square = fitted.width() >= size && fitted.height() >= size ? fitted : fitted.resized(
                Math.max(size, fitted.width()), Math.max(size, fitted.height()));
        int top = (int) Math.round((square.height() - size) / 2.0);
        int left = (int) Math.round((square.width() - size) / 2.0);
        int plane = size * size;
        for (int c = 0; c < 3; c++) {
            float scale = 1f / (255f * std[c]);
            float shift = mean[c] / std[c];
            for (int y = 0; y < size; y++) {
                for (int x = 0; x < size; x++) {
                    out[offset + c * plane + y * size + x] = square.at(left + x, top + y, c) * scale - shift;
                }
            }
        }
    }

    /** {@code preprocessor_config.json}: Hugging Face's image processor keys. */
    public Map<String, Object> toJson() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("image_processor_type", "finetune4j");
        m.put("do_resize", true);
        m.put("size", crop ? Map.of("shortest_edge", resize) : Map.of("height", size, "width", size));
        m.put("resample", 2); // PIL.Image.BILINEAR
        m.put("do_center_crop", crop);
        m.put("crop_size", Map.of("height", size, "width", size));
        m.put("do_rescale", true);
        m.put("rescale_factor", 1 / 255.0);
        m.put("do_normalize", true);
        m.put("image_mean", floats(mean));
        m.put("image_std", floats(std));
        return m;
    }

    private static List<Double> floats(float[] v) {
        return List.of((double) v[0], (double) v[1], (double) v[2]);
    }

    public static Preprocessing fromJson(JsonNode n, Path file) {
        try {
            boolean crop = n.path("do_center_crop").asBoolean(false);
            int size = n.path("crop_size").path("height").asInt(0);
            int resize = crop ? n.path("size").path("shortest_edge").asInt(0) : n.path("size").path("height").asInt(size);
            if (size <= 0 || resize <= 0) throw new IllegalArgumentException("crop_size.height and size are needed");
            return new Preprocessing(crop, resize, size, triple(n.path("image_mean")), triple(n.path("image_std")));
        } catch (IllegalArgumentException e) {
            throw new UserError(file + ": not a preprocessor config finetune4j reads (" + e.getMessage()
                    + ") — re-export the model");
        }
    }

    private static float[] triple(JsonNode n) {
        if (!n.isArray() || n.size() != 3) throw new IllegalArgumentException("image_mean and image_std need 3 values");
        return new float[] {(float) n.get(0).asDouble(), (float) n.get(1).asDouble(), (float) n.get(2).asDouble()};
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Preprocessing p && p.crop == crop && p.resize == resize && p.size == size
                && java.util.Arrays.equals(p.mean, mean) && java.util.Arrays.equals(p.std, std);
    }

    @Override
    public int hashCode() {
        return java.util.Objects.hash(crop, resize, size, java.util.Arrays.hashCode(mean), java.util.Arrays.hashCode(std));
    }

    @Override
    public String toString() {
        return (crop ? "resize " + resize + ", centre crop " + size : "squash to " + size + "x" + size) + ", mean "
                + java.util.Arrays.toString(mean) + ", std " + java.util.Arrays.toString(std);
    }
}
