package dev.finetune4j.model.io;

import dev.finetune4j.model.HostTensor;
import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class OnnxRuntimeReferenceTest {
    @Test
    void runsMiniLmAndReturnsLastHiddenState() {
        try (OnnxRuntimeReference ref = OnnxRuntimeReference.miniLm()) {
            assertThat(ref.inputNames()).containsExactlyInAnyOrder("input_ids", "attention_mask", "token_type_ids");
            assertThat(ref.outputNames()).contains("last_hidden_state");
            // [CLS] hello world [SEP] + one padding position, and a second sequence
            long[][] ids = {{101, 7592, 2088, 102, 0}, {101, 2088, 102, 0, 0}};
            long[][] mask = {{1, 1, 1, 1, 0}, {1, 1, 1, 0, 0}};
            HostTensor h = ref.lastHiddenState(ids, mask, null);
            assertThat(h.shape()).containsExactly(2, 5, 384);
            for (float v : h.data()) assertThat(Float.isFinite(v)).isTrue();
            // batching does not change a sequence's result
            HostTensor single = ref.lastHiddenState(new long[][] {{101, 7592, 2088, 102}}, new long[][] {{1, 1, 1, 1}}, null);
            for (int i = 0; i < 4 * 384; i++) {
                assertThat(h.data()[i]).isCloseTo(single.data()[i], org.assertj.core.data.Offset.offset(1e-4f));
            }
        }
    }
}
