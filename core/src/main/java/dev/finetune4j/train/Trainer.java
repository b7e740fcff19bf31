package dev.finetune4j.train;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import dev.finetune4j.TensorRuntime;
import dev.finetune4j.data.BalancedSampler;
import dev.finetune4j.data.LengthBucketBatcher;
import dev.finetune4j.eval.ClassificationReport;
import dev.finetune4j.eval.Metric;
import dev.finetune4j.model.HostTensor;
import dev.finetune4j.model.ParameterStore;
import dev.finetune4j.model.Scalars;
import dev.finetune4j.model.TrainableModel;
import dev.finetune4j.util.FaultPoints;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The training loop: batches by length bucket, forward and backward in a step-scoped manager,
 * clip and update, evaluate on validation on schedule, stop early and restore the best weights.
 */
public final class Trainer {
    /**
     * @param headLearningRate the learning rate of the new head's parameters
     * @param evalEverySteps null = evaluate at the end of every epoch
     * @param patience null = no early stopping: every step runs and the model keeps the last step's
     *     weights; otherwise the model ends with the weights of its best evaluation
     * @param layerwiseLrDecay null = off; else a body parameter at depth d trains at
     *     learningRate * decay^d ({@link TrainableModel#depthFromTop})
     * @param classWeights null = unweighted loss; else one weight per class
     * @param gradualUnfreezing null = the trainable set stays as the model has it
     * @param regularization penalties added to the loss; {@link Regularization#NONE} for none
     * @param sampler which examples each epoch visits
     * @param onNonFinite stop at a step whose loss or gradient is not finite, or skip it and halve the learning rate
     */
    public record Options(int epochs, Integer maxSteps, int batchSize, int evalBatchSize, double learningRate,
            double headLearningRate, double weightDecay, double warmupRatio, Schedule schedule,
            double maxGradNorm, Integer evalEverySteps, Metric metric, Integer patience, double minDelta, long seed,
            Double layerwiseLrDecay, float[] classWeights, GradualUnfreezing gradualUnfreezing,
            Regularization regularization, Sampler sampler, OnNonFinite onNonFinite, Optimizer.Settings optimizer,
            int gradientAccumulationSteps, double scheduleGamma, int scheduleStepEpochs) {
        public Options {
            if (epochs < 1) throw new IllegalArgumentException("epochs must be >= 1");
            if (batchSize < 1 || evalBatchSize < 1) throw new IllegalArgumentException("batch sizes must be >= 1");
            java.util.Objects.requireNonNull(sampler, "sampler");
            java.util.Objects.requireNonNull(onNonFinite, "onNonFinite");
            java.util.Objects.requireNonNull(optimizer, "optimizer");
            if (gradientAccumulationSteps < 1) throw new IllegalArgumentException("gradientAccumulationSteps must be >= 1");
            if (!(scheduleGamma > 0)) throw new IllegalArgumentException("scheduleGamma must be > 0");
            if (scheduleStepEpochs < 1) throw new IllegalArgumentException("scheduleStepEpochs must be >= 1");
        }

        /** Examples per optimizer step. */
        public int effectiveBatchSize() {
            return batchSize * gradientAccumulationSteps;
        }

        /** A builder with the recipe's defaults. */
        public static Builder builder() {
            return new Builder();
        }

        /** A builder holding these options, to change some of them. */
        public Builder toBuilder() {
            Builder b = new Builder();
            b.epochs = epochs;
            b.maxSteps = maxSteps;
            b.batchSize = batchSize;
            b.evalBatchSize = evalBatchSize;
            b.learningRate = learningRate;
            b.headLearningRate = headLearningRate;
            b.weightDecay = weightDecay;
            b.warmupRatio = warmupRatio;
            b.schedule = schedule;
            b.maxGradNorm = maxGradNorm;
            b.evalEverySteps = evalEverySteps;
            b.metric = metric;
            b.patience = patience;
            b.minDelta = minDelta;
            b.seed = seed;
            b.layerwiseLrDecay = layerwiseLrDecay;
            b.classWeights = classWeights;
            b.gradualUnfreezing = gradualUnfreezing;
            b.regularization = regularization;
            b.sampler = sampler;
            b.onNonFinite = onNonFinite;
            b.optimizer = optimizer;
            b.gradientAccumulationSteps = gradientAccumulationSteps;
            b.scheduleGamma = scheduleGamma;
            b.scheduleStepEpochs = scheduleStepEpochs;
            return b;
        }
    }

