package dev.finetune4j.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.jni.JniUtils;
import dev.finetune4j.TensorRuntime;
import dev.finetune4j.data.LengthBucketBatcher;
import dev.finetune4j.eval.ClassificationMetrics;
import dev.finetune4j.eval.ClassificationReport;
import dev.finetune4j.model.TrainableModel;
import java.util.List;

/** Runs a model in inference mode over a split and scores it. */
public final class Evaluator {
    private Evaluator() {}

    /** Class probabilities [n][classes], in the order of {@code data}. */
    public static <B> float[][] probabilities(TrainableModel<B> model, LabelledInputs<B> data, int batchSize) {
        return rows(data, batchSize, (scope, batch) -> model.logits(scope, batch, false).softmax(-1));
    }

    /**
     * Runs {@code f} without gradients over length-sorted batches of {@code data}; returns its
     * [batch, d] outputs as one row per example, in the order of {@code data}.
     */
    public static <B> float[][] rows(LabelledInputs<B> data, int batchSize,
            java.util.function.BiFunction<NDManager, B, NDArray> f) {
        float[][] out = new float[data.size()][];
        forEachBatch(data, batchSize, f, (batch, flat) -> {
            int d = flat.length / batch.length;
            for (int i = 0; i < batch.length; i++) out[batch[i]] = java.util.Arrays.copyOfRange(flat, i * d, (i + 1) * d);
        });
        return out;
    }

    /** Receives one batch of outputs: the examples' indices and their [batch, d] rows, row-major. */
    public interface BatchSink {
        void accept(int[] indices, float[] rows);
    }

    /**
     * Runs {@code f} without gradients over length-sorted batches of {@code data} and hands each
     * [batch, d] output to {@code sink} as it is computed.
     */
    public static <B> void forEachBatch(LabelledInputs<B> data, int batchSize,
            java.util.function.BiFunction<NDManager, B, NDArray> f, BatchSink sink) {
        int n = data.size();
        int[] lengths = new int[n];
        for (int i = 0; i < n; i++) lengths[i] = data.length(i);
        // Grad mode is per thread in PyTorch: make sure no graph is recorded whichever thread runs this.
        JniUtils.setGradMode(false);
        try (NDManager base = TensorRuntime.newManager()) {
            List<int[]> batches = LengthBucketBatcher.sequential(lengths, batchSize);
            for (int b = 0; b < batches.size(); b++) {
                int[] batch = batches.get(b);
                if (b + 1 < batches.size()) data.prefetch(batches.get(b + 1), BatchContext.EVALUATION);
                try (NDManager scope = base.newSubManager()) {
                    sink.accept(batch, f.apply(scope, data.collate(scope, batch)).toFloatArray());
                }
            }
        }
    }

    public static <B> ClassificationReport evaluate(TrainableModel<B> model, LabelledInputs<B> data,
            List<String> labels, int batchSize) {
        float[][] probs = probabilities(model, data, batchSize);
        return ClassificationMetrics.compute(data.labels(), argmax(probs), probs, labels);
    }

    public static int[] argmax(float[][] probs) {
        int[] out = new int[probs.length];
        for (int i = 0; i < probs.length; i++) {
            int best = 0;
            for (int j = 1; j < probs[i].length; j++) if (probs[i][j] > probs[i][best]) best = j;
            out[i] = best;
        }
        return out;
    }
}
