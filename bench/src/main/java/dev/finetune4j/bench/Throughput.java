package dev.finetune4j.bench;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.GradientCollector;
import dev.finetune4j.TensorRuntime;
import dev.finetune4j.export.HfExport;
import dev.finetune4j.model.Pooling;
import dev.finetune4j.model.TextBatch;
import dev.finetune4j.model.bert.BertForSequenceClassification;
import dev.finetune4j.model.io.ModelCatalog;
import dev.finetune4j.model.io.OnnxBert;
import dev.finetune4j.model.io.OnnxBertWeights;
import dev.finetune4j.train.AdamW;
import dev.finetune4j.train.BatchContext;
import dev.finetune4j.train.LabelledInputs;
import dev.finetune4j.train.Optimizer;
import dev.finetune4j.train.Trainer;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Training and inference throughput of full fine-tuning on MiniLM-L6 (real weights), batch and
 * sequence length fixed, random token ids. Training is timed through {@link Trainer#fit}, the loop
 * that {@code ft4j train} runs (clipping, the non-finite check, the schedule included); {@code
 * --mode phases} times forward, backward and the optimizer step apart in a loop of its own. Prints
 * one JSON line; with --export DIR it first writes the same weights (with a seeded 2-label head) in
 * HF layout for the PyTorch reference to load.
 *
 * <pre>java -cp ... dev.finetune4j.bench.Throughput [--batch 32] [--seq 128] [--steps 10] [--warmup 2]
 *     [--threads 2] [--mode both|train|infer|phases] [--export DIR]</pre>
 */
public final class Throughput {
    public static void main(String[] args) throws Exception {
        Map<String, String> a = new LinkedHashMap<>(Map.of("--batch", "32", "--seq", "128", "--steps", "10",
                "--warmup", "2", "--threads", "2", "--mode", "both"));
        for (int i = 0; i + 1 < args.length; i += 2) a.put(args[i], args[i + 1]);
        int batch = Integer.parseInt(a.get("--batch")), seq = Integer.parseInt(a.get("--seq"));
        int steps = Integer.parseInt(a.get("--steps")), warmup = Integer.parseInt(a.get("--warmup"));
        int threads = Integer.parseInt(a.get("--threads"));
        String mode = a.get("--mode");
        TensorRuntime.start(threads);

        ModelCatalog.ModelFiles files = ModelCatalog.resolve(ModelCatalog.find("all-minilm-l6-v2"));
        OnnxBertWeights w = OnnxBert.read(files.onnx());
        try (NDManager m = TensorRuntime.newManager();
                BertForSequenceClassification model = BertForSequenceClassification.fromPretrained(m, w.config(), w.weights(), "minilm",
                        Pooling.POOLER, null, null, List.of("ham", "spam"), 42)) {
            if (a.containsKey("--export")) {
                HfExport.write(model, files.tokenizerJson(), seq, Map.of("base_model", "all-minilm-l6-v2"),
                        Path.of(a.get("--export")));
                if (mode.equals("export")) return;
            }
            long[][] ids = new long[batch][seq];
            Random rng = new Random(0);
            for (long[] row : ids) {
                for (int j = 0; j < seq; j++) row[j] = 1000 + rng.nextInt(w.config().vocabSize() - 1000);
                row[0] = 101;
                row[seq - 1] = 102;
            }
            long[][] mask = new long[batch][seq], types = new long[batch][seq];
            for (long[] row : mask) Arrays.fill(row, 1);
            int[] y = new int[batch];
            for (int i = 0; i < batch; i++) y[i] = i % 2;

            Map<String, Object> out = new LinkedHashMap<>();
            out.put("impl", "finetune4j");
            out.put("engine", "PyTorch " + Engine.getEngine("PyTorch").getVersion() + " (DJL " + Engine.getDjlVersion() + ")");
            out.put("threads", threads);
            out.put("tcmalloc", String.valueOf(System.getenv("LD_PRELOAD")).contains("tcmalloc"));
            out.put("batch", batch);
            out.put("seq", seq);
            if (mode.equals("train") || mode.equals("both")) {
                double[] tot = trainerStepSeconds(model, ids, y, warmup, steps);
                out.put("train_examples_per_s", batch / median(tot));
                out.put("train_step_s_median", median(tot));
                out.put("train_loop", "Trainer.fit");
            }
            if (mode.equals("phases")) {
                double[] fwd = new double[steps], bwd = new double[steps], opt = new double[steps], tot = new double[steps];
                try (AdamW optimizer = new AdamW(model.parameters(),
                        Optimizer.decayGroups(model, 0.01, 1.0, n -> true, ""), 0.9, 0.999, 1e-8)) {
                    for (int s = -warmup; s < steps; s++) {
                        try (NDManager step = m.newSubManager()) {
                            long t0 = System.nanoTime(), t1, t2;
                            TextBatch in = new TextBatch(step.create(ids), step.create(mask), step.create(types));
                            try (GradientCollector gc = Engine.getEngine("PyTorch").newGradientCollector()) {
                                NDArray loss = Trainer.crossEntropy(model.logits(step, in, true), step.create(y));
                                loss.getFloat();
                                t1 = System.nanoTime();
                                if (!a.containsKey("--no-backward")) gc.backward(loss);
                            }
                            t2 = System.nanoTime();
                            if (!a.containsKey("--no-optimizer")) optimizer.step(step, 5e-5, 1.0);
                            long t3 = System.nanoTime();
                            if (a.containsKey("--rss")) System.err.printf("step %d rss %d MB%n", s, dev.finetune4j.util.ProcessMemory.rssMb());
                            if (s >= 0) {
                                fwd[s] = (t1 - t0) / 1e9;
                                bwd[s] = (t2 - t1) / 1e9;
                                opt[s] = (t3 - t2) / 1e9;
                                tot[s] = (t3 - t0) / 1e9;
                            }
                        }
                    }
                }
                out.put("train_examples_per_s", batch / median(tot));
                out.put("train_step_s_median", median(tot));
                out.put("train_forward_s_median", median(fwd));
                out.put("train_backward_s_median", median(bwd));
                out.put("train_optimizer_s_median", median(opt));
            }
            if (mode.equals("infer") || mode.equals("both")) {
                double[] tot = new double[steps];
                JniUtils.setGradMode(false);
                for (int s = -warmup; s < steps; s++) {
                    try (NDManager step = m.newSubManager()) {
                        long t0 = System.nanoTime();
                        TextBatch in = new TextBatch(step.create(ids), step.create(mask), step.create(types));
                        model.logits(step, in, false).softmax(-1).toFloatArray();
                        if (s >= 0) tot[s] = (System.nanoTime() - t0) / 1e9;
                    }
                }
                out.put("infer_examples_per_s", batch / median(tot));
                out.put("infer_step_s_median", median(tot));
            }
            System.out.println(new com.fasterxml.jackson.databind.ObjectMapper().writeValueAsString(out));
        }
    }

    /**
     * Seconds per optimizer step of {@link Trainer#fit} after {@code warmup} steps: full fine-tuning
     * with AdamW, clipping at 1.0, a constant rate, no validation; every batch is the same examples.
     */
    static double[] trainerStepSeconds(BertForSequenceClassification model, long[][] ids, int[] y, int warmup,
            int steps) {
        int batch = ids.length;
        LabelledInputs<TextBatch> data = new LabelledInputs<>() {
            @Override
            public int size() {
                return batch * (warmup + steps);
            }

            @Override
            public int label(int i) {
                return y[i % batch];
            }

            @Override
            public int length(int i) {
                return ids[0].length;
            }

            @Override
            public TextBatch collate(NDManager step, int[] indices, BatchContext context) {
                long[][] chosen = new long[indices.length][], mask = new long[indices.length][ids[0].length],
                        types = new long[indices.length][ids[0].length];
                for (int k = 0; k < indices.length; k++) {
                    chosen[k] = ids[indices[k] % batch];
                    Arrays.fill(mask[k], 1);
                }
                return new TextBatch(step.create(chosen), step.create(mask), step.create(types));
            }
        };
        return TrainerTiming.stepSeconds(model, data, model.labels(), 5e-5, batch, warmup, steps, null);
    }

    static double median(double[] v) {
        double[] c = v.clone();
        Arrays.sort(c);
        return c.length % 2 == 1 ? c[c.length / 2] : (c[c.length / 2 - 1] + c[c.length / 2]) / 2;
    }
}
