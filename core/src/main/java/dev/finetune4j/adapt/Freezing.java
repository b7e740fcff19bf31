package dev.finetune4j.adapt;

import dev.finetune4j.UserError;
import dev.finetune4j.model.Classifier;
import dev.finetune4j.model.Module;
import dev.finetune4j.model.ParameterStore;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/** Which parameters train: partial freezing of the body by part, by depth, or by name. */
public final class Freezing {
    private Freezing() {}

    /**
     * Partial fine-tuning: freezes what lies below the body's blocks (the embeddings, a CNN's stem)
     * if asked, the first {@code firstBlocks} blocks and every parameter whose name {@code pattern}
     * finds; everything else trains.
     *
     * @return the names of the frozen parameters
     */
    public static List<String> partial(Classifier<?> model, boolean belowBlocks, int firstBlocks, Pattern pattern) {
        int blocks = model.body().blocks();
        if (firstBlocks < 0 || firstBlocks > blocks) {
            throw new UserError("strategy.freeze_layers is " + firstBlocks + " but the model has " + blocks
                    + " layers — use 0.." + blocks);
        }
        ParameterStore ps = model.parameters();
        List<String> frozen = new ArrayList<>();
        for (String name : ps.parameterNames()) {
            Integer block = model.blockOf(name);
            boolean freeze = !model.isHead(name)
                    && (belowBlocks && block != null && block == Module.BELOW
                            || block != null && block >= 0 && block < firstBlocks
                            || pattern != null && pattern.matcher(name).find());
            ps.setTrainable(name, !freeze);
            if (freeze) frozen.add(name);
        }
        if (frozen.size() == ps.parameterNames().size()) {
            throw new UserError("strategy: every parameter is frozen, nothing would train — loosen freeze_pattern");
        }
        return frozen;
    }
}
