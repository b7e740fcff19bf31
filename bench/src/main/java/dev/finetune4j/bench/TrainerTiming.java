package dev.finetune4j.bench;

import ai.djl.pytorch.jni.JniUtils;
import dev.finetune4j.model.TrainableModel;
import dev.finetune4j.train.LabelledInputs;
import dev.finetune4j.train.Schedule;
import dev.finetune4j.train.Trainer;
import dev.finetune4j.train.TrainingListener;
import java.util.List;

/** Seconds per optimizer step of {@link Trainer#fit}, the loop {@code ft4j train} runs, for the throughput benchmarks. */
final class TrainerTiming {
    private TrainerTiming() {}

    /**
     * Full fine-tuning of {@code model} on {@code data} with AdamW at a constant {@code learningRate},
     * weight decay 0.01, clipping at 1.0 and no validation; the seconds of each of the {@code steps}
     * steps after {@code warmup}. With {@code profile}, PyTorch's profiler records the timed steps
     * into that Chrome trace file.
     */
    static <B> double[] stepSeconds(TrainableModel<B> model, LabelledInputs<B> data, List<String> labels,
            double learningRate, int batch, int warmup, int steps, String profile) {
        Trainer.Options o = Trainer.Options.builder().epochs(1).maxSteps(warmup + steps).batchSize(batch)
                .learningRate(learningRate).weightDecay(0.01).warmupRatio(0).schedule(Schedule.CONSTANT)
                .maxGradNorm(1.0).seed(0).build();
        long[] ends = new long[warmup + steps + 1];
        ends[0] = System.nanoTime();
        new Trainer(o).fit(model, data, null, labels, new TrainingListener() {
            @Override
            public void onStep(Step s) {
                int i = (int) s.step();
                ends[i] = System.nanoTime();
                if (profile != null && i == warmup) JniUtils.startProfile(false, true, false);
                if (profile != null && i == warmup + steps) JniUtils.stopProfile(profile);
                System.err.printf("train %s %d: %.3fs loss %.4f%n", i <= warmup ? "warmup" : "step", i,
                        (ends[i] - ends[i - 1]) / 1e9, s.loss());
            }
        });
        double[] t = new double[steps];
        for (int s = 0; s < steps; s++) t[s] = (ends[warmup + s + 1] - ends[warmup + s]) / 1e9;
        return t;
    }
}
