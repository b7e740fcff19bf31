package dev.finetune4j.track;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Set;
import org.junit.jupiter.api.Test;

class ReproducibilityTest {
    static final Set<String> SAPPHIRE_RAPIDS = Set.of("fma", "avx2", "avx512f", "avx512bw", "avx512vl", "avx512dq");
    static final Set<String> HASWELL = Set.of("fma", "avx2");

    @Test
    void cpuKernelsFollowPyTorchsDispatch() {
        assertThat(Reproducibility.cpuKernels(null, SAPPHIRE_RAPIDS)).isEqualTo("avx512");
        assertThat(Reproducibility.cpuKernels(null, HASWELL)).isEqualTo("avx2");
        assertThat(Reproducibility.cpuKernels(null, Set.of("sse4_2"))).isEqualTo("default");
        // avx512f alone (Xeon Phi) is not enough for PyTorch's AVX-512 kernels
        assertThat(Reproducibility.cpuKernels(null, Set.of("fma", "avx2", "avx512f"))).isEqualTo("avx2");
    }

    @Test
    void atenCpuCapabilityCanOnlyLowerTheKernels() {
        assertThat(Reproducibility.cpuKernels("avx2", SAPPHIRE_RAPIDS)).isEqualTo("avx2");
        assertThat(Reproducibility.cpuKernels("DEFAULT", SAPPHIRE_RAPIDS)).isEqualTo("default");
        assertThat(Reproducibility.cpuKernels("avx512", HASWELL)).isEqualTo("avx2");
        assertThat(Reproducibility.cpuKernels("bogus", HASWELL)).isEqualTo("avx2");
    }

    @Test
    void theAllocatorIsReadFromThePreload() {
        assertThat(Reproducibility.allocator("/usr/lib/x86_64-linux-gnu/libtcmalloc_minimal.so.4")).isEqualTo("tcmalloc");
        assertThat(Reproducibility.allocator(null)).isEqualTo("system malloc");
        assertThat(Reproducibility.allocator("/opt/libfoo.so")).isEqualTo("LD_PRELOAD=/opt/libfoo.so");
    }
}