    /** Builds {@link Options}; unset values are the recipe's defaults; the head's learning rate defaults to the body's. */
    public static final class Builder {
        private int epochs = 3;
        private Integer maxSteps;
        private int batchSize = 32;
        private int evalBatchSize = 64;
        private double learningRate = 5e-5;
        private Double headLearningRate;
        private double weightDecay = 0.01;
        private double warmupRatio = 0.1;
        private Schedule schedule = Schedule.LINEAR;
        private double maxGradNorm = 1.0;
        private Integer evalEverySteps;
        private Metric metric = Metric.MACRO_F1;
        private Integer patience;
        private double minDelta;
        private long seed;
        private Double layerwiseLrDecay;
        private float[] classWeights;
        private GradualUnfreezing gradualUnfreezing;
        private Regularization regularization = Regularization.NONE;
        private Sampler sampler = Sampler.SHUFFLE;
        private OnNonFinite onNonFinite = OnNonFinite.STOP;
        private Optimizer.Settings optimizer = Adam.Settings.adamW();
        private int gradientAccumulationSteps = 1;
        private Double scheduleGamma;
        private int scheduleStepEpochs = 1;

        private Builder() {}

        public Builder epochs(int v) { epochs = v; return this; }
        public Builder maxSteps(Integer v) { maxSteps = v; return this; }
        public Builder batchSize(int v) { batchSize = v; return this; }
        public Builder evalBatchSize(int v) { evalBatchSize = v; return this; }
        public Builder learningRate(double v) { learningRate = v; return this; }
        public Builder headLearningRate(Double v) { headLearningRate = v; return this; }
        public Builder weightDecay(double v) { weightDecay = v; return this; }
        public Builder warmupRatio(double v) { warmupRatio = v; return this; }
        public Builder schedule(Schedule v) { schedule = v; return this; }
        public Builder maxGradNorm(double v) { maxGradNorm = v; return this; }
        public Builder evalEverySteps(Integer v) { evalEverySteps = v; return this; }
        public Builder metric(Metric v) { metric = v; return this; }
        public Builder patience(Integer v) { patience = v; return this; }
        public Builder minDelta(double v) { minDelta = v; return this; }
        public Builder seed(long v) { seed = v; return this; }
        public Builder layerwiseLrDecay(Double v) { layerwiseLrDecay = v; return this; }
        public Builder classWeights(float[] v) { classWeights = v; return this; }
        public Builder gradualUnfreezing(GradualUnfreezing v) { gradualUnfreezing = v; return this; }
        public Builder regularization(Regularization v) { regularization = v; return this; }
        public Builder sampler(Sampler v) { sampler = v; return this; }
        public Builder onNonFinite(OnNonFinite v) { onNonFinite = v; return this; }
        public Builder optimizer(Optimizer.Settings v) { optimizer = v; return this; }
        public Builder gradientAccumulationSteps(int v) { gradientAccumulationSteps = v; return this; }
        /** null: {@link Schedule#defaultGamma}. */
        public Builder scheduleGamma(Double v) { scheduleGamma = v; return this; }
        public Builder scheduleStepEpochs(int v) { scheduleStepEpochs = v; return this; }

        public Options build() {
            return new Options(epochs, maxSteps, batchSize, evalBatchSize, learningRate,
                    headLearningRate != null ? headLearningRate : learningRate, weightDecay, warmupRatio, schedule,
                    maxGradNorm, evalEverySteps, metric, patience, minDelta, seed, layerwiseLrDecay, classWeights,
                    gradualUnfreezing, regularization, sampler, onNonFinite, optimizer, gradientAccumulationSteps,
                    scheduleGamma != null ? scheduleGamma : schedule.defaultGamma(), scheduleStepEpochs);
        }
    }

