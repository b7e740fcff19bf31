package dev.finetune4j.recipe;

import com.fasterxml.jackson.databind.annotation.JsonSerialize;
import dev.finetune4j.train.OnNonFinite;
import dev.finetune4j.train.Sampler;
import dev.finetune4j.train.Schedule;
import java.util.List;

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
 * @param rehearsal fine-tuning an ft4j export again: the share of its old training examples mixed into
 *     the new training split (0: none), against forgetting what it learnt
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
 * @param optimizer the {@code torch.optim} optimizer of that name; its settings are the components
 *     after it. Defaults are PyTorch's, except SGD's momentum 0.9 (torchvision's fine-tuning recipes;
 *     PyTorch's is 0)
 * @param betas Adam and AdamW: the two decay rates of the moment estimates
 * @param eps Adam, AdamW and RMSprop
 * @param momentum SGD and RMSprop; {@code null} for the other optimizers, and for these it becomes
 *     their default (0.9 for SGD, 0 for RMSprop)
 * @param nesterov SGD
 * @param dampening SGD
 * @param alpha RMSprop's smoothing constant
 * @param centered RMSprop
 * @param weightDecay decoupled for AdamW, added to the gradient for the others; {@code null} becomes
 *     0.01 for AdamW (PyTorch's and Hugging Face's default) and 0 for the others (PyTorch's)
 * @param gradientAccumulationSteps batches whose gradients are summed into one optimizer step
 * @param gamma the decay factor of the {@code step} and {@code exponential} schedules; {@code null}
 *     for the others, and for these it becomes {@link Schedule#defaultGamma()}
 * @param stepSizeEpochs epochs between two decays of the {@code step} schedule
 */
public record TrainConfig(
        Integer epochs,
        Integer maxSteps,
        int batchSize,
        int evalBatchSize,
        Double learningRate,
        Double headLearningRate,
        Double layerwiseLrDecay,
        OptimizerKind optimizer,
        List<Double> betas,
        double eps,
        Double momentum,
        boolean nesterov,
        double dampening,
        double alpha,
        boolean centered,
        Double weightDecay,
        int gradientAccumulationSteps,
        ClassWeights classWeights,
        Sampler sampler,
        Integer checkpointEverySteps,
        int keepCheckpoints,
        OnNonFinite onNonFinite,
        double l2,
        double l1,
        double l2Sp,
        double warmupRatio,
        Schedule schedule,
        Double gamma,
        int stepSizeEpochs,
        double maxGradNorm,
        Double hiddenDropout,
        Integer evalEverySteps,
        @JsonSerialize(nullsUsing = RecipeBinding.FalseForNull.class) EarlyStopping earlyStopping,
        Integer threads,
        double rehearsal) {

    public TrainConfig {
        Checks.check(rehearsal >= 0 && rehearsal <= 1, "train.rehearsal must be in [0, 1], got " + rehearsal);
        Checks.atLeast(epochs, 1, "train.epochs");
        Checks.atLeast(maxSteps, 1, "train.max_steps");
        Checks.atLeast(batchSize, 1, "train.batch_size");
        Checks.atLeast(evalBatchSize, 1, "train.eval_batch_size");
        Checks.check(learningRate == null || learningRate > 0, "train.learning_rate must be > 0, got " + learningRate);
        Checks.check(headLearningRate == null || headLearningRate > 0,
                "train.head_learning_rate must be > 0, got " + headLearningRate);
        Checks.check(layerwiseLrDecay == null || (layerwiseLrDecay > 0 && layerwiseLrDecay <= 1),
                "train.layerwise_lr_decay must be in (0, 1], got " + layerwiseLrDecay);
        Checks.notNull(optimizer, "train.optimizer");
        Checks.notNull(betas, "train.betas");
        betas = List.copyOf(betas);
        Checks.check(betas.size() == 2 && betas.stream().allMatch(b -> b >= 0 && b < 1),
                "train.betas must be two numbers in [0, 1), got " + betas);
        Checks.check(eps > 0, "train.eps must be > 0, got " + eps);
        boolean takesMomentum = optimizer == OptimizerKind.SGD || optimizer == OptimizerKind.RMSPROP;
        if (momentum == null && takesMomentum) momentum = optimizer == OptimizerKind.SGD ? 0.9 : 0.0;
        Checks.check(momentum == null || momentum >= 0, "train.momentum must be >= 0, got " + momentum);
        Checks.check(dampening >= 0 && dampening <= 1, "train.dampening must be in [0, 1], got " + dampening);
        Checks.check(alpha >= 0 && alpha < 1, "train.alpha must be in [0, 1), got " + alpha);
        if (weightDecay == null) weightDecay = optimizer == OptimizerKind.ADAMW ? 0.01 : 0.0;
        Checks.check(weightDecay >= 0, "train.weight_decay must be >= 0, got " + weightDecay);
        Checks.atLeast(gradientAccumulationSteps, 1, "train.gradient_accumulation_steps");
        Checks.notNull(sampler, "train.sampler");
        Checks.atLeast(checkpointEverySteps, 1, "train.checkpoint_every_steps");
        Checks.atLeast(keepCheckpoints, 1, "train.keep_checkpoints");
        Checks.notNull(onNonFinite, "train.on_non_finite");
        Checks.check(l2 >= 0 && l1 >= 0 && l2Sp >= 0, "train.l2, train.l1 and train.l2_sp must be >= 0");
        Checks.fraction(warmupRatio, "train.warmup_ratio");
        Checks.notNull(schedule, "train.schedule");
        if (gamma == null && (schedule == Schedule.STEP || schedule == Schedule.EXPONENTIAL)) {
            gamma = schedule.defaultGamma();
        }
        Checks.check(gamma == null || gamma > 0, "train.gamma must be > 0, got " + gamma);
        Checks.atLeast(stepSizeEpochs, 1, "train.step_size_epochs");
        Checks.check(maxGradNorm >= 0, "train.max_grad_norm must be >= 0, got " + maxGradNorm);
        Checks.fraction(hiddenDropout, "train.hidden_dropout");
        Checks.atLeast(evalEverySteps, 1, "train.eval_every_steps");
        Checks.atLeast(threads, 1, "train.threads");
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
