package dev.finetune4j.pipeline;

import dev.finetune4j.eval.Metric;
import dev.finetune4j.recipe.TrainConfig;
import dev.finetune4j.train.Adam;
import dev.finetune4j.train.Optimizer;
import dev.finetune4j.train.RmsProp;
import dev.finetune4j.train.Sgd;
import dev.finetune4j.train.Trainer;

/** The recipe's {@code train} section as the trainer's options. */
public final class TrainerOptions {
    private TrainerOptions() {}

    public static Trainer.Options of(TrainConfig tc, long seed, float[] classWeights,
            Trainer.GradualUnfreezing gradualUnfreezing) {
        Metric metric = tc.earlyStopping() == null ? Metric.MACRO_F1 : Metric.parse(tc.earlyStopping().metric());
        return Trainer.Options.builder().epochs(tc.epochs()).maxSteps(tc.maxSteps()).batchSize(tc.batchSize())
                .evalBatchSize(tc.evalBatchSize()).learningRate(tc.learningRate())
                .headLearningRate(tc.effectiveHeadLearningRate()).weightDecay(tc.weightDecay())
                .warmupRatio(tc.warmupRatio()).schedule(tc.schedule()).maxGradNorm(tc.maxGradNorm())
                .evalEverySteps(tc.evalEverySteps()).metric(metric)
                .patience(tc.earlyStopping() == null ? null : tc.earlyStopping().patience())
                .minDelta(tc.earlyStopping() == null ? 0.0 : tc.earlyStopping().minDelta()).seed(seed)
                .layerwiseLrDecay(tc.layerwiseLrDecay()).classWeights(classWeights).gradualUnfreezing(gradualUnfreezing)
                .regularization(new Trainer.Regularization(tc.l2(), tc.l1(), tc.l2Sp())).sampler(tc.sampler())
                .onNonFinite(tc.onNonFinite()).optimizer(optimizer(tc))
                .gradientAccumulationSteps(tc.gradientAccumulationSteps()).scheduleGamma(tc.gamma())
                .scheduleStepEpochs(tc.stepSizeEpochs()).build();
    }

    static Optimizer.Settings optimizer(TrainConfig tc) {
        return switch (tc.optimizer()) {
            case ADAMW -> new Adam.Settings(tc.betas().get(0), tc.betas().get(1), tc.eps(), true);
            case ADAM -> new Adam.Settings(tc.betas().get(0), tc.betas().get(1), tc.eps(), false);
            case SGD -> new Sgd.Settings(tc.momentum(), tc.dampening(), tc.nesterov());
            case RMSPROP -> new RmsProp.Settings(tc.alpha(), tc.eps(), tc.momentum(), tc.centered());
        };
    }
}
