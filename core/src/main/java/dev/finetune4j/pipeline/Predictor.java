package dev.finetune4j.pipeline;

import dev.finetune4j.data.Example;
import dev.finetune4j.data.LabelSet;
import dev.finetune4j.eval.ClassificationMetrics;
import dev.finetune4j.eval.ClassificationReport;
import dev.finetune4j.train.Evaluator;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A trained model loaded from its export directory, for {@code ft4j predict}, {@code eval} and
 * {@code serve} and for Java callers: examples in (as its modality reads them; their labels are
 * ignored), class probabilities out. Made by {@link Modality#load}; {@link Modalities#load} picks the
 * modality from the export's {@code config.json}. Not thread-safe: one caller at a time.
 */
public interface Predictor extends AutoCloseable {
    /** The most probable label and every label's probability. */
    record Prediction(String label, Map<String, Double> scores) {}

    /** The labels, in the order of the head's outputs. */
    List<String> labels();

    /** One row per example: the probability of each of {@link #labels()}. */
    float[][] probabilities(List<Example> examples);

    /**
     * The probabilities of images given decoded (a server's request), for models that take images;
     * rows as {@link #probabilities}.
     */
    default float[][] probabilitiesOfImages(List<dev.finetune4j.vision.DecodedImage> images) {
        throw new UnsupportedOperationException("this model takes " + describe().getOrDefault("input", "texts")
                + ", not images");
    }

    /** {@link #predict} of decoded images. */
    default List<Prediction> predictImages(List<dev.finetune4j.vision.DecodedImage> images) {
        return predictions(probabilitiesOfImages(images));
    }

    /** What a client needs to know about the model: its task, body, input limits ({@code GET /v1/model}). */
    Map<String, Object> describe();

    /** The predicted class of each row of {@link #probabilities}: the most probable one, unless the export tuned a threshold. */
    default int[] decide(float[][] probabilities) {
        return Evaluator.argmax(probabilities);
    }

    default List<Prediction> predict(List<Example> examples) {
        return predictions(probabilities(examples));
    }

    /** Each row's decision and every label's probability. */
    default List<Prediction> predictions(float[][] probabilities) {
        int[] best = decide(probabilities);
        List<String> labels = labels();
        List<Prediction> out = new ArrayList<>(probabilities.length);
        for (int i = 0; i < probabilities.length; i++) {
            Map<String, Double> scores = new LinkedHashMap<>();
            for (int j = 0; j < probabilities[i].length; j++) scores.put(labels.get(j), (double) probabilities[i][j]);
            out.add(new Prediction(labels.get(best[i]), scores));
        }
        return out;
    }

    /** Labelled examples as the model scored them: gold and predicted classes, probabilities, and their metrics. */
    record Scored(int[] gold, int[] predicted, float[][] probabilities, ClassificationReport report) {}

    /**
     * The metrics of labelled examples, computed as training computes its {@code test} section.
     *
     * @param source names the examples in the error for a label the model does not know (e.g. {@code --data FILE})
     */
    default ClassificationReport evaluate(List<Example> examples, String source) {
        return score(examples, source).report();
    }

    /** {@link #evaluate}, with what the metrics were computed from. */
    default Scored score(List<Example> examples, String source) {
        LabelSet labels = LabelSet.ofNames(labels());
        labels.requireKnown(examples, source);
        int[] y = new int[examples.size()];
        for (int i = 0; i < y.length; i++) y[i] = labels.index(examples.get(i).label());
        float[][] probabilities = probabilities(examples);
        int[] predicted = decide(probabilities);
        return new Scored(y, predicted, probabilities,
                ClassificationMetrics.compute(y, predicted, probabilities, labels()));
    }

    @Override
    void close();
}
