package dev.finetune4j.cli;

import dev.finetune4j.UserError;
import dev.finetune4j.model.io.ModelCatalog;
import dev.finetune4j.vision.VisionCatalog;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

@Command(name = "models", mixinStandardHelpOptions = true, subcommands = ModelsCommand.Pull.class,
        description = "List the built-in model catalogue: text encoders shipped as Maven artifacts, vision bodies from npm"
                + " packages.")
final class ModelsCommand implements Callable<Integer> {
    @Override
    public Integer call() {
        System.out.println("text-classification:");
        System.out.printf("  %-18s %-9s %-10s %-10s %s%n", "ID", "POOLING", "LICENCE", "AVAILABLE", "DESCRIPTION");
        for (ModelCatalog.Entry e : ModelCatalog.entries()) {
            boolean available = ModelCatalog.isAvailable(e);
            System.out.printf("  %-18s %-9s %-10s %-10s %s%n", e.id(), e.pooling(), e.licence(), available ? "yes" : "no",
                    e.description());
            if (!available) System.out.printf("  %-18s fetch with: %s%n", "", e.fetchCommand());
        }
        System.out.println("\nimage-classification:");
        System.out.printf("  %-18s %-14s %-10s %-10s %s%n", "ID", "ARCHITECTURE", "LICENCE", "CACHED", "DESCRIPTION");
        for (VisionCatalog e : VisionCatalog.entries()) {
            System.out.printf("  %-18s %-14s %-10s %-10s %s%n", e.id(), e.architecture().id(), e.licence(),
                    e.isCached() ? "yes" : "no", e.description());
            if (!e.isCached()) {
                System.out.printf("  %-18s fetched at first use, or now with: ft4j models pull %s (npm %s@%s)%n", "", e.id(),
                        e.npm().name(), e.npm().version());
            }
        }
        System.out.println("\nUse an id as `model:` in a recipe. Text: or a Hugging Face directory (config.json +"
                + " model.safetensors + tokenizer.json) or an .onnx file. Images: or a directory with model.safetensors in"
                + " torchvision keys and a config.json naming the architecture (resnet18/34/50, vgg11/16[_bn], mobilenet_v2,"
                + " efficientnet_b0, inception_v3), or an architecture's name with body.pretrained: false (random"
                + " initialisation).");
        return 0;
    }

    @Command(name = "pull", mixinStandardHelpOptions = true,
            description = "Fetch a catalogue model into the cache now (vision bodies come from the npm registry).")
    static final class Pull implements Callable<Integer> {
        @Parameters(paramLabel = "ID", description = "a catalogue id (ft4j models lists them)")
        String id;

        @Override
        public Integer call() {
            VisionCatalog vision = VisionCatalog.lookup(id).orElse(null);
            if (vision != null) {
                java.nio.file.Path dir = vision.fetch(System.out);
                System.out.printf("%s: cached in %s (npm %s@%s, SHA-256 %s)%n", vision.id(), dir, vision.npm().name(),
                        vision.npm().version(), vision.npm().sha256());
                return 0;
            }
            ModelCatalog.Entry text = ModelCatalog.lookup(id).orElse(null);
            if (text != null) {
                ModelCatalog.ModelFiles files = ModelCatalog.resolve(text);
                System.out.printf("%s: cached in %s%n", text.id(), files.onnx().getParent());
                return 0;
            }
            throw new UserError("unknown model '" + id + "' — ft4j models lists the catalogue: " + String.join(", ",
                    java.util.stream.Stream.concat(ModelCatalog.entries().stream().map(ModelCatalog.Entry::id),
                            VisionCatalog.entries().stream().map(VisionCatalog::id)).toList()));
        }
    }
}
