package dev.finetune4j.adapt;

import dev.finetune4j.UserError;
import dev.finetune4j.model.ParameterStore;
import dev.finetune4j.model.SequenceClassifier;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/** Which parameters train: partial freezing of the body by part, by depth, or by name. */
public final class Freezing {
    private Freezing() {}

    /**
     * Partial fine-tuning: freezes the embeddings (if asked), the first {@code firstLayers} encoder
     * layers and every parameter whose name {@code pattern} finds; everything else trains.
     *
     * @return the names of the frozen parameters
     */
    public static List<String> partial(SequenceClassifier model, boolean embeddings, int firstLayers, Pattern pattern) {
        int layers = model.config().numHiddenLayers();
        if (firstLayers < 0 || firstLayers > layers) {
            throw new UserError("strategy.freeze_layers is " + firstLayers + " but the model has " + layers
                    + " encoder layers — use 0.." + layers);
        }
        ParameterStore ps = model.parameters();
        List<String> frozen = new ArrayList<>();
        for (String name : ps.all().keySet()) {
            boolean freeze = !model.isHead(name)
                    && (embeddings && name.startsWith(SequenceClassifier.BODY_PREFIX + "embeddings.")
                            || SequenceClassifier.layerOf(name) >= 0 && SequenceClassifier.layerOf(name) < firstLayers
                            || pattern != null && pattern.matcher(name).find());
            ps.setTrainable(name, !freeze);
            if (freeze) frozen.add(name);
        }
        if (frozen.size() == ps.all().size()) {
            throw new UserError("strategy: every parameter is frozen, nothing would train — loosen freeze_pattern");
        }
        return frozen;
    }
}
