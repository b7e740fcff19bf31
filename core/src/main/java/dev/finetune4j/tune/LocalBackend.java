package dev.finetune4j.tune;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/** Trials on threads of this JVM, the cores shared out evenly (each trial gets cores / parallel tensor threads). */
public final class LocalBackend implements TrialBackend {
    private final int parallel;
    private final int threads;
    private final ExecutorService pool;
    private final AtomicInteger attempts = new AtomicInteger();

    public LocalBackend(int parallel) {
        this.parallel = Math.max(1, parallel);
        this.threads = Math.max(1, Runtime.getRuntime().availableProcessors() / this.parallel);
        this.pool = Executors.newFixedThreadPool(this.parallel, r -> {
            Thread t = new Thread(r, "trial-" + attempts.get());
            t.setDaemon(true);
            return t;
        });
    }

    @Override
    public String description() {
        return "local, " + parallel + " trial(s) at once with " + threads + " tensor thread(s) each";
    }

    @Override
    public int slots() {
        return parallel;
    }

    /** Tensor threads per trial. */
    public int threads() {
        return threads;
    }

    @Override
    public CompletableFuture<Void> submit(TrialTask task, TrialCoordinator coordinator) {
        String attempt = "local-" + ProcessHandle.current().pid() + "-" + attempts.incrementAndGet();
        return CompletableFuture.runAsync(() -> task.runAttempt(attempt, threads, coordinator), pool);
    }

    @Override
    public void close() {
        pool.shutdownNow();
    }
}
