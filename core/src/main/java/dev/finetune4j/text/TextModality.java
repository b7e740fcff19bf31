package dev.finetune4j.text;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import dev.finetune4j.UserError;
import dev.finetune4j.data.CleanResult;
import dev.finetune4j.data.Cleaner;
import dev.finetune4j.data.Example;
import dev.finetune4j.data.TabularReader;
import dev.finetune4j.export.HfExport;
import dev.finetune4j.model.HostTensor;
import dev.finetune4j.model.Pooling;
import dev.finetune4j.model.TextBatch;
import dev.finetune4j.model.bert.BertForSequenceClassification;
import dev.finetune4j.model.io.BertCheckpoint;
import dev.finetune4j.model.io.ModelCatalog;
import dev.finetune4j.model.io.ModelSource;
import dev.finetune4j.model.io.ResolvedModelFiles;
import dev.finetune4j.pipeline.Defaults;
import dev.finetune4j.pipeline.PreviousExport;
import dev.finetune4j.pipeline.Modality;
import dev.finetune4j.pipeline.Predictor;
import dev.finetune4j.recipe.DataConfig;
import dev.finetune4j.recipe.Recipe;
import dev.finetune4j.recipe.Strategy;
import dev.finetune4j.track.Provenance;
import dev.finetune4j.train.Evaluator;
import dev.finetune4j.train.LabelledInputs;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * Text classification: rows of a CSV / TSV / JSONL file with a text and a label column, tokenized
 * with the model's {@code tokenizer.json}, over a BERT-family encoder ({@link BertForSequenceClassification}),
 * exported in Hugging Face's layout.
 */
public final class TextModality implements Modality<TextBatch> {
    public static final String TASK = "text-classification";

    private static final JsonNode RECIPE_SCHEMA = Modality.schemaBeside(TextModality.class);

    @Override
    public String task() {
        return TASK;
    }

    @Override
    public JsonNode recipeSchema() {
        return RECIPE_SCHEMA.deepCopy();
    }

    @Override
    public Class<TextSettings> settingsType() {
        return TextSettings.class;
    }


    /** Also an export of an earlier version, which did not write {@code finetune4j.task}. */
    @Override
    public boolean exported(JsonNode config) {
        JsonNode task = config.path("finetune4j").path("task");
        return task.isMissingNode() ? "BertForSequenceClassification".equals(config.path("architectures").path(0).asText())
                : TASK.equals(task.asText());
    }

    @Override
    public Predictor load(Path modelDir) {
        return TextClassifier.load(modelDir);
    }

    /** Tokens per text when the recipe gives no data.max_length and the model reads as many. */
    static final int DEFAULT_MAX_LENGTH = 128;


    @Override
    public Upstream upstream(String model) {
        return ModelCatalog.lookup(model).map(e -> new Upstream(e.upstream(), e.licence())).orElse(null);
    }

    @Override
    public String autoModel() {
        return "all-minilm-l6-v2";
    }

    @Override
    public String autoModelReason() {
        return "the catalogue's smallest and fastest English body: the most trials per budget";
    }

    /** Mean or first-token pooling; not a pooler, which MiniLM lacks and LoRA would leave at its random start. */
    @Override
    public Map<String, Object> autoSearchSpace() {
        return Map.of("head.pooling", Map.of("type", "choice", "values", List.of("mean", "cls")));
    }

    @Override
    public CleanResult read(Recipe recipe, Path file, String key) {
        DataConfig dc = recipe.data();
        String textColumn = recipe.settings(TextSettings.class).data().textColumn();
        CleanResult clean = Cleaner.clean(TabularReader.read(file, dc.format(), textColumn, dc.labelColumn(),
                dc.onBadLine(), key + " in the recipe"), dc.dropDuplicates());
        return clean;
    }

    @Override
    public String whenNothingIsLeft() {
        return "check data.text_column and data.label_column";
    }

    @Override
    public ResolvedModelFiles resolveModel(Recipe recipe) {
        return ModelSource.resolve(recipe.model(), recipe.baseDir());
    }

    /** Bodies up to this size fine-tune well at {@link #SMALL_BODY_RATE}. */
    static final long SMALL_BODY_PARAMETERS = 50_000_000L;
    static final double SMALL_BODY_RATE = 1e-4;
    static final double LARGE_BODY_RATE = 3e-5;

