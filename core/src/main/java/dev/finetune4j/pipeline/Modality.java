package dev.finetune4j.pipeline;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import dev.finetune4j.data.CleanResult;
import dev.finetune4j.data.Example;
import dev.finetune4j.model.Classifier;
import dev.finetune4j.model.io.ResolvedModelFiles;
import dev.finetune4j.recipe.Recipe;
import dev.finetune4j.recipe.TaskKeys;
import dev.finetune4j.train.LabelledInputs;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * What a kind of data brings to the one pipeline ({@link FineTune}): how its examples are read and
 * cleaned, which pre-trained bodies it builds, how examples become batches, and how a trained model
 * is exported. A modality is chosen by the recipe's {@code task} and found with
 * {@link java.util.ServiceLoader} (listed in {@code META-INF/services/dev.finetune4j.pipeline.Modality}),
 * so the pipeline never names one. Its recipe keys are its {@link TaskKeys} (listed as well in
 * {@code META-INF/services/dev.finetune4j.recipe.TaskKeys}, which the recipe loader reads).
 *
 * @param <B> the batch its models take
 */
public interface Modality<B> extends TaskKeys {

    /**
     * Reads one data file of the recipe and cleans it: what was dropped, and why, is in the result's
     * report. {@code key} names the file in errors ({@code data.train}).
     */
    CleanResult read(Recipe recipe, Path file, String key);

    /** What to tell a user whose data file has no usable example left after cleaning, e.g. which keys to check. */
    String whenNothingIsLeft();

    /** Where the recipe's pre-trained model is (a catalogue name, a directory, a file). */
    ResolvedModelFiles resolveModel(Recipe recipe);

    /**
     * What this modality chooses for keys the recipe leaves out ({@code null}) that depend on its
     * bodies, such as the pooling a checkpoint was trained with or the learning rate for a body of its
     * size; {@link Defaults} chooses the rest. None by default.
     */
    default List<Defaults.Choice> choose(Recipe recipe, ResolvedModelFiles files) {
        return List.of();
    }

    /**
     * The ft4j export that the recipe's model is, when it is one (continual fine-tuning: its head is
     * kept for its labels), else null: by default, a model directory whose config.json's
     * {@code finetune4j.task} is this modality's.
     */
    default PreviousExport previousExport(ResolvedModelFiles files) {
        if (files.kind() != ResolvedModelFiles.Kind.HF_DIR || files.configJson() == null) return null;
        PreviousExport p = PreviousExport.in(files.configJson().getParent());
        return p != null && task().equals(p.info().path("task").asText()) ? p : null;
    }

    /** A modality's recipe schema fragment, {@code recipe.schema.json} beside its class. */
    static JsonNode schemaBeside(Class<?> modality) {
        try (java.io.InputStream in = modality.getResourceAsStream("recipe.schema.json")) {
            if (in == null) throw new IllegalStateException("no recipe.schema.json beside " + modality.getName());
            return dev.finetune4j.util.AtomicFiles.JSON.readTree(in);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** What a model card says a catalogue model is: its upstream id and the SPDX id of its weights' licence. */
    record Upstream(String id, String licence) {}

    /** The catalogue model that {@code model} names, or null when it names none. */
    default Upstream upstream(String model) {
        return null;
    }

    /** The body {@code ft4j auto} fine-tunes when none is given: a catalogue id. */
    default String autoModel() {
        throw new dev.finetune4j.UserError("task " + task() + " has no default body for ft4j auto: pass --model");
    }

    /** Why {@link #autoModel} is the default, for the log. */
    default String autoModelReason() {
        return "the task's default body";
    }

    /**
     * The modality's own keys that {@code ft4j auto} searches, beside strategy, learning rate, LoRA
     * rank, warmup and weight decay: parameter name to its tune-file definition
     * ({@code {type: choice, values: [...]}}). None by default.
     */
    default Map<String, Object> autoSearchSpace() {
        return Map.of();
    }

    /**
     * Builds the pre-trained body with a new head sized to {@code labels} in {@code manager}, after
     * checking that the recipe fits the model (user errors name the key to change).
     *
     * @param modelProvenance provenance's record of the model files, with their SHA-256
     *     ({@code weights_sha256}, {@code tokenizer_sha256}): what caches of derived data are keyed by
     */
    Run<B> open(Recipe recipe, ResolvedModelFiles files, Map<String, Object> modelProvenance, List<String> labels,
            NDManager manager, PrintStream log);

    /**
     * Whether this modality made the export whose {@code config.json} is {@code config}: by default,
     * when its {@code finetune4j.task} is {@link #task()}.
     */
    default boolean exported(JsonNode config) {
        return task().equals(config.path("finetune4j").path("task").asText());
    }

    /** The trained model in an export directory of this modality, for prediction. */
    Predictor load(Path modelDir);

    /** One run's model and what depends on it. */
    interface Run<B> extends AutoCloseable {
        Classifier<B> model();

        /**
         * The examples of one split as the model consumes them, their labels as indices into the
         * model's labels; what the user should know (truncation) goes to the log and, under the
         * split's {@code name}, into {@code dataReport}.
         */
        LabelledInputs<B> inputs(List<Example> examples, int[] labels, String name, Map<String, Object> dataReport);

        /**
         * The body's representation of each example to measure forgetting by (how far fine-tuning
         * moved the body): rows compared by cosine before and after training; null when the modality
         * has none.
         */
        float[][] representations(LabelledInputs<B> data, int batchSize);

        /** A digest of everything the body sees of {@code data}: equal digests, equal body features. */
        String digest(LabelledInputs<B> data);

        /** What the body's features depend on besides the weights and the inputs (pooling, lengths). */
        String featureSettings();

        /** Writes the trained model in its modality's standard layout; {@code info} goes into its config. */
        void export(Path dir, Map<String, Object> info);

        /** Where an example is, for the log: {@code file:line} by default. */
        default String where(Example example, String file) {
            return file + ":" + example.line();
        }

        /** The input of an example as a prediction line shows it, e.g. {@code {"text": ...}}. */
        Map<String, Object> describe(Example example);

        @Override
        void close();
    }
}