    /**
     * Gradual unfreezing (ULMFiT): stage 0 trains the head only; each stage adds the next layer
     * group from the top ({@link TrainableModel#depthFromTop}), every epoch or every N steps.
     */
    public record GradualUnfreezing(Integer everySteps) {
        public GradualUnfreezing {
            if (everySteps != null && everySteps < 1) throw new IllegalArgumentException("everySteps must be >= 1");
        }

        public int stage(int epoch, long step) {
            return everySteps == null ? epoch : (int) (step / everySteps);
        }
    }

    /**
     * Penalties added to the loss, over the parameters that train at that step: {@code l2/2 * sum w^2}
     * and {@code l1 * sum |w|} on weights (not biases or LayerNorm, as weight decay), and L2-SP
     * (Li et al. 2018), {@code l2Sp/2 * sum (w - w0)^2} on the body's weights, toward the values they
     * had when training started, against catastrophic forgetting.
     */
    public record Regularization(double l2, double l1, double l2Sp) {
        public static final Regularization NONE = new Regularization(0, 0, 0);

        public Regularization {
            if (l2 < 0 || l1 < 0 || l2Sp < 0) throw new IllegalArgumentException("penalties must be >= 0");
        }

        boolean any() {
            return l2 > 0 || l1 > 0 || l2Sp > 0;
        }
    }

    /** Non-finite steps in a row that are skipped before the run stops. */
    static final int MAX_CONSECUTIVE_SKIPS = 3;

    private final Options options;

    public Trainer(Options options) {
        this.options = options;
    }

    public <B> TrainingResult fit(TrainableModel<B> model, LabelledInputs<B> train, LabelledInputs<B> validation,
            List<String> labels, TrainingListener listener) {
        return fit(model, train, validation, labels, listener, null, null);
    }