    /** The checkpoint {@link #choose} read, for {@link #open} to take instead of reading it again. */
    private BertCheckpoint chosenFrom;
    private ResolvedModelFiles chosenFiles;

    /**
     * The pooling the checkpoint was trained with (its pooler when it ships one, else the
     * catalogue's, else mean: a pooler initialised at random is no sentence representation), and,
     * for training the whole body or part of it, a learning rate by the body's size: small encoders
     * such as MiniLM fine-tune well at 1e-4, BERT-base and larger at 2e-5 to 5e-5 (Devlin et al. 2019).
     */
    @Override
    public List<Defaults.Choice> choose(Recipe recipe, ResolvedModelFiles files) {
        BertCheckpoint checkpoint = BertCheckpoint.load(files);
        chosenFrom = checkpoint;
        chosenFiles = files;
        List<Defaults.Choice> out = new ArrayList<>();
        PreviousExport previous = previousExport(files);
        if (previous != null) {
            String where = "as " + previous.dir() + " was fine-tuned";
            if (recipe.head().pooling() == null) {
                out.add(new Defaults.Choice("head.pooling", Pooling.parse(previous.info().path("pooling").asText("pooler")),
                        where));
            }
            if (recipe.settings(TextSettings.class).data().maxLength() == null && previous.info().has("max_length")) {
                out.add(new Defaults.Choice("data.max_length", previous.info().get("max_length").asInt(), where));
            }
        }
        if (recipe.head().pooling() == null && previous == null) {
            Optional<String> catalogue = ModelCatalog.lookup(recipe.model()).map(ModelCatalog.Entry::pooling);
            if (checkpoint.weights().containsKey("pooler.dense.weight")) {
                out.add(new Defaults.Choice("head.pooling", Pooling.POOLER,
                        "the checkpoint has pooler weights, as BertForSequenceClassification uses them"));
            } else {
                Pooling pooling = catalogue.map(Pooling::parse).orElse(Pooling.MEAN);
                out.add(new Defaults.Choice("head.pooling", pooling, "the checkpoint has no pooler weights; "
                        + (catalogue.isPresent() ? files.description().split(":")[0] + " was trained with " + pooling.recipeName()
                                + " pooling" : "mean pooling needs no new layer")
                        + "; head.pooling: pooler exports exactly Hugging Face's BertForSequenceClassification"));
            }
        }
        if (recipe.settings(TextSettings.class).data().maxLength() == null
                && out.stream().noneMatch(c -> c.key().equals("data.max_length"))) {
            int positions = checkpoint.config().maxPositionEmbeddings();
            out.add(positions < DEFAULT_MAX_LENGTH
                    ? new Defaults.Choice("data.max_length", positions, "the model reads at most " + positions + " positions")
                    : new Defaults.Choice("data.max_length", DEFAULT_MAX_LENGTH, "what classifiers are commonly fine-tuned"
                            + " with; longer texts are truncated (raise it, up to " + positions + ", for long documents)"));
        }
        Strategy strategy = recipe.strategy().type();
        boolean body = strategy == Strategy.FULL || strategy == Strategy.PARTIAL || strategy == Strategy.GRADUAL_UNFREEZE;
        if (recipe.train().learningRate() == null && body) {
            long parameters = checkpoint.weights().values().stream().mapToLong(HostTensor::size).sum();
            boolean small = parameters <= SMALL_BODY_PARAMETERS;
            out.add(new Defaults.Choice("train.learning_rate", small ? SMALL_BODY_RATE : LARGE_BODY_RATE,
                    String.format(Locale.ROOT, "%s a %.0fM-parameter body: %s", strategy == Strategy.FULL ? "fine-tuning"
                            : "training part of", parameters / 1e6, small ? "small bodies take higher rates"
                            : "as BERT-base and larger are fine-tuned")));
        }
        return out;
    }

