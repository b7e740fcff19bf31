package dev.finetune4j.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class HostTensorTest {
    @Test
    void transposeSwapsRowsAndColumns() {
        HostTensor t = new HostTensor(new long[] {2, 3}, new float[] {1, 2, 3, 4, 5, 6});
        HostTensor tt = t.transpose2d();
        assertThat(tt.shape()).containsExactly(3, 2);
        assertThat(tt.data()).containsExactly(1, 4, 2, 5, 3, 6);
    }

    @Test
    void rejectsDataThatDoesNotFitTheShape() {
        assertThatThrownBy(() -> new HostTensor(new long[] {2, 2}, new float[3]))
                .hasMessageContaining("needs 4 values, got 3");
    }
}
