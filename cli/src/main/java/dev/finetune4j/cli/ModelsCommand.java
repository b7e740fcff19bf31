package dev.finetune4j.cli;

import dev.finetune4j.model.io.ModelCatalog;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

@Command(name = "models", mixinStandardHelpOptions = true,
        description = "List the built-in model catalogue (models shipped as Maven artifacts).")
final class ModelsCommand implements Callable<Integer> {
    @Override
    public Integer call() {
        System.out.printf("%-20s %-9s %-10s %-12s %s%n", "ID", "POOLING", "LICENCE", "AVAILABLE", "DESCRIPTION");
        for (ModelCatalog.Entry e : ModelCatalog.entries()) {
            boolean available = ModelCatalog.isAvailable(e);
            System.out.printf("%-20s %-9s %-10s %-12s %s%n", e.id(), e.pooling(), e.licence(), available ? "yes" : "no",
                    e.description());
            if (!available) System.out.printf("%-20s fetch with: %s%n", "", e.fetchCommand());
        }
        System.out.println("\nUse an id as `model:` in a recipe, or a path to a Hugging Face directory"
                + " (config.json + model.safetensors + tokenizer.json) or an .onnx file.");
        return 0;
    }
}
