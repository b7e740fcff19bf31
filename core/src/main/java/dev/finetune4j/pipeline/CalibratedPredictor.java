package dev.finetune4j.pipeline;

import dev.finetune4j.data.Example;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** A predictor whose probabilities and decisions are those of its export's {@link Calibrated}. */
final class CalibratedPredictor implements Predictor {
    private final Predictor model;
    private final Calibrated calibrated;

    CalibratedPredictor(Predictor model, Calibrated calibrated) {
        this.model = model;
        this.calibrated = calibrated;
    }

    @Override
    public List<String> labels() {
        return model.labels();
    }

    @Override
    public float[][] probabilities(List<Example> examples) {
        return calibrated.probabilities(model.probabilities(examples));
    }

    @Override
    public float[][] probabilitiesOfImages(List<dev.finetune4j.vision.DecodedImage> images) {
        return calibrated.probabilities(model.probabilitiesOfImages(images));
    }

    @Override
    public int[] decide(float[][] probabilities) {
        return calibrated.decide(probabilities);
    }

    @Override
    public Map<String, Object> describe() {
        Map<String, Object> m = new LinkedHashMap<>(model.describe());
        m.put("calibration", calibrated.toMap(labels()));
        return m;
    }

    @Override
    public void close() {
        model.close();
    }
}
