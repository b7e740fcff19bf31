package dev.finetune4j.model;

import java.util.Arrays;

/**
 * A float32 tensor held on the Java heap: what weight files are read into and written from,
 * independent of the tensor engine. Row-major, {@code data.length == product(shape)}.
 */
public record HostTensor(long[] shape, float[] data) {
    public HostTensor {
        long n = 1;
        for (long d : shape) {
            if (d < 0) throw new IllegalArgumentException("negative dimension in " + Arrays.toString(shape));
            n *= d;
        }
        if (n != data.length) {
            throw new IllegalArgumentException(
                    "shape " + Arrays.toString(shape) + " needs " + n + " values, got " + data.length);
        }
    }

    public long size() {
        return data.length;
    }

    /** The 2-D transpose ([a,b] -> [b,a]). */
    public HostTensor transpose2d() {
        if (shape.length != 2) throw new IllegalStateException("not 2-D: " + Arrays.toString(shape));
        int rows = (int) shape[0], cols = (int) shape[1];
        float[] out = new float[data.length];
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                out[c * rows + r] = data[r * cols + c];
            }
        }
        return new HostTensor(new long[] {cols, rows}, out);
    }

    public String shapeString() {
        return Arrays.toString(shape);
    }
}
