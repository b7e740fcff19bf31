package dev.finetune4j;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;

/**
 * The tensor runtime (DJL on PyTorch natives), started once per JVM with the settings that keep it
 * offline: {@code ai.djl.offline} stops DJL from looking for natives or models on the network and
 * {@code OPT_OUT_TRACKING} stops its usage ping to a cloud metadata address.
 */
public final class TensorRuntime {
    private static volatile boolean started;

    private TensorRuntime() {}

    /**
     * Starts the engine. {@code threads <= 0} means all cores. Thread counts are fixed at the
     * first call in a JVM (PyTorch reads them once).
     */
    public static synchronized void start(int threads) {
        if (started) return;
        System.setProperty("ai.djl.offline", "true");
        System.setProperty("OPT_OUT_TRACKING", "true");
        int n = threads > 0 ? threads : java.lang.Runtime.getRuntime().availableProcessors();
        System.setProperty("ai.djl.pytorch.num_threads", Integer.toString(n));
        System.setProperty("ai.djl.pytorch.num_interop_threads", "1");
        // DJL logs a line per engine start at INFO through slf4j; the CLI sets its own levels.
        Engine.getEngine("PyTorch");
        started = true;
    }

    public static NDManager newManager() {
        start(0);
        return NDManager.newBaseManager(Engine.getEngine("PyTorch").defaultDevice(), "PyTorch");
    }
}
