package dev.finetune4j.vision;

import dev.finetune4j.recipe.TaskKeys;
import java.util.List;

/**
 * The recipe keys of image classification, declared in {@code recipe.schema.json} beside this class.
 *
 * @param augment null when the recipe says {@code augment: false}
 */
public record VisionSettings(Data data, Body body, Train train, Augment augment) implements TaskKeys.TaskSettings {
    /**
     * @param imageColumn the column (or JSON field) of a CSV / JSONL file with the image's path, relative to the file
     * @param imageSize the side of the square the model sees; null: the body's own
     */
    public record Data(String imageColumn, Integer imageSize) {}

    /**
     * @param architecture the network a weights directory holds when its config.json does not say
     * @param pretrained false: the same network from random initialisation (a baseline)
     */
    public record Body(String architecture, boolean pretrained) {}

    /** @param freezeBatchnorm keep every BatchNorm's running statistics, for small batches */
    public record Train(boolean freezeBatchnorm) {}

    /**
     * Training-split augmentation, drawn per batch from the run's seed, epoch and step.
     *
     * @param cropScale the share of the image's area a random resized crop keeps, low and high
     * @param horizontalFlip the probability of a mirror image
     * @param rotation the largest rotation, in degrees either way
     * @param colorJitter the largest relative change of brightness, contrast and saturation
     * @param mixup the Beta(a, a) parameter of mixup; 0 off
     * @param cutmix the Beta(a, a) parameter of cutmix; 0 off
     */
    public record Augment(List<Double> cropScale, double horizontalFlip, double rotation, double colorJitter, double mixup,
            double cutmix) {
        public Augment {
            cropScale = List.copyOf(cropScale);
        }
    }
}
