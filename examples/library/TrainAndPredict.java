import dev.finetune4j.pipeline.Predictor;
import dev.finetune4j.pipeline.FineTune;
import dev.finetune4j.recipe.Recipe;
import dev.finetune4j.recipe.RecipeLoader;
import dev.finetune4j.text.TextClassifier;
import dev.finetune4j.train.TrainingListener;
import java.nio.file.Path;
import java.util.List;

/**
 * Fine-tunes a text classifier from Java, without the CLI, and predicts with the exported model.
 *
 * <pre>
 * ./ft4j --help > /dev/null    # builds the jars once
 * java -cp "cli/target/finetune4j-cli.jar:$(cat cli/target/classpath.txt)" \
 *     examples/library/TrainAndPredict.java examples/spam/recipe.yaml runs/library [KEY=VALUE ...]
 * </pre>
 */
public class TrainAndPredict {
    public static void main(String[] args) {
        Path recipeFile = Path.of(args.length > 0 ? args[0] : "examples/spam/recipe.yaml");
        Path output = Path.of(args.length > 1 ? args[1] : "runs/library");
        List<String> overrides = args.length > 2 ? List.of(args).subList(2, args.length) : List.of();

        // The recipe as a YAML file with --set style overrides; every key is in docs/recipe.md.
        Recipe recipe = RecipeLoader.load(recipeFile, overrides);
        FineTune.Outcome outcome = new FineTune(recipe, System.out).run(output, TrainingListener.none());
        System.out.printf("test macro-F1 %.4f after %d steps%n", outcome.test().macro().f1(),
                outcome.training().steps());

        try (TextClassifier model = TextClassifier.load(output.resolve("model"))) {
            List<String> texts = List.of("WIN a FREE cruise, click now", "Minutes of Tuesday's meeting attached");
            List<Predictor.Prediction> predictions = model.predictTexts(texts);
            for (int i = 0; i < texts.size(); i++) {
                System.out.printf("%-40s -> %s %s%n", texts.get(i), predictions.get(i).label(),
                        predictions.get(i).scores());
            }
        }
    }
}
