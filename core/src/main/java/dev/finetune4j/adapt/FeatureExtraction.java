package dev.finetune4j.adapt;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.finetune4j.model.Classifier;
import dev.finetune4j.model.ParameterStore;
import dev.finetune4j.model.TrainableModel;
import dev.finetune4j.train.BatchContext;
import dev.finetune4j.train.Evaluator;
import dev.finetune4j.train.LabelledInputs;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Feature extraction: the pre-trained body is frozen and, in inference mode, deterministic, so its
 * pooled output is computed once per example and only the head trains, on the cached features.
 * The cache lives on the heap, or in a file when it would take more than a given share of memory.
 */
public final class FeatureExtraction {
    private FeatureExtraction() {}

    /** The default limit for keeping features on the heap: a quarter of the JVM's maximum heap. */
    public static long defaultHeapLimitBytes() {
        return Runtime.getRuntime().maxMemory() / 4;
    }

    /** Freezes every parameter that is not part of the head. */
    public static void freezeBody(Classifier<?> model) {
        ParameterStore ps = model.parameters();
        for (String name : ps.parameterNames()) ps.setTrainable(name, model.isHead(name));
    }

    /** Runs the frozen body once over {@code data}: pooled features [n][hidden] on the heap, same labels. */
    public static <B> CachedFeatures extract(Classifier<B> model, LabelledInputs<B> data, int batchSize) {
        float[][] features = Evaluator.rows(data, batchSize, (scope, batch) -> model.features(scope, batch, false));
        return new CachedFeatures(features, data.labels());
    }

    /**
     * Runs the frozen body once over {@code data}; keeps the features on the heap if they take at
     * most {@code heapLimitBytes}, else writes them to a temporary file in {@code spillDirectory}
     * (removed on {@link Features#close()}).
     */
    public static <B> Features extract(Classifier<B> model, LabelledInputs<B> data, int batchSize,
            long heapLimitBytes, Path spillDirectory) {
        int size = Math.toIntExact(model.body().featureSize());
        long bytes = (long) data.size() * size * Float.BYTES;
        if (bytes <= heapLimitBytes) return extract(model, data, batchSize);
        DiskFeatures disk = DiskFeatures.create(spillDirectory, data.labels(), size);
        try {
            Evaluator.forEachBatch(data, batchSize, (scope, batch) -> model.features(scope, batch, false),
                    disk::write);
            return disk;
        } catch (RuntimeException e) {
            disk.close();
            throw e;
        }
    }

