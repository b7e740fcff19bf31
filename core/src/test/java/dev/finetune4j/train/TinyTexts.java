package dev.finetune4j.train;

import ai.djl.ndarray.NDManager;
import dev.finetune4j.model.TextBatch;
import java.util.Arrays;

/** Test fixture: four labelled token sequences of length 4 for tiny random-init models. */
public final class TinyTexts {
    private TinyTexts() {}

    public static LabelledInputs<TextBatch> four() {
        long[][] ids = {{1, 5, 9, 2}, {1, 6, 8, 2}, {1, 11, 12, 2}, {1, 13, 3, 2}};
        int[] y = {0, 1, 0, 1};
        return new LabelledInputs<>() {
            @Override
            public int size() {
                return ids.length;
            }

            @Override
            public int label(int i) {
                return y[i];
            }

            @Override
            public int length(int i) {
                return ids[i].length;
            }

            @Override
            public TextBatch collate(NDManager step, int[] indices, BatchContext context) {
                long[][] chosen = new long[indices.length][];
                long[][] mask = new long[indices.length][4];
                for (int i = 0; i < indices.length; i++) {
                    chosen[i] = ids[indices[i]];
                    Arrays.fill(mask[i], 1);
                }
                return new TextBatch(step.create(chosen), step.create(mask), step.create(new long[indices.length][4]));
            }
        };
    }
}