    @Override
    public Run<TextBatch> open(Recipe recipe, ResolvedModelFiles files, Map<String, Object> modelProvenance,
            List<String> labels, NDManager manager, PrintStream log) {
        int maxLength = recipe.settings(TextSettings.class).data().maxLength();
        BertCheckpoint checkpoint = files.equals(chosenFiles) ? chosenFrom : BertCheckpoint.load(files);
        chosenFrom = null;
        chosenFiles = null;
        log.printf("model: %s (%d layers, hidden %d)%n", files.description(), checkpoint.config().numHiddenLayers(),
                checkpoint.config().hiddenSize());
        int positions = checkpoint.config().maxPositionEmbeddings();
        if (maxLength > positions) {
            throw new UserError("data.max_length is " + maxLength + " but the model " + files.description() + " has only "
                    + positions + " positions (max_position_embeddings in its config); set data.max_length to at most "
                    + positions);
        }
        TextEncoder encoder = TextEncoder.load(files.tokenizerJson(), maxLength);
        PreviousExport previous = previousExport(files);
        try {
            BertForSequenceClassification model = BertForSequenceClassification.fromPretrained(manager,
                    checkpoint.config(), checkpoint.weights(), files.description(), recipe.head().pooling(),
                    recipe.head().dropout(), recipe.train().hiddenDropout(), labels, recipe.seed(),
                    previous == null ? List.of() : previous.labels());
            model.notes().forEach(n -> log.println("note: " + n));
            return new TextRun(model, encoder, files, (String) modelProvenance.get("tokenizer_sha256"), log);
        } catch (RuntimeException e) {
            encoder.close();
            throw e;
        }
    }

    /**
     * Token ids of texts this JVM already encoded, by tokenizer, max_length and the texts' hash:
     * tuning trials tokenize the same data every trial (about half a cached trial's start-up).
     */
    private static final Map<String, List<EncodedText>> ENCODED = Collections.synchronizedMap(
            new LinkedHashMap<>(8, 0.75f, true) {
                @Override
                protected boolean removeEldestEntry(Map.Entry<String, List<EncodedText>> eldest) {
                    return size() > 6; // a study's train, validation and test sets, twice over
                }
            });

    private record TextRun(BertForSequenceClassification model, TextEncoder encoder, ResolvedModelFiles files,
            String tokenizerSha256, PrintStream log) implements Run<TextBatch> {
        @Override
        public LabelledInputs<TextBatch> inputs(List<Example> examples, int[] labels, String name,
                Map<String, Object> dataReport) {
            List<String> texts = new ArrayList<>(examples.size());
            for (Example e : examples) texts.add(e.text());
            String key = tokenizerSha256 + ":" + encoder.maxLength() + ":"
                    + Provenance.sha256(String.join("\u0000", texts).getBytes(StandardCharsets.UTF_8));
            List<EncodedText> encoded = ENCODED.get(key);
            if (encoded == null) {
                encoded = encoder.encodeAll(texts);
                ENCODED.put(key, encoded);
            }
            int truncated = TextEncoder.countTruncated(encoded);
            if (truncated > 0) {
                log.printf("note: %d of %d %s texts are longer than max_length %d tokens and were truncated%n", truncated,
                        encoded.size(), name, encoder.maxLength());
            }
            @SuppressWarnings("unchecked")
            Map<String, Object> truncation = (Map<String, Object>) dataReport.computeIfAbsent("truncated_to_max_length",
                    k -> new LinkedHashMap<String, Object>());
            truncation.put(name, truncated);
            return new EncodedTexts(encoded, labels, encoder.padId());
        }

        /** Mean-pooled, L2-normalised last hidden states: the body's sentence embeddings. */
        @Override
        public float[][] representations(LabelledInputs<TextBatch> data, int batchSize) {
            return Evaluator.rows(data, batchSize, (scope, batch) -> {
                NDArray pooled = model.bert().pooled(model.bert().hiddenStates(scope, batch, false),
                        batch.attentionMask(), Pooling.MEAN);
                return pooled.div(pooled.norm(new int[] {1}, true).maximum(1e-12f));
            });
        }

        @Override
        public String digest(LabelledInputs<TextBatch> data) {
            return ((EncodedTexts) data).digest();
        }

        @Override
        public String featureSettings() {
            return model.pooling().name() + encoder.maxLength();
        }

        @Override
        public void export(Path dir, Map<String, Object> info) {
            HfExport.write(model, files.tokenizerJson(), encoder.maxLength(), info, dir);
        }

        @Override
        public Map<String, Object> describe(Example example) {
            return Map.of("text", example.text());
        }

        @Override
        public void close() {
            try {
                encoder.close();
            } finally {
                model.close();
            }
        }
    }
}
