package dev.finetune4j.track;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What a rerun must match to give the same model bytes, as measured (docs/robustness.md): the same
 * recipe, data, model and versions, the same intra-op thread count (1 and 2 threads give different
 * gradients) and the same PyTorch CPU kernels (AVX2 and AVX-512 give different forward passes).
 * The allocator, the MKL settings and libgomp's spin count did not change a single bit on the
 * machine measured; they are recorded because the launcher sets them.
 */
public final class Reproducibility {
    private Reproducibility() {}

    /** The {@code reproducibility} section of {@code metrics.json} for a run trained on {@code threads} threads. */
    public static Map<String, Object> of(int intraOpThreads) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("same_bytes_when", "the same recipe, data, model, finetune4j and PyTorch versions, intra_op_threads and"
                + " cpu_kernels");
        m.put("intra_op_threads", intraOpThreads);
        m.put("cpu_kernels", cpuKernels(System.getenv("ATEN_CPU_CAPABILITY"), cpuFlags()));
        m.put("cpu", cpuModel());
        m.put("allocator", allocator(System.getenv("LD_PRELOAD")));
        m.put("mkl_cbwr", System.getenv("MKL_CBWR"));
        m.put("mkl_dynamic", System.getenv("MKL_DYNAMIC"));
        m.put("gomp_spincount", System.getenv("GOMP_SPINCOUNT")); // speed beside other work, not the bytes
        return m;
    }

    /**
     * The kernels PyTorch's CPU dispatch picks: AVX-512 when the CPU has avx512f/bw/vl/dq and fma, else
     * AVX2 with fma, else the default; {@code ATEN_CPU_CAPABILITY} can only lower it.
     */
    static String cpuKernels(String requested, Set<String> flags) {
        List<String> order = List.of("default", "avx2", "avx512");
        String detected = flags.containsAll(Set.of("avx512f", "avx512bw", "avx512vl", "avx512dq", "fma")) ? "avx512"
                : flags.containsAll(Set.of("avx2", "fma")) ? "avx2" : "default";
        if (requested == null || !order.contains(requested.toLowerCase())) return detected;
        String r = requested.toLowerCase();
        return order.indexOf(r) < order.indexOf(detected) ? r : detected;
    }

    static String allocator(String ldPreload) {
        if (ldPreload == null || ldPreload.isBlank()) return "system malloc";
        if (ldPreload.contains("tcmalloc")) return "tcmalloc";
        if (ldPreload.contains("jemalloc")) return "jemalloc";
        return "LD_PRELOAD=" + ldPreload;
    }

    private static Set<String> cpuFlags() {
        String line = cpuinfo("flags");
        return line == null ? Set.of() : Set.of(line.trim().split("\\s+"));
    }

    private static String cpuModel() {
        String model = cpuinfo("model name");
        return model != null ? model.trim() : System.getProperty("os.arch");
    }

    private static String cpuinfo(String key) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                int colon = line.indexOf(':');
                if (colon > 0 && line.substring(0, colon).trim().equals(key)) return line.substring(colon + 1);
            }
        } catch (IOException | RuntimeException e) {
            // not Linux: the fields stay unknown
        }
        return null;
    }
}
