package dev.finetune4j.vision;

/**
 * An 8-bit RGB image, row-major, three bytes a pixel: what the inputs keep of each image between
 * decoding and a batch (a third of {@link DecodedImage}'s packed ints per pixel, a quarter of floats).
 */
record Rgb(int width, int height, byte[] data) {
    static Rgb of(DecodedImage image) {
        int[] px = image.rgb();
        byte[] out = new byte[px.length * 3];
        for (int i = 0; i < px.length; i++) {
            out[3 * i] = (byte) (px[i] >> 16);
            out[3 * i + 1] = (byte) (px[i] >> 8);
            out[3 * i + 2] = (byte) px[i];
        }
        return new Rgb(image.width(), image.height(), out);
    }

    /** Channel {@code c} of pixel (x, y), 0..255. */
    int at(int x, int y, int c) {
        return data[(y * width + x) * 3 + c] & 0xFF;
    }

    /**
     * Resampled to {@code ow x oh} as PIL resizes with its bilinear filter: a triangle filter
     * widened by the scale when shrinking, so that every source pixel counts (no aliasing), and
     * plain bilinear interpolation between pixel centres when enlarging.
     */
    Rgb resized(int ow, int oh) {
        if (ow == width && oh == height) return this;
        float[] rows = resampleRows(this, ow);
        byte[] out = resampleColumns(rows, ow, height, oh);
        return new Rgb(ow, oh, out);
    }

    /** The first pass: every row to {@code ow} pixels, floats [height][ow][3]. */
    private static float[] resampleRows(Rgb src, int ow) {
        Filter f = Filter.of(src.width, ow);
        float[] out = new float[src.height * ow * 3];
        for (int y = 0; y < src.height; y++) {
            for (int x = 0; x < ow; x++) {
                float r = 0, g = 0, b = 0;
                int first = f.first[x];
                for (int k = 0; k < f.count[x]; k++) {
                    float w = f.weights[x * f.taps + k];
                    int i = (y * src.width + first + k) * 3;
                    r += w * (src.data[i] & 0xFF);
                    g += w * (src.data[i + 1] & 0xFF);
                    b += w * (src.data[i + 2] & 0xFF);
                }
                int o = (y * ow + x) * 3;
                out[o] = r;
                out[o + 1] = g;
                out[o + 2] = b;
            }
        }
        return out;
    }

    /** The second pass: every column of the row-resampled floats to {@code oh} pixels, rounded to bytes. */
    private static byte[] resampleColumns(float[] rows, int width, int height, int oh) {
        Filter f = Filter.of(height, oh);
        byte[] out = new byte[oh * width * 3];
        for (int y = 0; y < oh; y++) {
            int first = f.first[y];
            for (int x = 0; x < width; x++) {
                for (int c = 0; c < 3; c++) {
                    float v = 0;
                    for (int k = 0; k < f.count[y]; k++) v += f.weights[y * f.taps + k] * rows[((first + k) * width + x) * 3 + c];
                    out[(y * width + x) * 3 + c] = (byte) Math.max(0, Math.min(255, Math.round(v)));
                }
            }
        }
        return out;
    }

    /** The source span and normalised weights of each output pixel along one axis (PIL's precompute_coeffs). */
    private record Filter(int taps, int[] first, int[] count, float[] weights) {
        static Filter of(int in, int out) {
            double scale = (double) in / out;
            double filterScale = Math.max(scale, 1.0);
            double support = filterScale; // the bilinear (triangle) filter has support 1
            int taps = (int) Math.ceil(support) * 2 + 2;
            int[] first = new int[out];
            int[] count = new int[out];
            float[] weights = new float[out * taps];
            for (int i = 0; i < out; i++) {
                double centre = (i + 0.5) * scale;
                int lo = Math.max(0, (int) (centre - support + 0.5));
                int hi = Math.min(in, (int) (centre + support + 0.5));
                double sum = 0;
                double[] w = new double[hi - lo];
                for (int j = lo; j < hi; j++) {
                    double t = Math.abs((j - centre + 0.5) / filterScale);
                    w[j - lo] = t < 1 ? 1 - t : 0;
                    sum += w[j - lo];
                }
                first[i] = lo;
                count[i] = hi - lo;
                for (int j = 0; j < w.length; j++) weights[i * taps + j] = (float) (sum == 0 ? 0 : w[j] / sum);
            }
            return new Filter(taps, first, count, weights);
        }
    }
}
