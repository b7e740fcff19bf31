package dev.finetune4j.recipe;

import dev.finetune4j.train.OnNonFinite;
import dev.finetune4j.train.Sampler;
import dev.finetune4j.train.Schedule;

/**
 * The optimisation loop.
 *
 * @param maxSteps if set, training stops after this many optimizer steps, whatever {@code epochs} says
 * @param headLearningRate {@code null}: the same as {@code learningRate}
 * @param maxGradNorm 0 disables gradient clipping
 * @param hiddenDropout {@code null}: the model's; else overrides hidden and attention dropout
 * @param evalEverySteps {@code null}: evaluate at the end of every epoch
 * @param earlyStopping {@code null} when disabled
 * @param threads {@code null}: all cores
 * @param layerwiseLrDecay {@code null}: off; else the learning rate shrinks by this factor per
 *     layer below the head (discriminative learning rates)
 * @param classWeights how classes are weighted in the loss
 * @param l2 strength of an L2 penalty (lambda/2 * sum w^2) on weights (not biases or LayerNorm)
 * @param l1 strength of an L1 penalty (lambda * sum |w|) on the same weights
 * @param l2Sp strength of L2-SP (alpha/2 * sum (w - w0)^2): pulls the body toward its pre-trained weights
 * @param sampler which examples each epoch visits (every one once, or class-balanced)
 * @param checkpointEverySteps {@code null}: a checkpoint at the end of every epoch; else every N steps
 * @param onNonFinite what a step with a NaN or infinite loss or gradient does
 * @param keepCheckpoints how many of the newest checkpoints to keep while the run lasts (removed when it ends)
 * @param optimizer the optimizer and its settings
 * @param gradientAccumulationSteps batches whose gradients are summed into one optimizer step
 * @param gamma the decay factor of the {@code step} and {@code exponential} schedules
 * @param stepSizeEpochs epochs between two decays of the {@code step} schedule
 */
public record TrainConfig(
        int epochs,
        Integer maxSteps,
        int batchSize,
        int evalBatchSize,
        double learningRate,
        Double headLearningRate,
        double weightDecay,
        double warmupRatio,
        Schedule schedule,
        double maxGradNorm,
        Double hiddenDropout,
        Integer evalEverySteps,
        EarlyStopping earlyStopping,
        Integer threads,
        Double layerwiseLrDecay,
        ClassWeights classWeights,
        double l2,
        double l1,
        double l2Sp,
        Sampler sampler,
        Integer checkpointEverySteps,
        int keepCheckpoints,
        OnNonFinite onNonFinite,
        OptimizerConfig optimizer,
        int gradientAccumulationSteps,
        double gamma,
        int stepSizeEpochs) {

    public TrainConfig {
        Checks.atLeast(epochs, 1, "train.epochs");
        Checks.atLeast(maxSteps, 1, "train.max_steps");
        Checks.atLeast(batchSize, 1, "train.batch_size");
        Checks.atLeast(evalBatchSize, 1, "train.eval_batch_size");
        Checks.check(learningRate > 0, "train.learning_rate must be > 0, got " + learningRate);
        Checks.check(headLearningRate == null || headLearningRate > 0,
                "train.head_learning_rate must be > 0, got " + headLearningRate);
        Checks.check(weightDecay >= 0, "train.weight_decay must be >= 0, got " + weightDecay);
        Checks.fraction(warmupRatio, "train.warmup_ratio");
        Checks.notNull(schedule, "train.schedule");
        Checks.check(maxGradNorm >= 0, "train.max_grad_norm must be >= 0, got " + maxGradNorm);
        Checks.fraction(hiddenDropout, "train.hidden_dropout");
        Checks.atLeast(evalEverySteps, 1, "train.eval_every_steps");
        Checks.atLeast(threads, 1, "train.threads");
        Checks.check(layerwiseLrDecay == null || (layerwiseLrDecay > 0 && layerwiseLrDecay <= 1),
                "train.layerwise_lr_decay must be in (0, 1], got " + layerwiseLrDecay);
        Checks.notNull(classWeights, "train.class_weights");
        Checks.notNull(sampler, "train.sampler");
        Checks.atLeast(checkpointEverySteps, 1, "train.checkpoint_every_steps");
        Checks.atLeast(keepCheckpoints, 1, "train.keep_checkpoints");
        Checks.notNull(onNonFinite, "train.on_non_finite");
        Checks.check(l2 >= 0 && l1 >= 0 && l2Sp >= 0, "train.l2, train.l1 and train.l2_sp must be >= 0");
        Checks.notNull(optimizer, "train.optimizer");
        Checks.atLeast(gradientAccumulationSteps, 1, "train.gradient_accumulation_steps");
        Checks.check(gamma > 0, "train.gamma must be > 0, got " + gamma);
        Checks.atLeast(stepSizeEpochs, 1, "train.step_size_epochs");
    }

    /** Examples per optimizer step. */
    public int effectiveBatchSize() {
        return batchSize * gradientAccumulationSteps;
    }

    /** The head's learning rate, which defaults to the encoder's. */
    public double effectiveHeadLearningRate() {
        return headLearningRate != null ? headLearningRate : learningRate;
    }
}
