package dev.finetune4j.vision;

import com.fasterxml.jackson.databind.JsonNode;
import dev.finetune4j.UserError;
import dev.finetune4j.model.HostTensor;
import dev.finetune4j.model.Module;
import dev.finetune4j.model.ParameterStore;
import dev.finetune4j.model.io.KerasToTorchvision;
import dev.finetune4j.model.io.ResolvedModelFiles;
import dev.finetune4j.model.io.SafeTensors;
import dev.finetune4j.model.io.TfjsLayersModel;
import dev.finetune4j.util.AtomicFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * A pre-trained vision body as {@code model:} names it, read into torchvision's keys: a catalogue
 * id (a Keras layers-model from npm, mapped), a directory with {@code model.safetensors} in
 * torchvision / timm key layout and a {@code config.json} that names the architecture (timm's
 * {@code architecture}, or an ft4j export's), or such a {@code .safetensors} file with
 * {@code body.architecture} in the recipe.
 *
 * @param weights torchvision keys; a previous export's head included
 * @param keras built as keras.applications builds it
 */
record VisionWeights(Architecture architecture, boolean keras, Map<String, HostTensor> weights,
        Preprocessing preprocessing, String description) {

    /** Where {@code spec} points, without reading the weights. */
    static ResolvedModelFiles resolve(String spec, Path baseDir, java.io.PrintStream log) {
        VisionCatalog entry = VisionCatalog.lookup(spec).orElse(null);
        if (entry != null) {
            Path dir = entry.fetch(log);
            return new ResolvedModelFiles(ResolvedModelFiles.Kind.CATALOG, dir, null, null,
                    entry.id() + ": " + entry.description());
        }
        Architecture named = java.util.Arrays.stream(Architecture.values())
                .filter(a -> a.id().equals(spec.trim().toLowerCase(java.util.Locale.ROOT))).findFirst().orElse(null);
        Path p = baseDir.resolve(spec).normalize();
        if (named != null && !Files.exists(p)) {
            return new ResolvedModelFiles(ResolvedModelFiles.Kind.ARCHITECTURE, null, null, null, named.id());
        }
        String name = p.getFileName() == null ? "" : p.getFileName().toString();
        if (name.endsWith(".pth") || name.endsWith(".pt") || name.endsWith(".bin") && Files.isRegularFile(p)) {
            throw new UserError(p + ": a PyTorch pickle, which finetune4j does not read (unpickling runs code) — convert"
                    + " it once: python3 -c \"import torch; from safetensors.torch import save_file; sd = torch.load('"
                    + name + "', map_location='cpu'); save_file({k: v.contiguous() for k, v in sd.items()},"
                    + " 'model.safetensors')\"");
        }
        if (Files.isDirectory(p)) {
            Path weights = p.resolve("model.safetensors");
            if (!Files.isRegularFile(weights)) {
                boolean pickle = Files.isRegularFile(p.resolve("pytorch_model.bin"));
                throw new UserError(p + ": no model.safetensors" + (pickle ? " (pytorch_model.bin is a pickle: convert it"
                        + " to model.safetensors)" : "") + " — give a catalogue id (" + String.join(", ",
                        VisionCatalog.entries().stream().map(VisionCatalog::id).toList()) + "), or a directory with"
                        + " model.safetensors in torchvision key layout");
            }
            Path config = p.resolve("config.json");
            return new ResolvedModelFiles(ResolvedModelFiles.Kind.HF_DIR, weights, null,
                    Files.isRegularFile(config) ? config : null, p.toString());
        }
        if (Files.isRegularFile(p) && name.endsWith(".safetensors")) {
            return new ResolvedModelFiles(ResolvedModelFiles.Kind.HF_DIR, p, null, null, p.toString());
        }
        if (!Files.exists(p)) {
            throw new UserError("model '" + spec + "': neither a catalogue id (" + String.join(", ",
                    VisionCatalog.entries().stream().map(VisionCatalog::id).toList()) + ") nor a file or directory ("
                    + p + " does not exist)");
        }
        throw new UserError(p + ": not a model finetune4j reads for images — give a catalogue id, a directory with"
                + " model.safetensors and config.json, or a .safetensors file");
    }

    /** The architecture {@code files} hold: the config's, else the recipe's {@code body.architecture}. */
    static Architecture architecture(ResolvedModelFiles files, String recipeArchitecture) {
        if (files.kind() == ResolvedModelFiles.Kind.ARCHITECTURE) return Architecture.parse(files.description(), "model");
        if (files.kind() == ResolvedModelFiles.Kind.CATALOG) {
            return VisionCatalog.entries().stream().filter(e -> files.description().startsWith(e.id() + ":"))
                    .findFirst().orElseThrow().architecture();
        }
        JsonNode config = config(files);
        String named = config == null ? null : config.path("architecture").asText(null);
        if (named != null) {
            Architecture a = Architecture.parse(named, files.configJson() + " (architecture)");
            if (recipeArchitecture != null && Architecture.parse(recipeArchitecture, "body.architecture") != a) {
                throw new UserError("body.architecture is " + recipeArchitecture + " but " + files.configJson()
                        + " says " + named + ": leave body.architecture out");
            }
            return a;
        }
        if (recipeArchitecture == null) {
            throw new UserError(files.description() + ": which network the weights are for is not said (no config.json"
                    + " with \"architecture\"): set body.architecture (" + String.join(", ",
                    java.util.Arrays.stream(Architecture.values()).map(Architecture::id).toList()) + ")");
        }
        return Architecture.parse(recipeArchitecture, "body.architecture");
    }

    static JsonNode config(ResolvedModelFiles files) {
        if (files.configJson() == null) return null;
        try {
            return AtomicFiles.JSON.readTree(files.configJson().toFile());
        } catch (IOException e) {
            throw new UserError(files.configJson() + ": not valid JSON (" + e.getMessage() + ")");
        }
    }

    /** Reads the weights (none when {@code pretrained} is false: a random-init baseline of the same network). */
    static VisionWeights read(ResolvedModelFiles files, String recipeArchitecture, boolean pretrained) {
        Architecture a = architecture(files, recipeArchitecture);
        if (files.kind() == ResolvedModelFiles.Kind.ARCHITECTURE) {
            if (pretrained) {
                throw new UserError("model: " + a.id() + " names a network without weights: set body.pretrained: false"
                        + " to train it from random initialisation, or give pre-trained weights (a catalogue id: "
                        + String.join(", ", VisionCatalog.entries().stream().map(VisionCatalog::id).toList())
                        + "; or a directory with model.safetensors)");
            }
            return new VisionWeights(a, false, null, Preprocessing.torchvision(a.side()), a.id() + " (random initialisation)");
        }
        if (files.kind() == ResolvedModelFiles.Kind.CATALOG) {
            VisionCatalog entry = VisionCatalog.entries().stream().filter(e -> e.architecture() == a
                    && files.description().startsWith(e.id() + ":")).findFirst().orElseThrow();
            Map<String, HostTensor> body = null;
            if (pretrained) {
                TfjsLayersModel model = TfjsLayersModel.read(files.weights());
                body = switch (a) {
                    case MOBILENET_V2 -> KerasToTorchvision.mobileNetV2(model.weights(), entry.id()).body();
                    case INCEPTION_V3 -> KerasToTorchvision.inceptionV3(model.weights(), inceptionConvs(), entry.id()).body();
                    default -> throw new IllegalStateException(a + " is not in the catalogue");
                };
            }
            return new VisionWeights(a, true, body, entry.preprocessing(), files.description());
        }
        JsonNode config = config(files);
        boolean keras = config != null && "keras".equals(config.path("finetune4j").path("variant").asText(null));
        Preprocessing pre = preprocessing(files, config, a);
        Map<String, HostTensor> weights = pretrained ? SafeTensors.read(files.weights(),
                k -> !k.endsWith("num_batches_tracked")) : null;
        return new VisionWeights(a, keras, weights, pre, files.description());
    }

    /** An export's preprocessor_config.json, else timm's pretrained_cfg, else torchvision's ImageNet transform. */
    private static Preprocessing preprocessing(ResolvedModelFiles files, JsonNode config, Architecture a) {
        Path dir = files.weights().getParent();
        Path processor = dir.resolve("preprocessor_config.json");
        if (Files.isRegularFile(processor)) {
            try {
                return Preprocessing.fromJson(AtomicFiles.JSON.readTree(processor.toFile()), processor);
            } catch (IOException e) {
                throw new UserError(processor + ": not valid JSON (" + e.getMessage() + ")");
            }
        }
        JsonNode timm = config == null ? null : config.get("pretrained_cfg");
        if (timm != null && timm.path("input_size").size() == 3 && timm.path("mean").size() == 3) {
            int side = timm.path("input_size").get(1).asInt();
            double cropPct = timm.path("crop_pct").asDouble(0.875);
            float[] mean = new float[3], std = new float[3];
            for (int i = 0; i < 3; i++) {
                mean[i] = (float) timm.path("mean").get(i).asDouble();
                std[i] = (float) timm.path("std").path(i).asDouble(1);
            }
            return new Preprocessing(true, (int) Math.floor(side / cropPct), side, mean, std);
        }
        return Preprocessing.torchvision(a.side());
    }

    /** Inception V3's convolution modules in network order, by their torchvision keys (the Keras mapping pairs conv2d_N in this order). */
    private static List<String> inceptionConvs() {
        try (ai.djl.ndarray.NDManager m = dev.finetune4j.TensorRuntime.newManager();
                ParameterStore p = new ParameterStore(m)) {
            return Architecture.INCEPTION_V3.body(true).apply(p).modules().stream()
                    .filter(mod -> mod.kind() == Module.Kind.CONVOLUTION)
                    .map(mod -> mod.name().substring(0, mod.name().length() - ".conv".length())).toList();
        }
    }
}
