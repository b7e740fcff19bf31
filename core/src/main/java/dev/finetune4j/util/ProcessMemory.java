package dev.finetune4j.util;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** This process's resident memory from /proc/self/status (Linux); -1 where that is not available. */
public final class ProcessMemory {
    private ProcessMemory() {}

    /** Resident set size now, in MB. */
    public static long rssMb() {
        return statusMb("VmRSS:");
    }

    /** The JVM's committed heap in MB: resident memory the Java heap holds (grown, not necessarily in use). */
    public static long heapCommittedMb() {
        return java.lang.management.ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getCommitted() >> 20;
    }

    /** The highest resident set size so far, in MB. */
    public static long peakRssMb() {
        return statusMb("VmHWM:");
    }

    private static long statusMb(String field) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith(field)) return Long.parseLong(line.replaceAll("\\D", "")) / 1024;
            }
        } catch (IOException | RuntimeException e) {
            // not Linux
        }
        return -1;
    }
}