    /**
     * Features kept in {@code file} between runs (a tuning study's trials share one body): read when
     * the file exists, else extracted and written atomically. The caller names the file after
     * everything the features depend on (weights, pooling, inputs).
     */
    public static <B> CachedFeatures extractOrLoad(Classifier<B> model, LabelledInputs<B> data, int batchSize,
            Path file) {
        int h = Math.toIntExact(model.body().featureSize());
        if (Files.isRegularFile(file)) {
            try {
                byte[] bytes = Files.readAllBytes(file);
                if (bytes.length == (long) data.size() * h * Float.BYTES) {
                    java.nio.FloatBuffer fb = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer();
                    float[][] rows = new float[data.size()][h];
                    for (float[] row : rows) fb.get(row);
                    return new CachedFeatures(rows, data.labels());
                }
            } catch (IOException e) {
                // unreadable: extract again and replace it
            }
        }
        CachedFeatures f = extract(model, data, batchSize);
        try {
            dev.finetune4j.util.AtomicFiles.write(file, ch -> {
                ByteBuffer b = ByteBuffer.allocate(h * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
                for (float[] row : f.features()) {
                    b.clear();
                    b.asFloatBuffer().put(row);
                    while (b.hasRemaining()) ch.write(b);
                }
            });
        } catch (IOException e) {
            throw dev.finetune4j.util.AtomicFiles.writeFailed(file, e);
        }
        return f;
    }

    /** Cached body outputs; every example has the same cost, so batches need no bucketing. */
    public sealed interface Features extends LabelledInputs<NDArray>, AutoCloseable permits CachedFeatures, DiskFeatures {
        /** Where the cache lives: "memory" or "disk". */
        String store();

        /** The cache's size in bytes. */
        long bytes();

        /** Class index per example (the cache's own array: do not modify). */
        @Override
        int[] labels();

        @Override
        default int size() {
            return labels().length;
        }

        @Override
        default int label(int i) {
            return labels()[i];
        }

        @Override
        default int length(int i) {
            return 1;
        }

        @Override
        void close();
    }

    /** Body outputs kept on the heap. */
    public record CachedFeatures(float[][] features, int[] labels) implements Features {
        @Override
        public NDArray collate(NDManager step, int[] indices, BatchContext context) {
            int h = features[0].length;
            float[] flat = new float[indices.length * h];
            for (int i = 0; i < indices.length; i++) System.arraycopy(features[indices[i]], 0, flat, i * h, h);
            return step.create(flat, new Shape(indices.length, h));
        }

        @Override
        public String store() {
            return "memory";
        }

        @Override
        public long bytes() {
            return labels.length == 0 ? 0 : (long) labels.length * features[0].length * Float.BYTES;
        }

        @Override
        public void close() {}
    }

    /** Body outputs in a file of float32 rows; a batch reads its rows with positional reads (page-cached by the OS). */
    public static final class DiskFeatures implements Features {
        private final Path file;
        private final FileChannel channel;
        private final int[] labels;
        private final int hidden;

        private DiskFeatures(Path file, FileChannel channel, int[] labels, int hidden) {
            this.file = file;
            this.channel = channel;
            this.labels = labels;
            this.hidden = hidden;
        }

        static DiskFeatures create(Path directory, int[] labels, int hidden) {
            try {
                Files.createDirectories(directory);
                Path file = Files.createTempFile(directory, "features-", ".f32");
                file.toFile().deleteOnExit();
                FileChannel channel = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE);
                return new DiskFeatures(file, channel, labels.clone(), hidden);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot create a feature cache in " + directory + ": " + e.getMessage(), e);
            }
        }

        void write(int[] indices, float[] rows) {
            ByteBuffer buffer = ByteBuffer.allocate(hidden * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
            for (int i = 0; i < indices.length; i++) {
                buffer.clear();
                buffer.asFloatBuffer().put(rows, i * hidden, hidden);
                try {
                    long at = (long) indices[i] * hidden * Float.BYTES;
                    while (buffer.hasRemaining()) at += channel.write(buffer, at);
                } catch (IOException e) {
                    throw new UncheckedIOException("cannot write the feature cache " + file + ": " + e.getMessage(), e);
                }
            }
        }

        public Path file() {
            return file;
        }

        @Override
        public int[] labels() {
            return labels;
        }

        @Override
        public NDArray collate(NDManager step, int[] indices, BatchContext context) {
            float[] flat = new float[indices.length * hidden];
            ByteBuffer buffer = ByteBuffer.allocate(hidden * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
            for (int i = 0; i < indices.length; i++) {
                buffer.clear();
                try {
                    long at = (long) indices[i] * hidden * Float.BYTES;
                    while (buffer.hasRemaining()) {
                        int read = channel.read(buffer, at);
                        if (read < 0) throw new IOException("unexpected end of file");
                        at += read;
                    }
                } catch (IOException e) {
                    throw new UncheckedIOException("cannot read the feature cache " + file + ": " + e.getMessage(), e);
                }
                buffer.flip();
                buffer.asFloatBuffer().get(flat, i * hidden, hidden);
            }
            return step.create(flat, new Shape(indices.length, hidden));
        }

        @Override
        public String store() {
            return "disk";
        }

        @Override
        public long bytes() {
            return (long) labels.length * hidden * Float.BYTES;
        }

        @Override
        public void close() {
            try {
                channel.close();
                Files.deleteIfExists(file);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot remove the feature cache " + file + ": " + e.getMessage(), e);
            }
        }
    }

    /** The head of {@code model} as a model of its own, over cached features. */
    public static TrainableModel<NDArray> head(Classifier<?> model) {
        return new TrainableModel<>() {
            @Override
            public NDArray logits(NDManager step, NDArray features, boolean training) {
                return model.head(features, training);
            }

            @Override
            public ParameterStore parameters() {
                return model.parameters();
            }

            @Override
            public boolean isHead(String parameterName) {
                return model.isHead(parameterName);
            }

            @Override
            public boolean takesNoDecay(String parameterName) {
                return model.takesNoDecay(parameterName);
            }
        };
    }
}
