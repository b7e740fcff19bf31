package dev.finetune4j.train;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDManager;
import dev.finetune4j.TensorRuntime;
import dev.finetune4j.eval.Metric;
import dev.finetune4j.model.Pooling;
import dev.finetune4j.model.bert.BertForSequenceClassification;
import dev.finetune4j.model.bert.BertModel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StepTraceTest {
    @TempDir
    Path tmp;

    /** Trains the tiny model 4 steps with dropout on and returns the trace's lines. */
    List<String> trace(String name, long seed, float learningRate) throws Exception {
        Path file = tmp.resolve(name + ".jsonl");
        String before = System.getProperty("ft4j.trace");
        System.setProperty("ft4j.trace", file.toString());
        try (NDManager m = TensorRuntime.newManager();
                BertForSequenceClassification model = BertForSequenceClassification.fromPretrained(m, TrainerTest.TINY,
                        BertModel.randomWeights(TrainerTest.TINY, 1), "random", Pooling.POOLER, 0.2, 0.1,
                        List.of("a", "b"), 3)) {
            new Trainer(Trainer.Options.builder().epochs(4).batchSize(2).evalBatchSize(8).learningRate(learningRate)
                    .warmupRatio(0.0).schedule(Schedule.CONSTANT).metric(Metric.MACRO_F1).seed(seed).build())
                    .fit(model, TinyTexts.four(), null, model.labels(), TrainingListener.none());
        } finally {
            if (before == null) System.clearProperty("ft4j.trace");
            else System.setProperty("ft4j.trace", before);
        }
        return Files.readAllLines(file);
    }

    @Test
    void aRepeatedRunTracesTheSameBitsAndAChangedOneShowsWhereItParts() throws Exception {
        List<String> a = trace("a", 7, 1e-3f);
        assertThat(a).hasSize(8).allMatch(l -> l.matches("\\{\"step\":\\d+,\"logits\":\"[0-9a-f]{8}\",\"grads\":\"[0-9a-f]{8}\","
                + "\"loss\":\"[0-9a-f]{16}\",\"norm\":\"[0-9a-f]{16}\",\"params\":\"[0-9a-f]{8}\",\"threads\":\\d+,\"thread\":\".*\"}"));
        assertThat(trace("again", 7, 1e-3f)).isEqualTo(a);

        // Another seed draws other dropout masks at step 0: the forward pass already differs.
        List<String> otherSeed = trace("seed", 8, 1e-3f);
        assertThat(field(otherSeed.get(0), "logits")).isNotEqualTo(field(a.get(0), "logits"));

        // Another learning rate: step 0's forward and backward agree, its update does not.
        List<String> otherLr = trace("lr", 7, 2e-3f);
        for (String f : List.of("logits", "grads", "loss", "norm")) {
            assertThat(field(otherLr.get(0), f)).as(f).isEqualTo(field(a.get(0), f));
        }
        assertThat(field(otherLr.get(0), "params")).isNotEqualTo(field(a.get(0), "params"));
        assertThat(field(otherLr.get(1), "logits")).isNotEqualTo(field(a.get(1), "logits"));
    }

    static String field(String line, String name) {
        return line.replaceAll(".*\"" + name + "\":\"?([^\",}]*).*", "$1");
    }
}