    /**
     * Trains {@code model}; with {@code checkpoints}, saves one every {@link Checkpoints#everySteps()}
     * steps (or at each epoch's end); with {@code resumeFrom}, continues from that checkpoint so that
     * the run ends exactly as it would have without the interruption. The model must be set up as
     * for the original run (same strategy; the pre-trained weights loaded).
     */
    public <B> TrainingResult fit(TrainableModel<B> model, LabelledInputs<B> train, LabelledInputs<B> validation,
            List<String> labels, TrainingListener listener, Checkpoints checkpoints, Checkpoints.Loaded resumeFrom) {
        // PyTorch's grad mode is per thread and on in a new one; DJL's gradient collector restores
        // whatever it found, and the optimizer updates leaf tensors in place, which grad mode forbids.
        JniUtils.setGradMode(false);
        ParameterStore params = model.parameters();
        int[] lengths = new int[train.size()];
        for (int i = 0; i < lengths.length; i++) lengths[i] = train.length(i);
        LengthBucketBatcher batcher = new LengthBucketBatcher(lengths, options.batchSize(), options.seed());
        int accumulation = options.gradientAccumulationSteps();
        long stepsPerEpoch = (batcher.batchesPerEpoch() + accumulation - 1) / accumulation;
        long totalSteps = options.maxSteps() != null ? options.maxSteps() : options.epochs() * stepsPerEpoch;
        LearningRateSchedule schedule = LearningRateSchedule.of(options.schedule(),
                Math.round(options.warmupRatio() * totalSteps), totalSteps, stepsPerEpoch, options.scheduleGamma(),
                options.scheduleStepEpochs());
        boolean validate = validation != null && validation.size() > 0;
        boolean gradual = options.gradualUnfreezing() != null;
        EarlyStopping stopper = new EarlyStopping(options.metric().higherIsBetter(),
                options.patience() != null ? options.patience() : Integer.MAX_VALUE, options.minDelta(),
                options.metric() == Metric.LOSS || validation == null ? 0 : EarlyStopping.tieToleranceFor(validation.size()));
        Engine engine = Engine.getEngine("PyTorch");
        engine.setRandomSeed(Long.hashCode(options.seed()));

        Progress p = new Progress();
        listener.onStart(totalSteps, options.epochs(), train.size());
        try (StepTrace trace = StepTrace.fromProperty(); NDManager base = TensorRuntime.newManager();
                Optimizer optimizer = options.optimizer().create(params, parameterGroups(model, options))) {
            // L2-SP's anchor is the weights as the run first started, so take it before any restore.
            Map<String, NDArray> start = options.regularization().l2Sp() > 0 ? startingPoint(model, base) : Map.of();
            if (resumeFrom != null) {
                TrainerState s = resumeFrom.state();
                p.restore(s);
                if (gradual && p.stage >= 0) unfreezeToStage(model, p.stage);
                params.copyFrom(resumeFrom.weights());
                optimizer.setGroups(parameterGroups(model, options));
                optimizer.restore(resumeFrom.moments(), s.parameterSteps(), s.optimizerSteps());
                stopper.restore(s.bestMetric(), s.evaluations().stream().filter(e -> e.step() == s.bestStep())
                        .map(e -> e.report().loss()).filter(java.util.Objects::nonNull).findFirst().orElse(Double.NaN),
                        s.bestStep(), s.evaluationsWithoutImprovement());
                p.bestWeights = resumeFrom.best();
            }
            // A partly done epoch is finished even when the step budget is spent (its loss, its evaluation).
            while (!p.stop && (p.step < totalSteps || p.batchInEpoch > 0)) {
                long epochStart = System.nanoTime();
                List<int[]> batches = epochBatches(batcher, train, p.epoch);
                for (; p.batchInEpoch < batches.size() && p.step < totalSteps; ) {
                    // One optimizer step: `accumulation` batches (fewer at an epoch's end), their gradients summed.
                    int micro = (int) Math.min(accumulation, batches.size() - p.batchInEpoch);
                    int stepExamples = 0;
                    for (int j = 0; j < micro; j++) stepExamples += batches.get(p.batchInEpoch + j).length;
                    if (gradual && options.gradualUnfreezing().stage(p.epoch, p.step) != p.stage) {
                        p.stage = options.gradualUnfreezing().stage(p.epoch, p.step);
                        unfreezeToStage(model, p.stage);
                        optimizer.setGroups(parameterGroups(model, options));
                        TrainingListener.Unfreeze u = new TrainingListener.Unfreeze(p.step, p.epoch, p.stage,
                                params.count(true));
                        p.unfreezes.add(u);
                        listener.onUnfreeze(u);
                        FaultPoints.reached(FaultPoints.UNFREEZE);
                    }
                    long t0 = System.nanoTime();
                    double lr = options.learningRate() * schedule.factor(p.step) * p.lrScale;
                    // Dropout's generator, reseeded per step: a resumed run draws the same masks.
                    engine.setRandomSeed(Long.hashCode(options.seed() * 1_000_003L + p.step));
                    double loss = 0, norm;
                    try (NDManager scope = base.newSubManager()) {
                        long logitsCrc = 0;
                        for (int j = 0; j < micro; j++) {
                            int[] batch = batches.get(p.batchInEpoch + j);
                            // Each batch's share of the step's examples: the summed gradients are those of one big batch.
                            float share = micro == 1 ? 1f : (float) batch.length / stepExamples;
                            try (NDManager microScope = micro == 1 ? null : scope.newSubManager()) {
                                NDManager m = micro == 1 ? scope : microScope;
                                BatchContext context = new BatchContext(options.seed(), p.epoch, p.step, j, true);
                                if (j + 1 < micro) {
                                    train.prefetch(batches.get(p.batchInEpoch + j + 1),
                                            new BatchContext(options.seed(), p.epoch, p.step, j + 1, true));
                                } else if (p.batchInEpoch + micro < batches.size()) {
                                    train.prefetch(batches.get(p.batchInEpoch + micro),
                                            new BatchContext(options.seed(), p.epoch, p.step + 1, 0, true));
                                }
                                MicroStep r = forwardBackward(model, train, batch, context, m, start, share);
                                loss += r.loss();
                                if (trace != null) logitsCrc = logitsCrc * 31 + StepTrace.crc(r.logits());
                            }
                        }
                        long gradCrc = trace == null ? 0 : StepTrace.gradientCrc(params);
                        if (Double.isFinite(loss)) {
                            norm = optimizer.step(scope, lr, options.maxGradNorm());
                        } else {
                            optimizer.zeroGradients();
                            norm = Double.NaN;
                        }
                        if (trace != null) trace.record(p.step, logitsCrc, gradCrc, loss, norm, StepTrace.parameterCrc(params));
                    }
                    if (!Double.isFinite(loss) || !Double.isFinite(norm)) {
                        // The optimizer did not apply this step: stop, or skip it and back off the learning rate.
                        p.skipped++;
                        if (Double.isFinite(loss) && !optimizer.lastNonFiniteGradients().isEmpty()) {
                            listener.onNonFiniteGradients(p.step, optimizer.lastNonFiniteGradients());
                        }
                        if (options.onNonFinite() == OnNonFinite.STOP) {
                            throw new NumericalFault(p.step, loss, norm, false, lastCheckpoint(checkpoints));
                        }
                        if (++p.consecutiveSkips > MAX_CONSECUTIVE_SKIPS) {
                            throw new NumericalFault(p.step, loss, norm, true, lastCheckpoint(checkpoints));
                        }
                        // An isolated glitch costs nothing more; a second one within 100 steps halves the LR.
                        if (p.lastSkip >= 0 && p.step - p.lastSkip <= 100) p.lrScale *= 0.5;
                        p.lastSkip = p.step;
                        listener.onSkippedStep(p.step, loss, norm);
                    } else {
                        p.consecutiveSkips = 0;
                    }
                    p.trainNanos += System.nanoTime() - t0;
                    p.step++;
                    p.batchInEpoch += micro;
                    p.examples += stepExamples;
                    p.lossSum += loss * stepExamples;
                    p.lossCount += stepExamples;
                    listener.onStep(new TrainingListener.Step(p.step, totalSteps, p.epoch, loss, lr, norm, p.examples,
                            p.examples / (p.trainNanos / 1e9)));
                    FaultPoints.reached(FaultPoints.STEP);
                    boolean evalNow = options.evalEverySteps() != null
                            && (p.step % options.evalEverySteps() == 0 || p.step == totalSteps);
                    if (validate && evalNow) {
                        if (validateAndRecord(model, validation, labels, stopper, p, listener, gradual)) {
                            p.stop = true;
                            break;
                        }
                    }
                    if (checkpoints != null && checkpoints.everySteps() != null
                            && p.step % checkpoints.everySteps() == 0) {
                        p.epochSecondsSoFar += (System.nanoTime() - epochStart) / 1e9;
                        epochStart = System.nanoTime();
                        save(checkpoints, p, stopper, optimizer, params, gradual);
                    }
                }
                p.epochLosses.add(p.lossCount == 0 ? Double.NaN : p.lossSum / p.lossCount);
                if (!p.stop && validate && options.evalEverySteps() == null) {
                    p.stop = validateAndRecord(model, validation, labels, stopper, p, listener, gradual);
                }
                p.epochSeconds.add(p.epochSecondsSoFar + (System.nanoTime() - epochStart) / 1e9);
                p.nextEpoch();
                if (checkpoints != null && (checkpoints.everySteps() == null || p.stop)) {
                    save(checkpoints, p, stopper, optimizer, params, gradual);
                }
            }
        }
        if (p.bestWeights != null) params.copyFrom(p.bestWeights);
        TrainingResult result = new TrainingResult(p.step, p.epoch, validate ? stopper.bestStep() : p.step,
                validate ? stopper.best() : Double.NaN, p.stop, p.trainNanos / 1e9,
                p.trainNanos == 0 ? 0 : p.examples / (p.trainNanos / 1e9), p.evaluations, p.epochLosses,
                p.epochSeconds, p.unfreezes, p.skipped, JniUtils.getNumThreads());
        listener.onEnd(result);
        return result;
    }

