package dev.finetune4j.util;

/**
 * Test hook for crash tests: when the system property {@code ft4j.pauseAt} is {@code NAME:N}, the
 * N-th time the code reaches fault point NAME it prints {@code ft4j-paused-at NAME N} on stderr and
 * waits forever, so that a test can kill the process with SIGKILL exactly there. Unset, it costs
 * one property lookup.
 *
 * <p>{@code ft4j.haltOnceAt=NAME:FILE} makes the first process to reach NAME while FILE does not
 * exist create FILE and halt at once (exit 137, no shutdown hooks): a machine lost at that point,
 * once across every process of a cluster test.
 */
public final class FaultPoints {
    private FaultPoints() {}

    /** Fault points: after an optimizer step, inside a checkpoint write, right after an unfreeze. */
    public static final String STEP = "step", CHECKPOINT_WRITE = "checkpoint-write", UNFREEZE = "unfreeze";
    /** After a tuning trial's result was recorded and before its runner returns. */
    public static final String TRIAL_FINISHED = "trial-finished";

    private static final java.util.Map<String, Integer> hits = new java.util.concurrent.ConcurrentHashMap<>();

    public static void reached(String name) {
        String halt = System.getProperty("ft4j.haltOnceAt");
        if (halt != null && halt.startsWith(name + ":")) {
            try {
                java.nio.file.Files.createFile(java.nio.file.Path.of(halt.substring(name.length() + 1)));
                System.err.println("ft4j-halted-at " + name);
                System.err.flush();
                Runtime.getRuntime().halt(137);
            } catch (java.nio.file.FileAlreadyExistsException e) {
                // another process already halted here
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }
        String spec = System.getProperty("ft4j.pauseAt");
        if (spec == null || !spec.startsWith(name + ":")) return;
        int n = hits.merge(name, 1, Integer::sum);
        if (n != Integer.parseInt(spec.substring(name.length() + 1))) return;
        System.err.println("ft4j-paused-at " + name + " " + n);
        System.err.flush();
        while (true) {
            try {
                Thread.sleep(60_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }
}
