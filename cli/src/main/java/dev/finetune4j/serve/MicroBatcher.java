package dev.finetune4j.serve;

import dev.finetune4j.pipeline.Predictor.Prediction;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;

/**
 * Groups the inputs (texts, or decoded images) of concurrent requests into batches for one model
 * worker thread.
 *
 * <p>A forward pass over 16 texts costs far less than 16 passes over one, so the worker takes
 * up to {@code maxBatch} waiting inputs at once, waiting at most {@code maxWaitMs} for more once
 * the first is there. Inputs from one request may span batches; its future completes when its
 * last input is done. The predictor is called only from the worker thread, so a model that is not
 * thread-safe needs no lock. A predictor failure fails the requests of that batch and nothing else.
 *
 * @param <T> what the model reads: {@code String} texts or {@code DecodedImage}s
 */
public final class MicroBatcher<T> implements AutoCloseable {
    /** The queue has no room for a request's inputs: the caller should answer 503 and try later. */
    public static final class Overloaded extends RuntimeException {
        Overloaded(String message) {
            super(message, null, false, false);
        }
    }

    /** Counters for GET /v1/stats and the batching test; {@code texts} counts the inputs, images for an image model. */
    public record Stats(long requests, long texts, long batches, int largestBatch, int queuedTexts, long rejected,
            long failedBatches) {}

    private static final class Job {
        final Prediction[] results;
        final CompletableFuture<List<Prediction>> future = new CompletableFuture<>();
        final AtomicInteger remaining;

        Job(int n) {
            results = new Prediction[n];
            remaining = new AtomicInteger(n);
        }
    }

    /** {@code input} is a {@code T}: Object only so that one STOP item serves every batcher. */
    private record Item(Object input, Job job, int index) {}

    private static final Item STOP = new Item(null, null, -1);

    private final Function<List<T>, List<Prediction>> predictor;
    private final String noun;
    private final int maxBatch;
    private final long maxWaitNanos;
    private final int maxQueue;
    private final LinkedBlockingQueue<Item> queue = new LinkedBlockingQueue<>();
    private final AtomicInteger queued = new AtomicInteger();
    private final AtomicLong requests = new AtomicLong();
    private final AtomicLong texts = new AtomicLong();
    private final AtomicLong batches = new AtomicLong();
    private final AtomicLong rejected = new AtomicLong();
    private final AtomicLong failedBatches = new AtomicLong();
    private final AtomicInteger largest = new AtomicInteger();
    private final Thread worker;
    private volatile boolean closed;

    /** A batcher whose messages call an input a text. */
    public MicroBatcher(Function<List<T>, List<Prediction>> predictor, int maxBatch, int maxWaitMs, int maxQueue) {
        this(predictor, maxBatch, maxWaitMs, maxQueue, "text");
    }

    /** @param noun what one input is called in messages: "text", "image" */
    public MicroBatcher(Function<List<T>, List<Prediction>> predictor, int maxBatch, int maxWaitMs, int maxQueue,
            String noun) {
        if (maxBatch < 1 || maxWaitMs < 0 || maxQueue < 1) throw new IllegalArgumentException("bad batcher limits");
        this.predictor = predictor;
        this.noun = noun;
        this.maxBatch = maxBatch;
        this.maxWaitNanos = TimeUnit.MILLISECONDS.toNanos(maxWaitMs);
        this.maxQueue = maxQueue;
        this.worker = new Thread(this::work, "ft4j-model-worker");
        worker.setDaemon(true);
        worker.start();
    }

    /**
     * Queues {@code inputs}; the future completes with one prediction per input, in order.
     *
     * @throws Overloaded when more than maxQueue inputs would be waiting
     */
    public CompletableFuture<List<Prediction>> submit(List<T> inputs) {
        if (closed) throw new IllegalStateException("the batcher is closed");
        int n = inputs.size();
        if (n == 0) return CompletableFuture.completedFuture(List.of());
        if (queued.addAndGet(n) > maxQueue) {
            queued.addAndGet(-n);
            rejected.incrementAndGet();
            throw new Overloaded(n + " " + noun + "(s) would exceed the queue limit of " + maxQueue
                    + " waiting " + noun + "s (--max-queue)");
        }
        Job job = new Job(n);
        for (int i = 0; i < n; i++) queue.add(new Item(inputs.get(i), job, i));
        requests.incrementAndGet();
        return job.future;
    }

    public Stats stats() {
        return new Stats(requests.get(), texts.get(), batches.get(), largest.get(), queued.get(), rejected.get(),
                failedBatches.get());
    }

    private void work() {
        List<Item> batch = new ArrayList<>(maxBatch);
        try {
            while (true) {
                Item first = queue.take();
                if (first == STOP) return;
                batch.add(first);
                long deadline = System.nanoTime() + maxWaitNanos;
                boolean stop = false;
                while (batch.size() < maxBatch) {
                    Item next = queue.poll();
                    if (next == null) {
                        long left = deadline - System.nanoTime();
                        if (left <= 0) break;
                        next = queue.poll(left, TimeUnit.NANOSECONDS);
                        if (next == null) break;
                    }
                    if (next == STOP) {
                        stop = true;
                        break;
                    }
                    batch.add(next);
                }
                run(batch);
                batch.clear();
                if (stop) return;
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            failAll(batch, new IllegalStateException("the prediction server is shutting down"));
            List<Item> left = new ArrayList<>();
            queue.drainTo(left);
            failAll(left, new IllegalStateException("the prediction server is shutting down"));
        }
    }

    private void run(List<Item> batch) {
        queued.addAndGet(-batch.size());
        List<Item> live = new ArrayList<>(batch.size());
        for (Item item : batch) if (!item.job.future.isDone()) live.add(item);
        if (live.isEmpty()) return;
        List<T> inputs = new ArrayList<>(live.size());
        for (Item item : live) inputs.add(input(item));
        List<Prediction> out;
        try {
            out = predictor.apply(inputs);
            if (out.size() != inputs.size()) {
                throw new IllegalStateException("the model returned " + out.size() + " predictions for "
                        + inputs.size() + " " + noun + "s");
            }
        } catch (Throwable t) { // a bad batch must not end the worker: the server stays up for the next one
            failedBatches.incrementAndGet();
            failAll(live, t);
            return;
        }
        batches.incrementAndGet();
        texts.addAndGet(live.size());
        largest.accumulateAndGet(live.size(), Math::max);
        for (int i = 0; i < live.size(); i++) {
            Item item = live.get(i);
            item.job.results[item.index] = out.get(i);
            if (item.job.remaining.decrementAndGet() == 0) item.job.future.complete(Arrays.asList(item.job.results));
        }
    }

    @SuppressWarnings("unchecked") // submit(List<T>) is the only way in
    private T input(Item item) {
        return (T) item.input;
    }

    private static void failAll(List<Item> items, Throwable t) {
        for (Item item : items) if (item != STOP) item.job.future.completeExceptionally(t);
    }

    /** Finishes the inputs already queued, then stops the worker; waits at most {@code waitMs}. */
    public void close(long waitMs) {
        if (closed) return;
        closed = true;
        queue.add(STOP);
        try {
            worker.join(Math.max(1, waitMs));
            if (worker.isAlive()) {
                worker.interrupt();
                worker.join(1000);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Whether the worker has ended, so the model may be closed. */
    public boolean stopped() {
        return !worker.isAlive();
    }

    @Override
    public void close() {
        close(10_000);
    }
}
