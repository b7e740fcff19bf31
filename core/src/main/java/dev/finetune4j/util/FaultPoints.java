package dev.finetune4j.util;

/**
 * Test hook for crash tests: when the system property {@code ft4j.pauseAt} is {@code NAME:N}, the
 * N-th time the code reaches fault point NAME it prints {@code ft4j-paused-at NAME N} on stderr and
 * waits forever, so that a test can kill the process with SIGKILL exactly there. Unset, it costs
 * one property lookup.
 */
public final class FaultPoints {
    private FaultPoints() {}

    /** Fault points: after an optimizer step, inside a checkpoint write, right after an unfreeze. */
    public static final String STEP = "step", CHECKPOINT_WRITE = "checkpoint-write", UNFREEZE = "unfreeze";

    private static final java.util.Map<String, Integer> hits = new java.util.concurrent.ConcurrentHashMap<>();

    public static void reached(String name) {
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
