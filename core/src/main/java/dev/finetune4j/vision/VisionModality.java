package dev.finetune4j.vision;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import dev.finetune4j.UserError;
import dev.finetune4j.data.CleanResult;
import dev.finetune4j.data.Example;
import dev.finetune4j.model.ImageClassifier;
import dev.finetune4j.model.io.ResolvedModelFiles;
import dev.finetune4j.pipeline.Defaults;
import dev.finetune4j.pipeline.Modality;
import dev.finetune4j.pipeline.Predictor;
import dev.finetune4j.pipeline.PreviousExport;
import dev.finetune4j.recipe.DataConfig;
import dev.finetune4j.recipe.Recipe;
import dev.finetune4j.recipe.Strategy;
import dev.finetune4j.train.Evaluator;
import dev.finetune4j.train.LabelledInputs;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Image classification: a folder of class folders, or a CSV / JSONL file of image paths and labels
 * ({@link ImageFiles}); a CNN body pre-trained on images ({@link Architecture}: MobileNetV2,
 * ResNet, VGG, EfficientNet, Inception V3) under a new torchvision head; preprocessing as the body
 * was trained with ({@link Preprocessing}); augmentation of the training split ({@code augment:});
 * exported as {@code model.safetensors} in the body's key layout, {@code config.json} and
 * {@code preprocessor_config.json}.
 */
public final class VisionModality implements Modality<NDArray> {
    public static final String TASK = "image-classification";

    private static final JsonNode RECIPE_SCHEMA = Modality.schemaBeside(VisionModality.class);

    @Override
    public String task() {
        return TASK;
    }

    @Override
    public JsonNode recipeSchema() {
        return RECIPE_SCHEMA.deepCopy();
    }

    @Override
    public Class<VisionSettings> settingsType() {
        return VisionSettings.class;
    }

    @Override
    public boolean readsFolders() {
        return true;
    }


    @Override
    public CleanResult read(Recipe recipe, Path file, String key) {
        DataConfig dc = recipe.data();
        VisionSettings.Data data = recipe.settings(VisionSettings.class).data();
        return ImageFiles.read(file, dc.format(), data.imageColumn(), dc.labelColumn(), dc.onBadLine(), dc.dropDuplicates(),
                key + " in the recipe");
    }

    @Override
    public String whenNothingIsLeft() {
        return "check that the folder holds one sub-folder of PNG / JPEG / BMP / GIF images per class, or that"
                + " data.image_column and data.label_column name the table's columns and the paths are relative to it";
    }

    @Override
    public ResolvedModelFiles resolveModel(Recipe recipe) {
        return VisionWeights.resolve(recipe.model(), recipe.baseDir(), System.out);
    }


    @Override
    public Upstream upstream(String model) {
        return VisionCatalog.lookup(model).map(e -> new Upstream(e.upstream(), e.licence())).orElse(null);
    }

    @Override
    public String autoModel() {
        return "mobilenet-v2";
    }

    @Override
    public String autoModelReason() {
        return "the catalogue's smallest and fastest body: the most trials per budget";
    }

    /** AdamW rates for training a CNN body: the whole of it, or part. */
    static final double BODY_RATE = 3e-4;

    @Override
    public List<Defaults.Choice> choose(Recipe recipe, ResolvedModelFiles files) {
        List<Defaults.Choice> out = new ArrayList<>();
        Strategy strategy = recipe.strategy().type();
        boolean body = strategy == Strategy.FULL || strategy == Strategy.PARTIAL || strategy == Strategy.GRADUAL_UNFREEZE;
        if (recipe.strategy() instanceof dev.finetune4j.recipe.StrategyConfig.Lora lora
                && lora.targets().equals(dev.finetune4j.recipe.StrategyConfig.Lora.defaults().targets())) {
            out.add(new Defaults.Choice("strategy.targets", List.of(dev.finetune4j.adapt.Lora.EVERY_SITE), "a CNN has no"
                    + " attention query and value: adapters on every 1x1 convolution and linear layer of its blocks"));
        }
        if (recipe.train().learningRate() == null && body) {
            out.add(new Defaults.Choice("train.learning_rate", BODY_RATE, "fine-tuning a CNN body with AdamW: about a"
                    + " tenth of the rate it would train from scratch with"));
        }
        return out;
    }

