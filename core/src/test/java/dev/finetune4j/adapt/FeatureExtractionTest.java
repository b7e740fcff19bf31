package dev.finetune4j.adapt;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDManager;
import dev.finetune4j.TensorRuntime;
import dev.finetune4j.eval.Metric;
import dev.finetune4j.model.Pooling;
import dev.finetune4j.model.bert.BertConfig;
import dev.finetune4j.model.bert.BertForSequenceClassification;
import dev.finetune4j.model.bert.BertModel;
import dev.finetune4j.train.Schedule;
import dev.finetune4j.train.TinyTexts;
import dev.finetune4j.train.Trainer;
import dev.finetune4j.train.TrainingListener;
import dev.finetune4j.train.TrainingResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FeatureExtractionTest {
    static final BertConfig TINY = BertConfig.tiny(50);

    static BertForSequenceClassification model(NDManager m) {
        return BertForSequenceClassification.fromPretrained(m, TINY, BertModel.randomWeights(TINY, 1), "random", Pooling.MEAN,
                0.0, 0.0, List.of("a", "b"), 3);
    }

    static float[] rows(FeatureExtraction.Features f, int... indices) {
        try (NDManager m = TensorRuntime.newManager()) {
            return f.collate(m, indices).toFloatArray();
        }
    }

    @Test
    void featuresOverTheHeapLimitGoToDiskWithTheSameValuesAndTheFileGoesOnClose(@TempDir Path dir) throws Exception {
        try (NDManager m = TensorRuntime.newManager(); BertForSequenceClassification model = model(m)) {
            FeatureExtraction.freezeBody(model);
            FeatureExtraction.Features heap = FeatureExtraction.extract(model, TinyTexts.four(), 3, Long.MAX_VALUE, dir);
            FeatureExtraction.Features disk = FeatureExtraction.extract(model, TinyTexts.four(), 3, 0, dir);
            assertThat(heap.store()).isEqualTo("memory");
            assertThat(disk.store()).isEqualTo("disk");
            Path file = ((FeatureExtraction.DiskFeatures) disk).file();
            assertThat(file).exists().hasParent(dir);
            assertThat(Files.size(file)).isEqualTo(disk.bytes()).isEqualTo(4L * TINY.hiddenSize() * Float.BYTES);
            assertThat(disk.labels()).containsExactly(heap.labels());
            // Any order, repeats included: row i of the batch is example i's features, bit for bit.
            int[] order = {3, 0, 3, 1, 2};
            assertThat(rows(disk, order)).containsExactly(rows(heap, order));
            assertThat(rows(heap, 0)).isNotEqualTo(rows(heap, 1));
            disk.close();
            assertThat(file).doesNotExist();
        }
    }

    @Test
    void trainingOnDiskFeaturesGivesTheSameHeadAsOnHeapFeatures(@TempDir Path dir) {
        float[][] heads = new float[2][];
        for (int k = 0; k < 2; k++) {
            try (NDManager m = TensorRuntime.newManager(); BertForSequenceClassification model = model(m)) {
                FeatureExtraction.freezeBody(model);
                try (FeatureExtraction.Features f = FeatureExtraction.extract(model, TinyTexts.four(), 2,
                        k == 0 ? Long.MAX_VALUE : 0, dir)) {
                    TrainingResult r = new Trainer(Trainer.Options.builder().epochs(5).batchSize(2).evalBatchSize(4)
                            .learningRate(1e-2).headLearningRate(1e-2).weightDecay(0.0).warmupRatio(0.0)
                            .schedule(Schedule.CONSTANT).maxGradNorm(1.0).metric(Metric.MACRO_F1).seed(5).build())
                            .fit(FeatureExtraction.head(model), f, f, model.labels(), TrainingListener.none());
                    assertThat(r.epochSeconds()).hasSize(5);
                }
                heads[k] = model.parameters().toHost("classifier.weight").data();
            }
        }
        assertThat(heads[1]).containsExactly(heads[0]);
    }

    /** A tuning trial on a fresh thread trains on features another thread extracted: nothing there had turned grad mode off. */
    @Test
    void theHeadTrainsOnAFreshThreadThatNeverRanTheBody() throws Exception {
        try (NDManager m = TensorRuntime.newManager(); BertForSequenceClassification model = model(m)) {
            FeatureExtraction.freezeBody(model);
            try (FeatureExtraction.Features f = FeatureExtraction.extract(model, TinyTexts.four(), 2, Long.MAX_VALUE,
                    null)) {
                java.util.concurrent.atomic.AtomicReference<Throwable> error = new java.util.concurrent.atomic.AtomicReference<>();
                Thread t = new Thread(() -> {
                    try {
                        new Trainer(Trainer.Options.builder().epochs(2).batchSize(2).evalBatchSize(4).learningRate(1e-2)
                                .headLearningRate(1e-2).weightDecay(0.01).warmupRatio(0.0).schedule(Schedule.CONSTANT)
                                .maxGradNorm(1.0).metric(Metric.MACRO_F1).seed(5).build())
                                .fit(FeatureExtraction.head(model), f, f, model.labels(), TrainingListener.none());
                    } catch (Throwable e) {
                        error.set(e);
                    }
                });
                t.start();
                t.join();
                assertThat(error.get()).isNull();
            }
        }
    }
}