    private record MicroStep(NDArray logits, double loss) {}

    /**
     * Forward and backward of one batch in {@code scope}, its loss scaled by {@code share}; the
     * gradients add to the parameters' {@code .grad}.
     */
    private <B> MicroStep forwardBackward(TrainableModel<B> model, LabelledInputs<B> train, int[] batch,
            BatchContext context, NDManager scope, Map<String, NDArray> start, float share) {
        B inputs = train.collate(scope, batch, context);
        NDArray lossArray, logits;
        // Not DJL's GradientCollector: it allows one per JVM and zeroes every gradient in the
        // JVM, which breaks trials training side by side. Grad mode is per thread; the
        // optimizer zeroes this model's gradients after each step.
        JniUtils.setGradMode(true);
        try {
            logits = model.logits(scope, inputs, true);
            NDArray soft = train.targets(scope, batch, context);
            lossArray = soft != null ? crossEntropyOf(logits, soft, options.classWeights())
                    : crossEntropy(logits, labelsOf(scope, train, batch), options.classWeights());
            if (options.regularization().any()) {
                lossArray = lossArray.add(penalty(model, start, options.regularization(), scope));
            }
            if (share != 1f) lossArray = lossArray.mul(Scalars.of(scope, share));
            JniUtils.backward((PtNDArray) lossArray, (PtNDArray) lossArray.onesLike(), false, false);
        } finally {
            JniUtils.setGradMode(false);
        }
        return new MicroStep(logits, lossArray.getFloat());
    }