    @Override
    public Run<NDArray> open(Recipe recipe, ResolvedModelFiles files, Map<String, Object> modelProvenance,
            List<String> labels, NDManager manager, PrintStream log) {
        VisionSettings settings = recipe.settings(VisionSettings.class);
        if (!settings.body().pretrained() && recipe.strategy().type() != Strategy.FULL) {
            throw new UserError("body.pretrained is false (a random-init baseline), but strategy " + recipe.strategy().type()
                    .recipeName() + " keeps some of the body as it starts, that is random: use strategy full");
        }
        VisionWeights w = VisionWeights.read(files, settings.body().architecture(), settings.body().pretrained());
        Preprocessing pre = settings.data().imageSize() == null ? w.preprocessing()
                : w.preprocessing().atSize(settings.data().imageSize());
        PreviousExport previous = previousExport(files);
        Architecture a = w.architecture();
        ImageClassifier model = ImageClassifier.withNewHead(manager, a.body(w.keras()), a.head(),
                recipe.head().dropout() == null ? a.dropout() : recipe.head().dropout().floatValue(), w.weights(), labels,
                previous == null ? List.of() : previous.labels(), recipe.seed(), files.description());
        model.parameters().freezeStatistics(settings.train().freezeBatchnorm());
        log.printf(Locale.ROOT, "model: %s (%s%s, %.1fM parameters%s)%n", files.description(), a.id(),
                w.keras() ? ", Keras variant" : "", model.parameters().count(false) / 1e6,
                w.weights() == null ? ", random initialisation: body.pretrained is false" : "");
        log.printf("images: %s%n", pre);
        Augmentation augmentation = settings.augment() == null ? null : new Augmentation(settings.augment(), pre);
        if (augmentation != null) {
            VisionSettings.Augment g = settings.augment();
            log.printf(Locale.ROOT, "augment: random resized crop (scale %s to %s), flip %.2f, rotation %.0f deg, colour"
                    + " jitter %.2f%s%s%n", g.cropScale().get(0), g.cropScale().get(1), g.horizontalFlip(), g.rotation(),
                    g.colorJitter(), g.mixup() > 0 ? ", mixup " + g.mixup() : "", g.cutmix() > 0 ? ", cutmix " + g.cutmix() : "");
            if (recipe.strategy().type() == Strategy.FEATURE_EXTRACTION) {
                log.println("note: feature-extraction computes the frozen body's features once, from the images as"
                        + " evaluation sees them: augmentation does not apply (strategy lora, partial or full trains on"
                        + " augmented images)");
            }
        }
        return new VisionRun(model, a, w.keras(), pre, augmentation, labels.size(), new ArrayList<>());
    }

    @Override
    public Predictor load(Path modelDir) {
        return ImagePredictor.load(modelDir);
    }

    /** @param made the inputs it made, whose image caches {@link #close} frees */
    private record VisionRun(ImageClassifier model, Architecture architecture, boolean keras, Preprocessing preprocessing,
            Augmentation augmentation, int classes, List<ImageInputs> made) implements Run<NDArray> {
        @Override
        public LabelledInputs<NDArray> inputs(List<Example> examples, int[] labels, String name,
                Map<String, Object> dataReport) {
            ImageInputs in = new ImageInputs(examples.stream().map(Example::text).toList(), labels, preprocessing,
                    augmentation, classes);
            made.add(in);
            return in;
        }

        /** Pooled body features, L2-normalised. */
        @Override
        public float[][] representations(LabelledInputs<NDArray> data, int batchSize) {
            return Evaluator.rows(data, batchSize, (scope, batch) -> {
                NDArray f = model.features(scope, batch, false);
                return f.div(f.norm(new int[] {1}, true).maximum(1e-12f));
            });
        }

        @Override
        public String digest(LabelledInputs<NDArray> data) {
            return ((ImageInputs) data).digest();
        }

        @Override
        public String featureSettings() {
            return architecture.id() + (keras ? "-keras " : " ") + preprocessing;
        }

        @Override
        public void export(Path dir, Map<String, Object> info) {
            VisionExport.write(model, architecture, keras, preprocessing, info, dir);
        }

        /** The image's path, relative to the working directory when inside it. */
        @Override
        public String where(Example example, String file) {
            return ImageFiles.shown(example.text(), Path.of(""));
        }

        @Override
        public Map<String, Object> describe(Example example) {
            return Map.of("path", example.text());
        }

        @Override
        public void close() {
            made.forEach(ImageInputs::release);
            model.close();
        }
    }
}
