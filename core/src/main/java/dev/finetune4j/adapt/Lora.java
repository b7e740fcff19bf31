package dev.finetune4j.adapt;

import dev.finetune4j.UserError;
import dev.finetune4j.model.Classifier;
import dev.finetune4j.model.HostTensor;
import dev.finetune4j.model.LoraHook;
import dev.finetune4j.model.Module;
import dev.finetune4j.model.ParameterStore;
import dev.finetune4j.recipe.StrategyConfig;
import dev.finetune4j.train.Evaluator;
import dev.finetune4j.train.LabelledInputs;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * LoRA (Hu et al. 2021) as Hugging Face PEFT does it: each target Linear {@code M} of the body
 * gains {@code M.lora_A.weight} [r, in] (Kaiming-uniform, a = sqrt(5), i.e. U(-1/sqrt(in), 1/sqrt(in)))
 * and {@code M.lora_B.weight} [out, r] (zeros), so that it computes
 * {@code x W^T + b + (dropout(x) A^T B^T) * alpha / r}. The original body is frozen; the adapters and
 * the head train, and optionally every bias and/or every norm layer.
 *
 * <p>Targets are module-name suffixes matched as PEFT's {@code target_modules} list does: a module
 * matches when its name equals the target or ends with {@code "." + target}; only the body's
 * {@link dev.finetune4j.model.Body#loraSites() LoRA sites} (the Linear modules of its blocks) are
 * candidates (in BERT, {@code output.dense} therefore matches both {@code attention.output.dense}
 * and the feed-forward {@code output.dense}, as in PEFT).
 */
public final class Lora {
    public static final String A = LoraHook.A;
    public static final String B = LoraHook.B;

    /** The target that selects every LoRA site of the body (its blocks' linear layers, and a CNN's 1x1 convolutions). */
    public static final String EVERY_SITE = "*";

    private Lora() {}

    /** Whether {@code name} is a LoRA adapter parameter. */
    public static boolean isAdapter(String name) {
        return name.endsWith(A) || name.endsWith(B);
    }

    /**
     * The body's modules (full keys without {@code .weight}, e.g.
     * {@code bert.encoder.layer.0.attention.self.query}) that {@code targets} select, in order.
     *
     * @throws UserError when a target matches no module
     */
    public static List<String> targetModules(Classifier<?> model, List<String> targets) {
        List<String> out = new ArrayList<>();
        boolean[] used = new boolean[targets.size()];
        for (Module site : model.body().loraSites()) {
            String module = site.name();
            boolean hit = false;
            for (int i = 0; i < targets.size(); i++) {
                String t = targets.get(i);
                if (t.equals(EVERY_SITE) || module.equals(t) || module.endsWith("." + t)) {
                    used[i] = true;
                    hit = true;
                }
            }
            if (hit) out.add(module);
        }
        for (int i = 0; i < targets.size(); i++) {
            if (!used[i]) {
                throw new UserError("strategy.targets: '" + targets.get(i) + "' matches no linear layer (or 1x1"
                        + " convolution) of the body's blocks — use a suffix of one of " + String.join(", ",
                        siteNamesInFirstBlock(model)) + ", or '" + EVERY_SITE + "' for all of them");
            }
        }
        return out;
    }

    /** The LoRA sites of the first block, relative to the block ({@code attention.self.query} in BERT). */
    static List<String> siteNamesInFirstBlock(Classifier<?> model) {
        List<String> first = model.body().loraSites().stream().filter(m -> m.block() == 0).map(Module::name).toList();
        if (first.isEmpty()) return List.of();
        String common = first.get(0);
        for (String n : first) {
            while (!n.startsWith(common)) common = common.substring(0, common.length() - 1);
        }
        int cut = common.lastIndexOf('.') + 1;
        return first.stream().map(n -> n.substring(cut)).toList();
    }

    /**
     * Adds the adapters (A seeded from {@code seed}, B zero) and sets which parameters train.
     *
     * @return the adapted modules
     * @throws IllegalStateException if the model already has adapters
     */
    public static List<String> apply(Classifier<?> model, StrategyConfig.Lora config, long seed) {
        if (model.body().lora() != null) throw new IllegalStateException("the model already has LoRA adapters");
        ParameterStore ps = model.parameters();
        List<String> modules = targetModules(model, config.targets());
        Random rng = new Random(seed);
        List<String> added = new ArrayList<>();
        try {
            for (String module : modules) {
                long[] w = ps.get(module + ".weight").getShape().getShape(); // [out, in], or [out, in, 1, 1]
                long out = w[0], in = w[1];
                boolean conv = w.length == 4;
                float bound = (float) (1.0 / Math.sqrt(in)); // kaiming_uniform_(a=sqrt(5)), fan_in = in
                float[] a = new float[(int) (config.rank() * in)];
                for (int i = 0; i < a.length; i++) a[i] = (float) ((rng.nextDouble() * 2 - 1) * bound);
                ps.put(module + A, new HostTensor(conv ? new long[] {config.rank(), in, 1, 1} : new long[] {config.rank(), in}, a));
                added.add(module + A);
                ps.putZeros(module + B, conv ? new long[] {out, config.rank(), 1, 1} : new long[] {out, config.rank()});
                added.add(module + B);
            }
        } catch (RuntimeException e) {
            for (String name : added) ps.remove(name);
            throw e;
        }
        for (String name : ps.parameterNames()) {
            Module m = model.moduleOf(name);
            boolean train = model.isHead(name) || isAdapter(name) || model.newlyInitialised().contains(name)
                    || config.trainBiases() && name.endsWith(".bias")
                    || config.trainLayerNorm() && m != null && m.kind() == Module.Kind.NORM;
            ps.setTrainable(name, train);
        }
        model.body().setLora(new LoraHook(config.scaling(), (float) config.dropout()));
        return modules;
    }

    /** The adapted modules of {@code model}, in order; empty without adapters. */
    public static List<String> adaptedModules(Classifier<?> model) {
        List<String> out = new ArrayList<>();
        for (String name : model.parameters().all().keySet()) {
            if (name.endsWith(A)) out.add(name.substring(0, name.length() - A.length()));
        }
        return out;
    }

    /**
     * Folds every adapter into its weight, {@code W += (alpha / r) * B A}, and removes the adapter
     * parameters: the model is what it was before {@link #apply}, with new weights (export works unchanged).
     * Trainable flags of the remaining parameters are left as they were.
     */
    public static void merge(Classifier<?> model) {
        LoraHook hook = model.body().lora();
        if (hook == null) throw new IllegalStateException("the model has no LoRA adapters");
        ParameterStore ps = model.parameters();
        double s = hook.scaling();
        for (String module : adaptedModules(model)) {
            HostTensor w = ps.toHost(module + ".weight");
            HostTensor a = ps.toHost(module + A);
            HostTensor b = ps.toHost(module + B);
            int out = (int) w.shape()[0], in = (int) w.shape()[1], r = (int) a.shape()[0];
            float[] wd = w.data().clone(), ad = a.data(), bd = b.data();
            double[] row = new double[in];
            for (int o = 0; o < out; o++) {
                java.util.Arrays.fill(row, 0);
                for (int k = 0; k < r; k++) {
                    double bok = bd[o * r + k];
                    if (bok == 0) continue;
                    for (int i = 0; i < in; i++) row[i] += bok * ad[k * in + i];
                }
                for (int i = 0; i < in; i++) wd[o * in + i] = (float) (wd[o * in + i] + s * row[i]);
            }
            ps.copyFrom(Map.of(module + ".weight", new HostTensor(w.shape(), wd)));
            ps.remove(module + A);
            ps.remove(module + B);
        }
        model.body().setLora(null);
    }

    /**
     * Merges the adapters ({@link #merge}) and checks on {@code reference} that the merged model
     * gives the probabilities the adapted one gave, to {@code tolerance}.
     *
     * @return the largest change of a probability
     * @throws IllegalStateException when a probability moved by more: the merged weights must not be exported
     */
    public static <B> double mergeChecked(Classifier<B> model, LabelledInputs<B> reference, int batchSize,
            double tolerance) {
        return mergeChecked(model, reference, batchSize, tolerance, Lora::merge);
    }

    static <B> double mergeChecked(Classifier<B> model, LabelledInputs<B> reference, int batchSize, double tolerance,
            java.util.function.Consumer<Classifier<?>> merge) {
        float[][] before = Evaluator.probabilities(model, reference, batchSize);
        merge.accept(model);
        float[][] after = Evaluator.probabilities(model, reference, batchSize);
        double worst = 0;
        for (int i = 0; i < before.length; i++) {
            for (int j = 0; j < before[i].length; j++) worst = Math.max(worst, Math.abs(before[i][j] - after[i][j]));
        }
        if (worst > tolerance) {
            throw new IllegalStateException("merging the LoRA adapters changed a probability by " + worst
                    + " (tolerance " + tolerance + "); the export was not written");
        }
        return worst;
    }

    /**
     * What a LoRA run adds to the base model, for a small file: the adapters and the head (and any
     * other parameter that trains, e.g. biases with {@code train_biases}), by their keys in the model.
     */
    public static Map<String, HostTensor> adapterWeights(Classifier<?> model) {
        ParameterStore ps = model.parameters();
        Map<String, HostTensor> out = new LinkedHashMap<>();
        for (String name : ps.all().keySet()) {
            if (isAdapter(name) || model.isHead(name) || ps.isTrainable(name)) out.put(name, ps.toHost(name));
        }
        return out;
    }

    /** The number of adapter values (not counting the head). */
    public static long adapterParameterCount(Classifier<?> model) {
        long n = 0;
        for (Map.Entry<String, ai.djl.ndarray.NDArray> e : model.parameters().all().entrySet()) {
            if (isAdapter(e.getKey())) n += e.getValue().size();
        }
        return n;
    }
}