    /**
     * Evaluates on validation, records the evaluation and, when it is the best so far, a copy of the
     * weights (all of them when frozen ones may thaw later); returns whether early stopping says stop.
     */
    private <B> boolean validateAndRecord(TrainableModel<B> model, LabelledInputs<B> validation, List<String> labels,
            EarlyStopping stopper, Progress p, TrainingListener listener, boolean allWeights) {
        TrainingListener.Evaluation ev = evaluate(model, validation, labels, stopper, p.step, p.epoch);
        p.evaluations.add(ev);
        listener.onEvaluation(ev);
        if (ev.improved() && options.patience() != null) p.bestWeights = snapshot(model.parameters(), allWeights);
        return ev.stopping();
    }

    private static void save(Checkpoints checkpoints, Progress p, EarlyStopping stopper, Optimizer optimizer,
            ParameterStore params, boolean allWeights) {
        checkpoints.save(p.state(stopper, optimizer), snapshot(params, allWeights), optimizer.stateToHost(),
                p.bestWeights);
    }

    /** Where a run stands: what a checkpoint records besides tensors ({@link TrainerState}). */
    private static final class Progress {
        long step, examples, lastSkip = -1;
        int epoch, batchInEpoch, stage = -1, skipped, consecutiveSkips, lossCount;
        boolean stop;
        double trainNanos, lossSum, epochSecondsSoFar, lrScale = 1.0;
        List<Double> epochLosses = new ArrayList<>(), epochSeconds = new ArrayList<>();
        List<TrainingListener.Evaluation> evaluations = new ArrayList<>();
        List<TrainingListener.Unfreeze> unfreezes = new ArrayList<>();
        Map<String, HostTensor> bestWeights; // the best evaluation's, restored at the end; null until one

        void nextEpoch() {
            epoch++;
            batchInEpoch = 0;
            lossSum = 0;
            lossCount = 0;
            epochSecondsSoFar = 0;
        }

        TrainerState state(EarlyStopping stopper, Optimizer optimizer) {
            return new TrainerState(step, epoch, batchInEpoch, stage, stop, skipped, consecutiveSkips, lrScale, lastSkip,
                    trainNanos,
                    examples, lossSum, lossCount, epochSecondsSoFar, epochLosses, epochSeconds, evaluations, unfreezes,
                    stopper.best(), stopper.bestStep(), stopper.evaluationsWithoutImprovement(),
                    optimizer.stepCount(), optimizer.parameterSteps());
        }

        void restore(TrainerState s) {
            step = s.step();
            epoch = s.epoch();
            batchInEpoch = s.batchInEpoch();
            stage = s.stage();
            stop = s.stop();
            skipped = s.skipped();
            consecutiveSkips = s.consecutiveSkips();
            lrScale = s.lrScale();
            lastSkip = s.lastSkip();
            trainNanos = s.trainNanos();
            examples = s.examples();
            lossSum = s.epochLossSum();
            lossCount = s.epochLossCount();
            epochSecondsSoFar = s.epochSecondsSoFar();
            epochLosses = new ArrayList<>(s.epochLosses());
            epochSeconds = new ArrayList<>(s.epochSeconds());
            evaluations = new ArrayList<>(s.evaluations());
            unfreezes = new ArrayList<>(s.unfreezes());
        }
    }

