package dev.finetune4j.train;

import dev.finetune4j.recipe.StrategyConfig;
import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import dev.finetune4j.TensorRuntime;
import dev.finetune4j.adapt.Lora;
import dev.finetune4j.model.ParameterStore;
import dev.finetune4j.model.Pooling;
import dev.finetune4j.model.bert.BertForSequenceClassification;
import dev.finetune4j.model.bert.BertModel;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The backward pass must not depend on what the garbage collector did since the forward pass.
 * DJL's {@code mul(Number)} wraps the number in a tensor over a Java direct buffer and closes it at
 * once, while autograd keeps it for the backward pass: a collection between forward and backward
 * then frees it, and the backward multiplies by whatever the memory holds next (issue 10: NaN and
 * 1e33 in the attention query and key gradients, different bytes run to run). Here the collection
 * is forced and the freed small blocks are refilled with 1e30 before every backward; each gradient
 * of the tiny BERT (attention scale), its LoRA adapters (LoRA scaling) and the penalties (L2, L1,
 * L2-SP coefficients) must equal, bit for bit, those of a backward with nothing in between.
 */
class GradientsSurviveGarbageCollectionTest {
    @Test
    void gradientsAreTheSameWhateverTheCollectorFreedAndReusedBeforeTheBackwardPass() throws Exception {
        try (NDManager m = TensorRuntime.newManager();
                BertForSequenceClassification model = BertForSequenceClassification.fromPretrained(m, TrainerTest.TINY,
                        BertModel.randomWeights(TrainerTest.TINY, 1), "random", Pooling.POOLER, 0.0, 0.0,
                        List.of("a", "b"), 3)) {
            Lora.apply(model, new StrategyConfig.Lora(2, 4, 0.0, java.util.List.of("attention.self.query", "attention.self.key", "attention.self.value", "attention.output.dense", "intermediate.dense", "output.dense"), true, true), 3);
            for (String name : List.copyOf(model.parameters().all().keySet())) {
                // B starts at zero; random values give every adapter weight a gradient through the scaling
                if (name.endsWith(Lora.B)) model.parameters().put(name, randomLike(model.parameters(), name));
            }
            for (String name : model.parameters().all().keySet()) model.parameters().setTrainable(name, true);
            Map<String, float[]> clean = gradients(model, false);
            for (int attempt = 0; attempt < 3; attempt++) {
                Map<String, float[]> afterGc = gradients(model, true);
                for (Map.Entry<String, float[]> e : clean.entrySet()) {
                    assertThat(afterGc.get(e.getKey())).as(e.getKey()).containsExactly(e.getValue());
                }
            }
        }
    }

    private static Map<String, float[]> gradients(BertForSequenceClassification model, boolean collectAndReuse) throws Exception {
        ParameterStore params = model.parameters();
        Map<String, NDArray> start = new LinkedHashMap<>();
        try (NDManager scope = TensorRuntime.newManager()) {
            for (Map.Entry<String, NDArray> e : params.all().entrySet()) {
                NDArray copy = e.getValue().duplicate();
                copy.attach(scope);
                copy.setRequiresGradient(false);
                start.put(e.getKey(), copy.add(0.01f)); // away from the weights: L2-SP has a gradient
            }
            NDArray loss;
            JniUtils.setGradMode(true);
            try {
                int[] batch = {0, 1, 2, 3};
                NDArray logits = model.logits(scope, TinyTexts.four().collate(scope, batch), true);
                loss = Trainer.crossEntropy(logits, scope.create(new int[] {0, 1, 0, 1}))
                        .add(Trainer.penalty(model, start, new Trainer.Regularization(0.3, 0.2, 0.5), scope));
            } finally {
                JniUtils.setGradMode(false);
            }
            if (collectAndReuse) {
                System.gc();
                Thread.sleep(100); // the Cleaner frees the direct buffers of closed arrays
                List<ByteBuffer> refill = new ArrayList<>();
                for (int i = 0; i < 2000; i++) {
                    ByteBuffer b = ByteBuffer.allocateDirect(4 + (i % 4) * 4).order(ByteOrder.nativeOrder());
                    while (b.remaining() >= 4) b.putFloat(1e30f);
                    refill.add(b);
                }
            }
            JniUtils.backward((PtNDArray) loss, (PtNDArray) loss.onesLike(), false, false);
            Map<String, float[]> out = new LinkedHashMap<>();
            for (Map.Entry<String, NDArray> e : params.all().entrySet()) {
                try (NDArray g = e.getValue().getGradient()) {
                    out.put(e.getKey(), g.toFloatArray());
                }
                JniUtils.zeroGrad((PtNDArray) e.getValue());
            }
            return out;
        }
    }

    private static dev.finetune4j.model.HostTensor randomLike(ParameterStore params, String name) {
        long[] shape = params.get(name).getShape().getShape();
        java.util.Random rng = new java.util.Random(name.hashCode());
        float[] v = new float[(int) params.get(name).size()];
        for (int i = 0; i < v.length; i++) v[i] = (float) (rng.nextGaussian() * 0.02);
        return new dev.finetune4j.model.HostTensor(shape, v);
    }
}
