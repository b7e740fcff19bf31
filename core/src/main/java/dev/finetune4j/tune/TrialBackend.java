package dev.finetune4j.tune;

import java.io.PrintStream;
import java.util.concurrent.CompletableFuture;

/**
 * Where a study's trials run: threads in this JVM ({@link LocalBackend}) or tasks on a cluster
 * (the optional {@code finetune4j-spark} module, found through {@link Provider}).
 */
public interface TrialBackend extends AutoCloseable {
    /** For the study log, e.g. {@code local, 2 trials at once}. */
    String description();

    /** How many trials may run at once. */
    int slots();

    /**
     * Runs the trial somewhere. The trial records itself through {@code coordinator}; the future
     * completes when it has ended, exceptionally when the backend could not run it at all.
     */
    CompletableFuture<Void> submit(TrialTask task, TrialCoordinator coordinator);

    @Override
    void close();

    /** A backend in another module, listed in {@code META-INF/services/dev.finetune4j.tune.TrialBackend$Provider}. */
    interface Provider {
        /** The name users give with {@code --backend}. */
        String name();

        /**
         * @param master where the cluster is (null: the backend's default)
         * @param parallel trials at once (0: as many as the cluster has task slots)
         */
        TrialBackend open(String master, int parallel, PrintStream log);
    }
}