    private List<int[]> epochBatches(LengthBucketBatcher batcher, LabelledInputs<?> train, int epoch) {
        return switch (options.sampler()) {
            case SHUFFLE -> batcher.epoch(epoch);
            case BALANCED -> batcher.batches(BalancedSampler.epoch(train.labels(), options.seed(), epoch), epoch);
        };
    }

    /** Copies of the body's weights as training starts: L2-SP's anchor. */
    private static Map<String, NDArray> startingPoint(TrainableModel<?> model, NDManager manager) {
        Map<String, NDArray> start = new java.util.HashMap<>();
        for (String name : model.parameters().parameterNames()) {
            if (model.isHead(name) || model.takesNoDecay(name)) continue;
            NDArray copy = model.parameters().get(name).duplicate();
            copy.attach(manager);
            copy.setRequiresGradient(false);
            start.put(name, copy);
        }
        return start;
    }

    /** The regularization term of the loss, over the parameters that train now (a scalar in {@code scope}). */
    static NDArray penalty(TrainableModel<?> model, Map<String, NDArray> start, Regularization r, NDManager scope) {
        NDArray total = scope.zeros(new ai.djl.ndarray.types.Shape());
        ParameterStore params = model.parameters();
        for (Map.Entry<String, NDArray> e : params.all().entrySet()) {
            String name = e.getKey();
            if (!params.isTrainable(name) || model.takesNoDecay(name)) continue;
            NDArray w = e.getValue();
            // Ops on a parameter attach to the model's manager: move each temporary into the step's.
            if (r.l2() > 0) total = total.add(inScope(w.square(), scope).sum().mul(Scalars.of(scope, (float) (r.l2() / 2))));
            if (r.l1() > 0) total = total.add(inScope(w.abs(), scope).sum().mul(Scalars.of(scope, (float) r.l1())));
            NDArray w0 = start.get(name);
            if (r.l2Sp() > 0 && w0 != null) {
                total = total.add(inScope(w.sub(w0), scope).square().sum().mul(Scalars.of(scope, (float) (r.l2Sp() / 2))));
            }
        }
        return total;
    }

    private static NDArray inScope(NDArray temporary, NDManager scope) {
        temporary.attach(scope);
        return temporary;
    }

    /** Makes exactly the parameters at depth <= {@code stage} from the top trainable. */
    public static void unfreezeToStage(TrainableModel<?> model, int stage) {
        ParameterStore ps = model.parameters();
        for (String name : ps.parameterNames()) ps.setTrainable(name, model.depthFromTop(name) <= stage);
    }

    /**
     * The optimizer's groups: the head at {@code headLearningRate}; the body at
     * {@code learningRate}, or per depth with layer-wise decay; each split into decay / no decay.
     */
    public static List<Optimizer.Group> parameterGroups(TrainableModel<?> model, Options options) {
        ParameterStore params = model.parameters();
        List<Optimizer.Group> groups = new ArrayList<>();
        groups.addAll(Optimizer.decayGroups(model, options.weightDecay(),
                options.headLearningRate() / options.learningRate(), model::isHead, "head_"));
        java.util.SortedSet<Integer> depths = new java.util.TreeSet<>();
        for (String name : params.parameterNames()) {
            if (!model.isHead(name)) depths.add(options.layerwiseLrDecay() == null ? 0 : model.depthFromTop(name));
        }
        for (int depth : depths) {
            double multiplier = options.layerwiseLrDecay() == null ? 1.0 : Math.pow(options.layerwiseLrDecay(), depth);
            groups.addAll(Optimizer.decayGroups(model, options.weightDecay(), multiplier,
                    n -> !model.isHead(n) && (options.layerwiseLrDecay() == null || model.depthFromTop(n) == depth),
                    options.layerwiseLrDecay() == null ? "body_" : "depth" + depth + "_"));
        }
        return groups;
    }

    private <B> TrainingListener.Evaluation evaluate(TrainableModel<B> model, LabelledInputs<B> validation,
            List<String> labels, EarlyStopping stopper, long step, int epoch) {
        ClassificationReport report = Evaluator.evaluate(model, validation, labels, options.evalBatchSize());
        double value = options.metric().value(report);
        EarlyStopping.Decision d = stopper.update(value, report.loss() == null || options.metric() == Metric.LOSS
                ? Double.NaN : report.loss(), step);
        return new TrainingListener.Evaluation(step, epoch, report, options.metric().key(), value, d == EarlyStopping.Decision.IMPROVED,
                d == EarlyStopping.Decision.STOP);
    }

