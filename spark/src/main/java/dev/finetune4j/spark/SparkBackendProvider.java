package dev.finetune4j.spark;

import dev.finetune4j.tune.TrialBackend;
import java.io.PrintStream;

/** {@code ft4j tune --backend spark [--master URL]}. */
public final class SparkBackendProvider implements TrialBackend.Provider {
    @Override
    public String name() {
        return "spark";
    }

    @Override
    public TrialBackend open(String master, int parallel, PrintStream log) {
        return new SparkBackend(master, parallel, log);
    }
}
