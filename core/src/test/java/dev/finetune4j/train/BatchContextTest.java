package dev.finetune4j.train;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDManager;
import dev.finetune4j.TensorRuntime;
import dev.finetune4j.eval.Metric;
import dev.finetune4j.model.Pooling;
import dev.finetune4j.model.TextBatch;
import dev.finetune4j.model.bert.BertConfig;
import dev.finetune4j.model.bert.BertForSequenceClassification;
import dev.finetune4j.model.bert.BertModel;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What collate learns about its batch: enough for augmentation that a resumed run repeats exactly. */
class BatchContextTest {
    static final BertConfig TINY = BertConfig.tiny(50);

    @Test
    void eachBatchHasItsOwnGeneratorThatDependsOnNothingElse() {
        BatchContext c = new BatchContext(7, 1, 12, 0, true);
        assertThat(c.random().nextLong()).isEqualTo(new BatchContext(7, 1, 12, 0, true).random().nextLong());
        long first = c.random().nextLong();
        for (BatchContext other : List.of(new BatchContext(8, 1, 12, 0, true), new BatchContext(7, 2, 12, 0, true),
                new BatchContext(7, 1, 13, 0, true), new BatchContext(7, 1, 12, 1, true))) {
            assertThat(other.random().nextLong()).as("%s", other).isNotEqualTo(first);
        }
    }

    /** TinyTexts that remember every context collate was called with. */
    static LabelledInputs<TextBatch> recording(List<BatchContext> seen) {
        LabelledInputs<TextBatch> four = TinyTexts.four();
        return new LabelledInputs<>() {
            public int size() { return four.size(); }
            public int label(int i) { return four.label(i); }
            public int length(int i) { return four.length(i); }
            public TextBatch collate(NDManager scope, int[] indices, BatchContext context) {
                seen.add(context);
                return four.collate(scope, indices, context);
            }
        };
    }

    static List<BatchContext> train(Checkpoints checkpoints, Checkpoints.Loaded from) {
        Trainer.Options o = Trainer.Options.builder().epochs(2).batchSize(1).gradientAccumulationSteps(2).evalBatchSize(4)
                .learningRate(1e-2).warmupRatio(0).schedule(Schedule.CONSTANT).metric(Metric.LOSS).seed(21).build();
        List<BatchContext> seen = new ArrayList<>();
        try (NDManager m = TensorRuntime.newManager();
                BertForSequenceClassification model = BertForSequenceClassification.fromPretrained(m, TINY,
                        BertModel.randomWeights(TINY, 1), "random", Pooling.POOLER, 0.1, 0.1, List.of("a", "b"), 3)) {
            new Trainer(o).fit(model, recording(seen), recording(seen), model.labels(), TrainingListener.none(),
                    checkpoints, from);
        }
        return seen;
    }

    @Test
    void trainingBatchesKnowTheirEpochStepAndMicroBatchAndAResumeSeesTheSame(@TempDir Path dir) {
        List<BatchContext> all = train(new Checkpoints(dir, 1, 100, "contexts", new PrintStream(new ByteArrayOutputStream())),
                null);
        List<BatchContext> training = all.stream().filter(BatchContext::training).toList();
        assertThat(training).containsExactly(
                new BatchContext(21, 0, 0, 0, true), new BatchContext(21, 0, 0, 1, true),
                new BatchContext(21, 0, 1, 0, true), new BatchContext(21, 0, 1, 1, true),
                new BatchContext(21, 1, 2, 0, true), new BatchContext(21, 1, 2, 1, true),
                new BatchContext(21, 1, 3, 0, true), new BatchContext(21, 1, 3, 1, true));
        assertThat(all).as("validation batches are not training batches").contains(BatchContext.EVALUATION);

        Checkpoints saved = new Checkpoints(dir, 1, 100, "contexts", new PrintStream(new ByteArrayOutputStream()));
        Path afterStep2 = saved.list().stream().filter(p -> p.getFileName().toString().equals(String.format("step-%09d", 2))).findFirst()
                .orElseThrow();
        Path only = dir.resolve("only");
        ResumeTest.AtomicCopy.directory(afterStep2, only.resolve(afterStep2.getFileName()));
        Checkpoints.Loaded loaded = new Checkpoints(only, 1, 100, "contexts", new PrintStream(new ByteArrayOutputStream()))
                .latest().orElseThrow();
        List<BatchContext> resumed = train(null, loaded).stream().filter(BatchContext::training).toList();
        assertThat(resumed).isEqualTo(training.subList(4, 8));
    }
}