    /**
     * The values restore needs: what trains now (or everything, when frozen parameters may thaw
     * later) and every buffer, which a forward pass in training may change (BatchNorm's statistics).
     */
    private static Map<String, HostTensor> snapshot(ParameterStore params, boolean all) {
        Map<String, HostTensor> out = new java.util.LinkedHashMap<>();
        for (String name : params.all().keySet()) {
            if (all || params.isTrainable(name) || params.isBuffer(name)) out.put(name, params.toHost(name));
        }
        return out;
    }

    private static NDArray labelsOf(NDManager scope, LabelledInputs<?> data, int[] batch) {
        int[] y = new int[batch.length];
        for (int i = 0; i < batch.length; i++) y[i] = data.label(batch[i]);
        return scope.create(y);
    }

    /** Mean cross-entropy of logits [batch, classes] against class indices [batch]. */
    public static NDArray crossEntropy(NDArray logits, NDArray classIndices) {
        return crossEntropy(logits, classIndices, null);
    }

    /**
     * Cross-entropy with per-class weights, averaged as PyTorch's {@code cross_entropy(weight=w)}:
     * {@code sum_i w[y_i] * -log p_i(y_i) / sum_i w[y_i]}. {@code classWeights == null}: unweighted mean.
     */
    public static NDArray crossEntropy(NDArray logits, NDArray classIndices, float[] classWeights) {
        return crossEntropyOf(logits, classIndices.oneHot((int) logits.getShape().get(1), DataType.FLOAT32), classWeights);
    }

    /**
     * Cross-entropy against target distributions [batch, classes] (one-hot labels, or mixed ones),
     * class-weighted by each target's expected weight.
     */
    public static NDArray crossEntropyOf(NDArray logits, NDArray targets, float[] classWeights) {
        NDArray nll = logits.logSoftmax(-1).mul(targets).sum(new int[] {1}).neg();
        if (classWeights == null) return nll.mean();
        NDArray w = targets.mul(targets.getManager().create(classWeights)).sum(new int[] {1});
        return nll.mul(w).sum().div(w.sum());
    }

    /** How many of {@code labels} (class indices) fall in each of {@code classes} classes. */
    public static int[] classCounts(int[] labels, int classes) {
        int[] counts = new int[classes];
        for (int y : labels) counts[y]++;
        return counts;
    }

    /** scikit-learn's "balanced" weights, {@code n / (classes * count[c])}; absent classes get 0. */
    public static float[] balancedClassWeights(int[] labels, int classes) {
        int[] counts = classCounts(labels, classes);
        float[] w = new float[classes];
        for (int c = 0; c < classes; c++) w[c] = counts[c] == 0 ? 0f : (float) labels.length / (classes * counts[c]);
        return w;
    }

    private static String lastCheckpoint(Checkpoints checkpoints) {
        List<java.nio.file.Path> saved = checkpoints == null ? List.of() : checkpoints.list();
        return saved.isEmpty() ? null : saved.get(0).toString();
    }

    /** The loss or gradient norm went NaN or infinite and the run cannot continue as configured. */
    public static final class NumericalFault extends dev.finetune4j.UserError {
        public NumericalFault(long step, double loss, double norm, boolean afterSkips, String lastCheckpoint) {
            super("training diverged at step " + (step + 1) + " (loss " + loss + ", gradient norm " + norm
                    + (afterSkips ? "; " + (MAX_CONSECUTIVE_SKIPS + 1) + " non-finite steps in a row" : "") + "): lower"
                    + " train.learning_rate or train.max_grad_norm"
                    + (afterSkips ? "" : ", or set train.on_non_finite: skip to skip such steps and halve the learning rate")
                    + (lastCheckpoint == null ? "" : "; the last good checkpoint is " + lastCheckpoint
                            + " (train again with --resume to continue from it; on_non_finite may change)"));
        }
    }
}
