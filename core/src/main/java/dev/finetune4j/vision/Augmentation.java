package dev.finetune4j.vision;

import java.util.SplittableRandom;

/**
 * The training split's augmentation ({@code augment:}), each image's draws from a generator of its
 * own: a random resized crop (a share of the area in {@code crop_scale}, aspect ratio 3/4 to 4/3, as
 * torchvision's RandomResizedCrop), a mirror image, a rotation, and brightness, contrast and
 * saturation jitter, sampled in one bilinear pass from the fitted image; and mixup or cutmix over a
 * batch ({@link #mix}).
 */
final class Augmentation {
    private static final double LOG_RATIO = Math.log(4.0 / 3.0);

    private final VisionSettings.Augment settings;
    private final Preprocessing preprocessing;

    Augmentation(VisionSettings.Augment settings, Preprocessing preprocessing) {
        this.settings = settings;
        this.preprocessing = preprocessing;
    }

    boolean mixes() {
        return settings.mixup() > 0 || settings.cutmix() > 0;
    }

    /** One augmented, normalised image into {@code out} at {@code offset}, [3, size, size]. */
    void apply(Rgb image, SplittableRandom random, float[] out, int offset) {
        int w = image.width(), h = image.height(), size = preprocessing.size();
        double cropW = Math.min(w, h), cropH = cropW, x0 = (w - cropW) / 2, y0 = (h - cropH) / 2;
        double low = settings.cropScale().get(0), high = Math.max(low, settings.cropScale().get(1));
        for (int attempt = 0; attempt < 10; attempt++) {
            double area = w * (double) h * (low + random.nextDouble() * (high - low));
            double ratio = Math.exp(-LOG_RATIO + random.nextDouble() * 2 * LOG_RATIO);
            double cw = Math.round(Math.sqrt(area * ratio)), ch = Math.round(Math.sqrt(area / ratio));
            if (cw > 0 && ch > 0 && cw <= w && ch <= h) {
                cropW = cw;
                cropH = ch;
                x0 = random.nextInt((int) (w - cw) + 1);
                y0 = random.nextInt((int) (h - ch) + 1);
                break;
            }
        }
        boolean flip = random.nextDouble() < settings.horizontalFlip();
        double angle = Math.toRadians((random.nextDouble() * 2 - 1) * settings.rotation());
        double j = settings.colorJitter();
        float brightness = (float) (1 + (random.nextDouble() * 2 - 1) * j);
        float contrast = (float) (1 + (random.nextDouble() * 2 - 1) * j);
        float saturation = (float) (1 + (random.nextDouble() * 2 - 1) * j);

        float[] rgb = new float[3 * size * size];
        double cos = Math.cos(angle), sin = Math.sin(angle), half = size / 2.0;
        double sx = cropW / size, sy = cropH / size;
        double cx = x0 + cropW / 2, cy = y0 + cropH / 2;
        double grayMean = 0;
        for (int v = 0; v < size; v++) {
            for (int u = 0; u < size; u++) {
                // output pixel centre, mirrored and rotated about the centre, into the crop, into the image
                double du = (flip ? size - 1 - u : u) + 0.5 - half, dv = v + 0.5 - half;
                double ru = cos * du - sin * dv, rv = sin * du + cos * dv;
                double px = cx + ru * sx - 0.5, py = cy + rv * sy - 0.5;
                int o = (v * size + u) * 3;
                sample(image, px, py, rgb, o);
                grayMean += gray(rgb, o);
            }
        }
        grayMean /= size * size;
        int plane = size * size;
        float[] mean = preprocessing.mean(), std = preprocessing.std();
        for (int i = 0; i < plane; i++) {
            int o = i * 3;
            float m = (float) (grayMean * brightness);
            for (int c = 0; c < 3; c++) rgb[o + c] = (rgb[o + c] * brightness - m) * contrast + m;
            float g = gray(rgb, o);
            for (int c = 0; c < 3; c++) {
                float value = Math.max(0f, Math.min(255f, g + (rgb[o + c] - g) * saturation));
                out[offset + c * plane + i] = (value / 255f - mean[c]) / std[c];
            }
        }
    }

    private static float gray(float[] rgb, int o) {
        return 0.299f * rgb[o] + 0.587f * rgb[o + 1] + 0.114f * rgb[o + 2];
    }

