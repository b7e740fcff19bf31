package dev.finetune4j.adapt;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.finetune4j.model.ParameterStore;
import dev.finetune4j.model.SequenceClassifier;
import dev.finetune4j.model.TextBatch;
import dev.finetune4j.train.Evaluator;
import dev.finetune4j.train.LabelledInputs;
import dev.finetune4j.train.TrainableModel;

/**
 * Feature extraction: the pre-trained body is frozen and, in inference mode, deterministic, so its
 * pooled output is computed once per example and only the head trains, on the cached features.
 */
public final class FeatureExtraction {
    private FeatureExtraction() {}

    /** Freezes every parameter that is not part of the head. */
    public static void freezeBody(SequenceClassifier model) {
        ParameterStore ps = model.parameters();
        for (String name : ps.all().keySet()) ps.setTrainable(name, model.isHead(name));
    }

    /** Runs the frozen body once over {@code data}: pooled features [n][hidden] with the same labels. */
    public static CachedFeatures extract(SequenceClassifier model, LabelledInputs<TextBatch> data, int batchSize) {
        float[][] features = Evaluator.rows(data, batchSize, (scope, batch) -> model.features(scope, batch, false));
        return new CachedFeatures(features, data.labels());
    }

    /** Body outputs kept on the heap; every example has the same cost, so batches need no bucketing. */
    public record CachedFeatures(float[][] features, int[] labels) implements LabelledInputs<NDArray> {
        @Override
        public int size() {
            return labels.length;
        }

        @Override
        public int label(int i) {
            return labels[i];
        }

        @Override
        public int length(int i) {
            return 1;
        }

        @Override
        public NDArray collate(NDManager step, int[] indices) {
            int h = features[0].length;
            float[] flat = new float[indices.length * h];
            for (int i = 0; i < indices.length; i++) System.arraycopy(features[indices[i]], 0, flat, i * h, h);
            return step.create(flat, new Shape(indices.length, h));
        }
    }

    /** The head of {@code model} as a model of its own, over cached features. */
    public static TrainableModel<NDArray> head(SequenceClassifier model) {
        return new TrainableModel<>() {
            @Override
            public NDArray logits(NDManager step, NDArray features, boolean training) {
                return model.head(features, training);
            }

            @Override
            public ParameterStore parameters() {
                return model.parameters();
            }

            @Override
            public boolean isHead(String parameterName) {
                return model.isHead(parameterName);
            }
        };
    }
}
