package dev.finetune4j.vision;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.finetune4j.train.BatchContext;
import dev.finetune4j.train.LabelledInputs;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.IntStream;

/**
 * A labelled split of images as a body consumes them: [batch, 3, size, size] floats, preprocessed
 * as the body expects and, for training batches, augmented. Images are decoded on first use and kept
 * fitted (shorter side at the preprocessing's resize) while the cache stays within its share of the
 * heap; beyond it they are decoded again for each batch. Batches are made in parallel, and the
 * trainer's {@link #prefetch} hint has the next one made on a thread of its own while the model
 * computes.
 */
final class ImageInputs implements LabelledInputs<NDArray> {
    /** What the fitted images of every split may take of the heap together. */
    private static final long CACHE_LIMIT = Runtime.getRuntime().maxMemory() / 3;
    private static final AtomicLong CACHED_BYTES = new AtomicLong();

    private final List<String> paths;
    private final int[] labels;
    private final Preprocessing preprocessing;
    private final Augmentation augmentation;
    private final int classes;
    private final Rgb[] cache;
    private Pending pending;
    private static final ExecutorService PREFETCHER = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "ft4j-image-prefetch");
        t.setDaemon(true);
        return t;
    });

    private record Pending(int[] indices, BatchContext context, CompletableFuture<float[]> pixels) {}

    /** @param augmentation null: training batches are preprocessed as evaluation ones */
    ImageInputs(List<String> paths, int[] labels, Preprocessing preprocessing, Augmentation augmentation, int classes) {
        if (paths.size() != labels.length) throw new IllegalArgumentException("paths and labels differ in size");
        this.paths = List.copyOf(paths);
        this.labels = labels.clone();
        this.preprocessing = preprocessing;
        this.augmentation = augmentation;
        this.classes = classes;
        this.cache = new Rgb[paths.size()];
    }

    /** Images given in memory (a server's request, decoded), for prediction: fitted now, never augmented. */
    static ImageInputs of(List<DecodedImage> images, Preprocessing preprocessing) {
        ImageInputs in = new ImageInputs(java.util.Collections.nCopies(images.size(), "(in memory)"),
                new int[images.size()], preprocessing, null, 1);
        for (int i = 0; i < images.size(); i++) in.cache[i] = preprocessing.fitted(Rgb.of(images.get(i)));
        return in;
    }

    @Override
    public int size() {
        return paths.size();
    }

    @Override
    public int label(int i) {
        return labels[i];
    }

    /** Every image costs the same: one size. */
    @Override
    public int length(int i) {
        return 1;
    }

    Preprocessing preprocessing() {
        return preprocessing;
    }

    String path(int i) {
        return paths.get(i);
    }

    @Override
    public void prefetch(int[] indices, BatchContext context) {
        if (pending != null && !pending.pixels().isDone()) return; // one ahead is enough
        int[] copy = indices.clone();
        pending = new Pending(copy, context, CompletableFuture.supplyAsync(() -> pixels(copy, context), PREFETCHER));
    }

    @Override
    public NDArray collate(NDManager scope, int[] indices, BatchContext context) {
        float[] pixels = null;
        Pending p = pending;
        if (p != null && Arrays.equals(p.indices(), indices) && p.context().equals(context)) {
            pending = null;
            try {
                pixels = p.pixels().join();
            } catch (java.util.concurrent.CompletionException e) {
                if (e.getCause() instanceof RuntimeException r) throw r; // a UserError: an image gone mid-run
                throw e;
            }
        }
        if (pixels == null) pixels = pixels(indices, context);
        int s = preprocessing.size();
        return scope.create(pixels, new Shape(indices.length, 3, s, s));
    }

    /** Soft targets of a mixed training batch: what mixup and cutmix teach; null when the batch is not mixed. */
    @Override
    public NDArray targets(NDManager scope, int[] indices, BatchContext context) {
        Augmentation.Mix mix = mixOf(indices.length, context);
        if (mix == null) return null;
        float[] t = new float[indices.length * classes];
        for (int i = 0; i < indices.length; i++) {
            t[i * classes + labels[indices[i]]] += (float) mix.lambda();
            t[i * classes + labels[indices[mix.partner()[i]]]] += (float) (1 - mix.lambda());
        }
        return scope.create(t, new Shape(indices.length, classes));
    }

    private Augmentation.Mix mixOf(int n, BatchContext context) {
        if (!context.training() || augmentation == null || !augmentation.mixes()) return null;
        // Its own stream, apart from the images' draws: the same mix whatever the batch's images drew.
        return augmentation.mix(n, new SplittableRandom(context.random().nextLong() ^ 0x6D69787570L));
    }

    /** The batch's pixels, images made in parallel, each from a generator split off in index order (the same on any thread). */
    float[] pixels(int[] indices, BatchContext context) {
        int s = preprocessing.size(), per = 3 * s * s;
        float[] out = new float[indices.length * per];
        boolean augment = context.training() && augmentation != null;
        SplittableRandom[] randoms = new SplittableRandom[indices.length];
        if (augment) {
            SplittableRandom r = context.random();
            for (int i = 0; i < randoms.length; i++) randoms[i] = r.split();
        }
        Runnable fill = () -> IntStream.range(0, indices.length).parallel().forEach(i -> {
            Rgb fitted = fitted(indices[i]);
            if (augment) augmentation.apply(fitted, randoms[i], out, i * per);
            else preprocessing.centre(fitted, out, i * per);
        });
        ForkJoinPool.commonPool().submit(fill).join();
        Augmentation.Mix mix = mixOf(indices.length, context);
        if (mix != null) augmentation.mixPixels(out, indices.length, mix);
        return out;
    }

    private Rgb fitted(int i) {
        Rgb cached = cache[i];
        if (cached != null) return cached;
        Rgb fitted = preprocessing.fitted(decode(paths.get(i)));
        long bytes = fitted.data().length;
        if (CACHED_BYTES.addAndGet(bytes) <= CACHE_LIMIT) cache[i] = fitted;
        else CACHED_BYTES.addAndGet(-bytes);
        return fitted;
    }

    static Rgb decode(String path) {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(Path.of(path));
        } catch (IOException e) {
            throw new dev.finetune4j.UserError(path + ": cannot read the image (" + e.getMessage() + "); it was readable"
                    + " when the data was cleaned — was it moved or deleted during the run?", e);
        }
        DecodedImage.Result r = DecodedImage.decode(bytes);
        if (!r.ok()) {
            throw new dev.finetune4j.UserError(path + ": " + r.failure().description() + " — it decoded when the data was"
                    + " cleaned: was it changed during the run?");
        }
        return Rgb.of(r.image());
    }

    /** Frees the cache's share of the heap; the inputs stay usable (images are decoded again). */
    void release() {
        Pending p = pending;
        pending = null;
        if (p != null) p.pixels().exceptionally(e -> null).join(); // a prefetch in flight would cache after us
        for (int i = 0; i < cache.length; i++) {
            if (cache[i] != null) CACHED_BYTES.addAndGet(-cache[i].data().length);
            cache[i] = null;
        }
    }

    /** A digest of what the body sees: the files' paths and the preprocessing (the files were hashed when cleaned). */
    String digest() {
        StringBuilder sb = new StringBuilder(preprocessing.toString());
        for (String p : paths) sb.append('\n').append(p).append(' ').append(dev.finetune4j.track.Provenance.sha256(Path.of(p)));
        return dev.finetune4j.track.Provenance.sha256(sb.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }
}
