package dev.finetune4j.bench;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.finetune4j.TensorRuntime;
import dev.finetune4j.model.HostTensor;
import dev.finetune4j.model.ImageClassifier;
import dev.finetune4j.model.io.SafeTensors;
import dev.finetune4j.train.BatchContext;
import dev.finetune4j.train.LabelledInputs;
import dev.finetune4j.train.Trainer;
import dev.finetune4j.vision.Architecture;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Training and inference images/s of a CNN classifier on a fixed batch of seeded random images, the
 * finetune4j side of {@code bench/image-throughput.sh} (the other is {@code torchvision_reference.py}
 * on the same weights). Training is timed through {@link Trainer#fit}, the loop {@code ft4j train}
 * runs: forward in training mode (BatchNorm on batch statistics, the head's dropout), cross-entropy,
 * backward, global-norm clipping at 1.0, AdamW (no decay on biases and norms), the batch made from a
 * Java array each step as a real loader makes it. Inference: a forward and softmax read back to Java,
 * with the parameters sealed as {@code ft4j predict} and {@code serve} hold an export (each BatchNorm
 * folded into its convolution once). Prints one JSON line.
 *
 * <pre>java -cp ... dev.finetune4j.bench.ImageThroughput --arch resnet18 --weights DIR [--size 224]
 *     [--batch 32] [--steps 5] [--warmup 2] [--threads 2] [--mode both|train|infer] [--seed 42]
 *     [--profile TRACE.json]   (PyTorch's profiler over the timed steps of --mode train or infer, a Chrome trace)
 *     [--no-seal]              (inference as during training: BatchNorm folded anew for each batch)</pre>
 */
public final class ImageThroughput {
    public static void main(String[] args) throws Exception {
        Map<String, String> a = new LinkedHashMap<>(Map.of("--batch", "32", "--size", "224", "--steps", "5",
                "--warmup", "2", "--threads", "2", "--mode", "both", "--seed", "42"));
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--no-seal")) a.put(args[i], "");
            else a.put(args[i], args[++i]);
        }
        if (!a.containsKey("--arch") || !a.containsKey("--weights")) {
            System.err.println("usage: ImageThroughput --arch mobilenet_v2|resnet18|... --weights DIR [--size 224] [--batch 32]"
                    + " [--steps 5] [--warmup 2] [--threads 2] [--mode both|train|infer] [--seed 42] [--profile TRACE.json]"
                    + " [--no-seal]   (DIR: model.safetensors in torchvision keys, e.g. from torchvision_reference.py"
                    + " --write-weights)");
            System.exit(2);
        }
        int batch = Integer.parseInt(a.get("--batch")), size = Integer.parseInt(a.get("--size"));
        int steps = Integer.parseInt(a.get("--steps")), warmup = Integer.parseInt(a.get("--warmup"));
        int threads = Integer.parseInt(a.get("--threads"));
        long seed = Long.parseLong(a.get("--seed"));
        String mode = a.get("--mode");
        Architecture arch = Architecture.parse(a.get("--arch"), "--arch");
        TensorRuntime.start(threads);

        Path weightsFile = Path.of(a.get("--weights"), "model.safetensors");
        Map<String, HostTensor> weights = SafeTensors.read(weightsFile, k -> !k.endsWith("num_batches_tracked"));
        int classes = (int) weights.get(arch.head() + ".weight").shape()[0];
        List<String> labels = new ArrayList<>();
        for (int c = 0; c < classes; c++) labels.add("c" + c);
        float[] images = new float[batch * 3 * size * size];
        Random rng = new Random(seed);
        for (int i = 0; i < images.length; i++) images[i] = (float) rng.nextGaussian();
        Shape shape = new Shape(batch, 3, size, size);

        try (NDManager m = TensorRuntime.newManager();
                ImageClassifier model = ImageClassifier.fromStateDict(m, arch.body(false), arch.head(), arch.dropout(),
                        weights, labels, weightsFile.toString())) {
            Map<String, Object> out = new LinkedHashMap<>();
            out.put("impl", "finetune4j");
            out.put("engine", "PyTorch " + Engine.getEngine("PyTorch").getVersion() + " (DJL " + Engine.getDjlVersion() + ")");
            out.put("threads", threads);
            out.put("tcmalloc", String.valueOf(System.getenv("LD_PRELOAD")).contains("tcmalloc"));
            out.put("arch", arch.id());
            out.put("size", size);
            out.put("batch", batch);
            out.put("steps", steps);
            out.put("warmup", warmup);
            out.put("params", model.parameters().count(true));
            if (mode.equals("train") || mode.equals("both")) {
                double[] t = trainerStepSeconds(model, images, shape, classes, warmup, steps,
                        mode.equals("train") ? a.get("--profile") : null);
                out.put("train_images_per_s", batch * t.length / java.util.Arrays.stream(t).sum());
                out.put("train_step_s_median", Throughput.median(t));
                out.put("train_loop", "Trainer.fit");
            }
            if (mode.equals("infer") || mode.equals("both")) {
                double[] t = new double[steps];
                JniUtils.setGradMode(false);
                if (!a.containsKey("--no-seal")) model.parameters().seal(); // as ft4j predict and serve load an export
                out.put("sealed", model.parameters().sealed());
                for (int s = -warmup; s < steps; s++) {
                    if (s == 0 && mode.equals("infer") && a.containsKey("--profile")) JniUtils.startProfile(false, true, false);
                    try (NDManager step = m.newSubManager()) {
                        long t0 = System.nanoTime();
                        model.logits(step, step.create(images, shape), false).softmax(-1).toFloatArray();
                        if (s >= 0) t[s] = (System.nanoTime() - t0) / 1e9;
                        System.err.printf("infer %s %d: %.3fs%n", s < 0 ? "warmup" : "step", s + warmup + 1,
                                (System.nanoTime() - t0) / 1e9);
                    }
                }
                if (mode.equals("infer") && a.containsKey("--profile")) JniUtils.stopProfile(a.get("--profile"));
                out.put("infer_images_per_s", batch * t.length / java.util.Arrays.stream(t).sum());
                out.put("infer_step_s_median", Throughput.median(t));
            }
            System.out.println(new ObjectMapper().writeValueAsString(out));
        }
    }

    /**
     * Seconds per optimizer step of {@link Trainer#fit} after {@code warmup} steps; every batch is
     * the same images (image i of the data set is row i % batch, with its label), shuffled.
     */
    static double[] trainerStepSeconds(ImageClassifier model, float[] images, Shape shape, int classes, int warmup,
            int steps, String profile) {
        int batch = (int) shape.get(0);
        LabelledInputs<NDArray> data = new LabelledInputs<>() {
            @Override
            public int size() {
                return batch * (warmup + steps);
            }

            @Override
            public int label(int i) {
                return i % batch % classes;
            }

            @Override
            public int length(int i) {
                return 1;
            }

            @Override
            public NDArray collate(NDManager step, int[] indices, BatchContext context) {
                int per = images.length / batch;
                float[] rows = new float[indices.length * per];
                for (int k = 0; k < indices.length; k++) {
                    System.arraycopy(images, indices[k] % batch * per, rows, k * per, per);
                }
                return step.create(rows, new Shape(indices.length, shape.get(1), shape.get(2), shape.get(3)));
            }
        };
        return TrainerTiming.stepSeconds(model, data, model.labels(), 1e-4, batch, warmup, steps, profile);
    }
}