    /** Bilinear between pixel centres; black outside the image (rotated corners). */
    private static void sample(Rgb image, double x, double y, float[] out, int o) {
        int w = image.width(), h = image.height();
        if (x < -0.5 || y < -0.5 || x > w - 0.5 || y > h - 0.5) return;
        x = Math.max(0, Math.min(w - 1, x));
        y = Math.max(0, Math.min(h - 1, y));
        int x1 = (int) x, y1 = (int) y, x2 = Math.min(x1 + 1, w - 1), y2 = Math.min(y1 + 1, h - 1);
        double fx = x - x1, fy = y - y1;
        for (int c = 0; c < 3; c++) {
            double top = image.at(x1, y1, c) * (1 - fx) + image.at(x2, y1, c) * fx;
            double bottom = image.at(x1, y2, c) * (1 - fx) + image.at(x2, y2, c) * fx;
            out[o + c] = (float) (top * (1 - fy) + bottom * fy);
        }
    }

    /**
     * How a batch is mixed: each example {@code i} takes {@code 1 - lambda} of example
     * {@code partner[i]}, over the whole image (mixup) or inside a box (cutmix, {@code box} = x0, y0,
     * x1, y1 and lambda the share left outside it).
     */
    record Mix(double lambda, int[] partner, int[] box) {}

    /** The mix of a batch of {@code n}, or null: mixup or cutmix (half the batches each when both are on). */
    Mix mix(int n, SplittableRandom random) {
        if (!mixes() || n < 2) return null;
        boolean cut = settings.cutmix() > 0 && (settings.mixup() == 0 || random.nextBoolean());
        double alpha = cut ? settings.cutmix() : settings.mixup();
        double lambda = beta(alpha, random);
        int[] partner = new int[n];
        for (int i = 0; i < n; i++) partner[i] = i;
        for (int i = n - 1; i > 0; i--) {
            int k = random.nextInt(i + 1);
            int t = partner[i];
            partner[i] = partner[k];
            partner[k] = t;
        }
        if (!cut) return new Mix(lambda, partner, null);
        int size = preprocessing.size();
        double side = Math.sqrt(1 - lambda);
        int bw = (int) (size * side), bh = (int) (size * side);
        int cx = random.nextInt(size), cy = random.nextInt(size);
        int x0 = Math.max(0, cx - bw / 2), x1 = Math.min(size, cx + bw / 2);
        int y0 = Math.max(0, cy - bh / 2), y1 = Math.min(size, cy + bh / 2);
        double kept = 1 - (x1 - x0) * (double) (y1 - y0) / (size * size);
        return new Mix(kept, partner, new int[] {x0, y0, x1, y1});
    }

    /** Mixes the batch's pixels [n, 3, size, size] in place by {@code mix}. */
    void mixPixels(float[] pixels, int n, Mix mix) {
        int size = preprocessing.size(), per = 3 * size * size;
        float[] original = pixels.clone();
        for (int i = 0; i < n; i++) {
            int p = mix.partner()[i];
            if (mix.box() == null) {
                float l = (float) mix.lambda();
                for (int k = 0; k < per; k++) pixels[i * per + k] = l * original[i * per + k] + (1 - l) * original[p * per + k];
            } else {
                int[] b = mix.box();
                for (int c = 0; c < 3; c++) {
                    for (int y = b[1]; y < b[3]; y++) {
                        for (int x = b[0]; x < b[2]; x++) {
                            int k = c * size * size + y * size + x;
                            pixels[i * per + k] = original[p * per + k];
                        }
                    }
                }
            }
        }
    }

    /** Beta(a, a) from two gamma draws. */
    static double beta(double a, SplittableRandom random) {
        double x = gamma(a, random), y = gamma(a, random);
        return x + y == 0 ? 0.5 : x / (x + y);
    }

    /** Marsaglia and Tsang's gamma sampler; shapes below 1 boosted by U^(1/a). */
    static double gamma(double a, SplittableRandom random) {
        if (a < 1) return gamma(a + 1, random) * Math.pow(random.nextDouble(), 1 / a);
        double d = a - 1.0 / 3, c = 1 / Math.sqrt(9 * d);
        while (true) {
            double x, v;
            do {
                x = normal(random);
                v = 1 + c * x;
            } while (v <= 0);
            v = v * v * v;
            double u = random.nextDouble();
            if (u < 1 - 0.0331 * x * x * x * x || Math.log(u) < 0.5 * x * x + d * (1 - v + Math.log(v))) return d * v;
        }
    }

    private static double normal(SplittableRandom random) {
        double u = random.nextDouble(), v = random.nextDouble();
        return Math.sqrt(-2 * Math.log(Math.max(u, 1e-300))) * Math.cos(2 * Math.PI * v);
    }
}
