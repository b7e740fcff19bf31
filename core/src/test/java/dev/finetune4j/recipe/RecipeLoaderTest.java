package dev.finetune4j.recipe;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.finetune4j.UserError;
import dev.finetune4j.data.Format;
import dev.finetune4j.data.OnBadLine;
import dev.finetune4j.model.Pooling;
import dev.finetune4j.text.TextSettings;
import dev.finetune4j.train.OnNonFinite;
import dev.finetune4j.train.Sampler;
import dev.finetune4j.train.Schedule;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RecipeLoaderTest {
    @TempDir
    Path dir;

    Path recipe;

    @BeforeEach
    void dataFiles() throws IOException {
        Files.createDirectories(dir.resolve("data"));
        Files.writeString(dir.resolve("data/train.jsonl"), "{\"text\": \"hi\", \"label\": \"ham\"}\n");
        Files.writeString(dir.resolve("data/dev.csv"), "text,label\nhi,ham\n");
        recipe = dir.resolve("recipe.yaml");
    }

    private Recipe load(String yaml, String... overrides) throws IOException {
        Files.writeString(recipe, yaml);
        return RecipeLoader.load(recipe, List.of(overrides));
    }

    private RecipeError error(String yaml, String... overrides) throws IOException {
        Files.writeString(recipe, yaml);
        return catchThrowableOfType(RecipeError.class, () -> RecipeLoader.load(recipe, List.of(overrides)));
    }

    private static final String MINIMAL = """
            name: spam
            model: all-minilm-l6-v2
            data:
              train: data/train.jsonl
            """;

    @Test
    void appliesEveryDefault() throws IOException {
        Recipe r = load(MINIMAL);

        assertThat(r.name()).isEqualTo("spam");
        assertThat(r.task()).isEqualTo("text-classification");
        assertThat(r.model()).isEqualTo("all-minilm-l6-v2");
        assertThat(r.seed()).isEqualTo(42);
        assertThat(r.baseDir()).isEqualTo(dir.toAbsolutePath().normalize());
        assertThat(r.data()).isEqualTo(new DataConfig(dir.resolve("data/train.jsonl"), null, null, Format.AUTO,
                "label", 0.1, 0.1, true, OnBadLine.SKIP));
        assertThat(r.settings(TextSettings.class)).isEqualTo(new TextSettings(new TextSettings.Data("text", null)));
        // max_length, pooling, epochs, learning rate, class weights and patience: chosen by the run (pipeline.Defaults)
        assertThat(r.head()).isEqualTo(new HeadConfig(null, null));
        assertThat(r.strategy()).isEqualTo(StrategyConfig.of(Strategy.FULL));
        assertThat(r.train()).isEqualTo(new TrainConfig(null, null, 32, 64, null, null, null, OptimizerKind.ADAMW,
                List.of(0.9, 0.999), 1e-8, null, false, 0.0, 0.99, false, 0.01, 1, null, Sampler.SHUFFLE,
                null, 2, OnNonFinite.STOP, 0.0, 0.0, 0.0, 0.1, Schedule.LINEAR, null, 1, 1.0, null, null,
                new EarlyStopping("macro_f1", null, 0.0), null, 0.0));
        assertThat(r.train().earlyStopping().higherIsBetter()).isTrue();
    }

    @Test
    void resolvesDataPathsAgainstTheRecipeDirectoryNotTheWorkingDirectory() throws IOException {
        Recipe r = load(MINIMAL + "  validation: ./data/../data/dev.csv\n");

        assertThat(r.data().train()).isEqualTo(dir.resolve("data/train.jsonl")).isAbsolute();
        assertThat(r.data().validation()).isEqualTo(dir.resolve("data/dev.csv"));
        assertThat(r.data().format().resolve(r.data().validation())).isEqualTo(Format.CSV);
        assertThat(Path.of("data/train.jsonl")).doesNotExist();
    }

    @Test
    void overridesSetNestedValuesNullAndFalse() throws IOException {
        Recipe r = load(MINIMAL + "  validation: data/dev.csv\ntrain:\n  epochs: 5\n",
                "train.learning_rate=1e-4",
                "train.early_stopping=false",
                "data.validation=null",
                "head.pooling=mean",
                "train.max_steps=100",
                "seed=7");

        assertThat(r.train().learningRate()).isEqualTo(1e-4);
        assertThat(r.train().earlyStopping()).isNull();
        assertThat(r.data().validation()).isNull();
        assertThat(r.head().pooling()).isEqualTo(Pooling.MEAN);
        assertThat(r.train().maxSteps()).isEqualTo(100);
        assertThat(r.train().epochs()).as("keys next to an override stay").isEqualTo(5);
        assertThat(r.seed()).isEqualTo(7);
    }

    @Test
    void overrideCanTurnDisabledEarlyStoppingBackOn() throws IOException {
        Recipe r = load(MINIMAL + "train:\n  early_stopping: false\n", "train.early_stopping.metric=loss");

        assertThat(r.train().earlyStopping()).isEqualTo(new EarlyStopping("loss", null, 0.0));
        assertThat(r.train().earlyStopping().higherIsBetter()).isFalse();
    }

    @Test
    void earlyStoppingTrueMeansTheDefaults() throws IOException {
        assertThat(load(MINIMAL + "train:\n  early_stopping: true\n").train().earlyStopping())
                .isEqualTo(new EarlyStopping("macro_f1", null, 0.0));
    }

    @Test
    void unknownKeyIsReportedAtItsLineWithTheClosestKey() throws IOException {
        RecipeError e = error(MINIMAL + "train:\n  epochs: 2\n  learnig_rate: 0.1\n");

        assertThat(e.problems()).containsExactly(new Problem(recipe.toString(), 7, 3,
                "property 'learnig_rate' is not defined in 'train' — did you mean 'learning_rate'?"));
        assertThat(e.getMessage()).isEqualTo(recipe + ":7:3: property 'learnig_rate' is not defined in 'train'"
                + " — did you mean 'learning_rate'?");
        assertThat(e).isInstanceOf(UserError.class);
    }

    @Test
    void eachOptimizerGetsPyTorchsDefaultsAndAResolvedRecipeReadsBack() throws IOException {
        Recipe adamW = load(MINIMAL);
        assertThat(adamW.train().optimizer()).isEqualTo(OptimizerKind.ADAMW);
        assertThat(adamW.train().betas()).containsExactly(0.9, 0.999);
        assertThat(adamW.train().momentum()).as("not an AdamW setting").isNull();
        assertThat(adamW.train().weightDecay()).isEqualTo(0.01);
        Recipe sgd = load(MINIMAL + "train:\n  optimizer: sgd\n  nesterov: true\n  schedule: step\n");
        assertThat(sgd.train().optimizer()).isEqualTo(OptimizerKind.SGD);
        assertThat(sgd.train().momentum()).isEqualTo(0.9);
        assertThat(sgd.train().nesterov()).isTrue();
        assertThat(sgd.train().dampening()).isEqualTo(0.0);
        assertThat(sgd.train().weightDecay()).isEqualTo(0.0);
        assertThat(sgd.train().gamma()).isEqualTo(0.1);
        Recipe rms = load(MINIMAL + "train:\n  optimizer: rmsprop\n  centered: true\n  gradient_accumulation_steps: 4\n"
                + "  schedule: exponential\n");
        assertThat(rms.train().momentum()).isEqualTo(0.0);
        assertThat(rms.train().gamma()).isEqualTo(0.9);
        assertThat(rms.train().effectiveBatchSize()).isEqualTo(128);
        for (Recipe r : List.of(adamW, sgd, rms)) {
            Path copy = dir.resolve("resolved.yaml");
            Files.writeString(copy, RecipeLoader.toYaml(r.resolved()));
            assertThat(RecipeLoader.load(copy, List.of())).isEqualTo(r);
        }
    }

    @Test
    void aSettingOfAnotherOptimizerOrScheduleIsAnErrorAtItsLine() throws IOException {
        RecipeError e = error(MINIMAL + "train:\n  optimizer: adamw\n  momentum: 0.8\n  gamma: 0.5\n");
        assertThat(e.problems()).extracting(Problem::line, Problem::message).containsExactlyInAnyOrder(
                org.assertj.core.groups.Tuple.tuple(7, "'train.momentum' applies only to train.optimizer sgd or rmsprop"
                        + " (train.optimizer is adamw)"),
                org.assertj.core.groups.Tuple.tuple(8, "'train.gamma' applies only to train.schedule step or exponential"
                        + " (train.schedule is linear)"));
        RecipeError nesterov = error(MINIMAL + "train:\n  optimizer: sgd\n  nesterov: true\n  dampening: 0.1\n");
        assertThat(nesterov.getMessage()).contains(":7:").contains("'train.nesterov: true' needs train.momentum > 0"
                + " and train.dampening 0");
        assertThat(error(MINIMAL + "train:\n  optimizer: adagrad\n").getMessage())
                .contains("'train.optimizer' must be one of: adamw, adam, sgd, rmsprop; got the string 'adagrad'");
    }

    @Test
    void unknownKeyWithNothingCloseListsTheAllowedKeys() throws IOException {
        RecipeError e = error(MINIMAL + "head:\n  activation: relu\n");

        assertThat(e.problems()).singleElement().satisfies(p -> {
            assertThat(p.line()).isEqualTo(6);
            assertThat(p.column()).isEqualTo(3);
            assertThat(p.message()).isEqualTo("property 'activation' is not defined in 'head' — allowed: pooling, dropout");
        });
    }

    @Test
    void enumErrorNamesTheAllowedValues() throws IOException {
        RecipeError e = error(MINIMAL + "  format: jsonn\nstrategy: prefix-tuning\n");

        assertThat(e.problems()).extracting(Problem::toString).containsExactly(
                recipe + ":5:11: 'data.format' must be one of: auto, jsonl, csv, tsv; got the string 'jsonn'"
                        + " — did you mean 'jsonl'?",
                recipe + ":6:11: 'strategy' must be one of: full, feature-extraction, partial,"
                        + " gradual-unfreeze, lora; got the string 'prefix-tuning'");
    }

    @Test
    void outOfRangeNumbersSayTheRange() throws IOException {
        RecipeError e = error(MINIMAL + "  max_length: 4\n  test_fraction: 1.0\ntrain:\n  learning_rate: 0\n");

        assertThat(e.problems()).extracting(Problem::line, Problem::column, Problem::message).containsExactly(
                org.assertj.core.groups.Tuple.tuple(5, 15, "'data.max_length' must be between 8 and 8192, got 4"),
                org.assertj.core.groups.Tuple.tuple(6, 18, "'data.test_fraction' must be >= 0 and < 1, got 1.0"),
                org.assertj.core.groups.Tuple.tuple(8, 18, "'train.learning_rate' must be > 0 and <= 1, got 0"));
    }

    @Test
    void wrongTypesSayWhatWasExpected() throws IOException {
        RecipeError e = error(MINIMAL + "train:\n  epochs: three\n  batch_size: '16'\n  max_steps: 2.5\n");

        assertThat(e.problems()).extracting(Problem::message).containsExactly(
                "'train.epochs' must be an integer or null, got the string 'three'",
                "'train.batch_size' must be an integer, got the string '16' (remove the quotes)",
                "'train.max_steps' must be an integer or null, got the number 2.5");
    }

    @Test
    void reportsEveryProblemAtOnceInLineOrder() throws IOException {
        RecipeError e = error("""
                name: spam
                optimiser: adamw
                data:
                  train: data/missing.jsonl
                  format: xml
                train:
                  batch_size: 0
                """);

        assertThat(e.problems()).extracting(Problem::line).containsExactly(0, 2, 4, 5, 7);
        assertThat(e.problems().get(0).message()).isEqualTo("missing required property 'model'");
        assertThat(e.getMessage()).startsWith("5 problems in " + recipe + ":\n"
                + "  " + recipe + ": missing required property 'model'\n"
                + "  " + recipe + ":2:1: property 'optimiser' is not defined — allowed: name, task, model, seed, data,"
                + " head, strategy, train, eval\n");
    }

    @Test
    void missingTrainFileNamesTheResolvedPathAndTheRecipeLine() throws IOException {
        RecipeError e = error("name: spam\nmodel: m\ndata:\n  train: data/nope.jsonl\n");

        assertThat(e.getMessage()).isEqualTo(recipe + ":4:10: 'data.train': file not found: "
                + dir.resolve("data/nope.jsonl").toAbsolutePath().normalize());
    }

    @Test
    void missingRequiredKeys() throws IOException {
        assertThat(error("name: spam\nmodel: m\n").getMessage())
                .isEqualTo(recipe + ": missing required property 'data' (with at least 'data.train')");
        assertThat(error("name: spam\nmodel: m\ndata:\n  format: csv\n").getMessage())
                .isEqualTo(recipe + ":3:1: missing required property 'data.train'");
    }

    @Test
    void overrideOfAnUnknownKeyIsAnErrorNamingTheOverride() throws IOException {
        RecipeError e = error(MINIMAL, "train.lr=1e-4", "trian.epochs=2", "train.epochs=-1", "oops");

        assertThat(e.problems()).extracting(Problem::toString).containsExactly(
                "--set train.lr=1e-4: property 'lr' is not defined in 'train' — did you mean 'learning_rate'?",
                "--set trian.epochs=2: property 'trian' is not defined — did you mean 'train'?",
                "--set train.epochs=-1: 'train.epochs' must be between 1 and 100000, got -1",
                "--set oops: expected key.path=value, e.g. --set train.learning_rate=1e-4");
    }

    @Test
    void overrideIntoAScalarIsAnError() throws IOException {
        assertThat(error(MINIMAL, "model.name=x").getMessage()).isEqualTo(
                "--set model.name=x: 'model' is the string 'all-minilm-l6-v2', not a mapping, so it has no 'name'");
    }

    @Test
    void invalidYamlGivesTheParsersLineAndColumn() throws IOException {
        RecipeError e = error("name: spam\nmodel: m\n  data: x\n");

        assertThat(e.problems()).singleElement().satisfies(p -> {
            assertThat(p.line()).isEqualTo(3);
            assertThat(p.column()).isEqualTo(7);
            assertThat(p.message()).isEqualTo("invalid YAML: mapping values are not allowed here");
        });
    }

    @Test
    void duplicateKeysAreReported() throws IOException {
        RecipeError e = error(MINIMAL + "seed: 1\nseed: 2\n");

        assertThat(e.getMessage()).isEqualTo(recipe + ":6:1: duplicate key 'seed' (first given at line 5)");
    }

    @Test
    void emptyMissingAndNonMappingFiles() throws IOException {
        assertThat(error("# nothing yet\n").getMessage()).isEqualTo(
                recipe + ": the file is empty; a recipe needs at least 'name', 'model' and 'data.train'");
        assertThat(error("- name: spam\n").getMessage()).isEqualTo(
                recipe + ":1:1: a recipe must be a mapping of keys (name: ..., model: ...), found a list");

        Path missing = dir.resolve("nope.yaml");
        RecipeError e = catchThrowableOfType(RecipeError.class, () -> RecipeLoader.load(missing, List.of()));
        assertThat(e.getMessage()).isEqualTo(missing + ": recipe file not found (looked for " + missing + ")");
    }

    @Test
    void crossFieldChecks() throws IOException {
        RecipeError e = error(MINIMAL + """
                  validation_fraction: 0.6
                  test_fraction: 0.5
                  label_column: text
                """);

        assertThat(e.problems()).extracting(Problem::line, Problem::message).containsExactly(
                org.assertj.core.groups.Tuple.tuple(6, "'data.validation_fraction' + 'data.test_fraction' must be < 1"
                        + " (nothing would be left to train on), got 0.6 + 0.5"),
                org.assertj.core.groups.Tuple.tuple(7, "'data.text_column' and 'data.label_column' are both 'text'"));
    }

    @Test
    void earlyStoppingNeedsAValidationSet() throws IOException {
        RecipeError e = error(MINIMAL + "  validation_fraction: 0\n");

        assertThat(e.getMessage()).contains("early stopping needs a validation set");
        assertThat(load(MINIMAL + "  validation_fraction: 0\ntrain:\n  early_stopping: false\n").train().earlyStopping())
                .isNull();
    }

    @Test
    void unknownExtensionNeedsAnExplicitFormat() throws IOException {
        Files.writeString(dir.resolve("data/train.txt"), "hi\tham\n");
        String yaml = "name: spam\nmodel: m\ndata:\n  train: data/train.txt\n";

        assertThat(error(yaml).getMessage()).isEqualTo(recipe + ":4:10: 'data.train': cannot tell the format of"
                + " 'train.txt' from its extension (.jsonl, .csv or .tsv); set data.format to jsonl, csv or tsv");
        assertThat(load(yaml, "data.format=tsv").data().format()).isEqualTo(Format.TSV);
    }

    @Test
    void fullRecipeRoundTripsThroughResolved() throws IOException {
        Recipe r = load("""
                name: spam-v2
                task: text-classification
                model: models/my-bert
                seed: 7
                data:
                  train: data/train.jsonl
                  validation: data/dev.csv
                  test: null
                  format: auto
                  text_column: body
                  label_column: category
                  max_length: 256
                  validation_fraction: 0.2
                  test_fraction: 0.15
                  drop_duplicates: false
                  on_bad_line: fail
                head:
                  pooling: cls
                  dropout: 0.2
                strategy: feature-extraction
                train:
                  epochs: 4
                  max_steps: 1000
                  batch_size: 16
                  eval_batch_size: 128
                  learning_rate: 3.0e-5
                  head_learning_rate: 1.0e-3
                  weight_decay: 0.0
                  warmup_ratio: 0.06
                  schedule: cosine
                  max_grad_norm: 0
                  hidden_dropout: 0.05
                  eval_every_steps: 200
                  early_stopping:
                    metric: loss
                    patience: 3
                    min_delta: 0.001
                  threads: 4
                """);

        String yaml = RecipeLoader.toYaml(r.resolved());
        Path copy = dir.resolve("resolved.yaml");
        Files.writeString(copy, yaml);
        Recipe again = RecipeLoader.load(copy, List.of());

        assertThat(again).isEqualTo(r);
        assertThat(r.resolved()).containsEntry("strategy", java.util.Map.of("type", "feature-extraction"))
                .containsKeys("name", "task", "model", "seed", "data", "head", "strategy", "train");
        assertThat(yaml).contains("train: data/train.jsonl", "test: null", "learning_rate: 3.0E-5");
        assertThat(r.train().effectiveHeadLearningRate()).isEqualTo(1.0e-3);
    }

    @Test
    void resolvedOfTheDefaultsNamesEveryKey() throws IOException {
        var resolved = load(MINIMAL).resolved();

        assertThat(resolved.keySet()).containsExactly("name", "task", "model", "seed", "data", "head", "strategy", "train",
                "eval");
        @SuppressWarnings("unchecked")
        var train = (java.util.Map<String, Object>) resolved.get("train");
        // null: chosen by the run (pipeline.Defaults), which writes the value it chose into run.json
        assertThat(train).containsEntry("learning_rate", null).containsEntry("max_steps", null);
        assertThat((java.util.Map<String, Object>) train.get("early_stopping")).containsEntry("metric", "macro_f1")
                .containsEntry("patience", null);
        assertThat(train.keySet()).containsExactlyElementsOf(
                RecipeSchema.propertyNames(RecipeSchema.at("/train"), "text-classification"));
    }

    @Test
    void strategyShorthandAndObjectGiveEqualConfigs() throws IOException {
        for (Strategy type : Strategy.values()) {
            String name = type.recipeName();
            StrategyConfig shorthand = load(MINIMAL + "strategy: " + name + "\n").strategy();
            StrategyConfig object = load(MINIMAL + "strategy:\n  type: " + name + "\n").strategy();
            assertThat(shorthand).as(name).isEqualTo(object).isEqualTo(StrategyConfig.of(type));
        }
        assertThat(load(MINIMAL + "strategy: {}\n").strategy()).isEqualTo(StrategyConfig.of(Strategy.FULL));
    }

    @Test
    void strategyObjectWithEverySetting() throws IOException {
        Recipe partial = load(MINIMAL + """
                strategy:
                  type: partial
                  freeze_embeddings: false
                  freeze_layers: 4
                  freeze_pattern: '^encoder\\.layer\\.[0-3]\\.'
                """);
        assertThat(partial.strategy()).isEqualTo(
                new StrategyConfig.Partial(false, 4, "^encoder\\.layer\\.[0-3]\\."));

        Recipe gradual = load(MINIMAL + "strategy:\n  type: gradual-unfreeze\n  unfreeze_every_steps: 50\n");
        assertThat(gradual.strategy()).isEqualTo(new StrategyConfig.GradualUnfreeze(50));
    }

    @Test
    void resolvedShowsTheWholeStrategyObjectAndRoundTrips() throws IOException {
        assertThat(load(MINIMAL).resolved().get("strategy")).isEqualTo(java.util.Map.of("type", "full"));
        java.util.Map<String, Object> gradual = new java.util.LinkedHashMap<>();
        gradual.put("type", "gradual-unfreeze");
        gradual.put("unfreeze_every_steps", null);
        assertThat(load(MINIMAL + "strategy: gradual-unfreeze\n").resolved().get("strategy")).isEqualTo(gradual);
        // a type's own keys, in the schema's order, and no other type's
        for (Strategy type : Strategy.values()) {
            @SuppressWarnings("unchecked")
            var keys = ((java.util.Map<String, Object>) load(MINIMAL + "strategy: " + type.recipeName() + "\n")
                    .resolved().get("strategy")).keySet();
            List<String> own = RecipeSchema.propertyNames(RecipeSchema.at("/strategy")).stream()
                    .filter(k -> k.equals("type") || RecipeSchema.at("/strategy/" + k).path(RecipeChecks.APPLIES_TO)
                            .path("type").toString().contains("\"" + type.recipeName() + "\""))
                    .toList();
            assertThat(keys).as(type.recipeName()).containsExactlyElementsOf(own);
        }

        for (String strategy : List.of("full", "{type: partial, freeze_layers: 2, freeze_pattern: 'pooler'}",
                "{type: gradual-unfreeze, unfreeze_every_steps: 10}",
                "{type: lora, rank: 4, alpha: 8, dropout: 0.0, targets: [query, key, output.dense], train_biases: true}")) {
            Recipe r = load(MINIMAL + "strategy: " + strategy + "\n");
            Path copy = dir.resolve("resolved.yaml");
            Files.writeString(copy, RecipeLoader.toYaml(r.resolved()));
            assertThat(RecipeLoader.load(copy, List.of())).as(strategy).isEqualTo(r);
        }
    }

    @Test
    void loraStrategyWithDefaultsAndEverySetting() throws IOException {
        StrategyConfig.Lora defaults = (StrategyConfig.Lora) load(MINIMAL + "strategy: lora\n").strategy();
        assertThat(defaults).isEqualTo(StrategyConfig.of(Strategy.LORA));
        assertThat(defaults.rank()).isEqualTo(8);
        assertThat(defaults.alpha()).isEqualTo(16.0);
        assertThat(defaults.dropout()).isEqualTo(0.1);
        assertThat(defaults.targets()).containsExactly("query", "value");
        assertThat(defaults.trainBiases()).isFalse();
        assertThat(defaults.trainLayerNorm()).isFalse();

        StrategyConfig all = load(MINIMAL + """
                strategy:
                  type: lora
                  rank: 4
                  alpha: 32
                  dropout: 0.0
                  targets: [query, key, value, attention.output.dense]
                  train_biases: true
                  train_layer_norm: true
                """).strategy();
        assertThat(all).isEqualTo(new StrategyConfig.Lora(4, 32.0, 0.0,
                List.of("query", "key", "value", "attention.output.dense"), true, true));
        // 16 and 16.0 are both alpha's default: harmless on another type
        assertThat(load(MINIMAL + "strategy:\n  type: full\n  alpha: 16.0\n  rank: 8\n  targets: [query, value]\n")
                .strategy()).isEqualTo(StrategyConfig.of(Strategy.FULL));
    }

    @Test
    void loraKeyErrors() throws IOException {
        RecipeError other = error(MINIMAL + """
                strategy:
                  type: partial
                  rank: 4
                  targets: [key]
                  train_layer_norm: true
                """);
        assertThat(other.problems()).extracting(Problem::toString).containsExactly(
                recipe + ":7:3: 'strategy.rank' applies only to type lora",
                recipe + ":8:3: 'strategy.targets' applies only to type lora",
                recipe + ":9:3: 'strategy.train_layer_norm' applies only to type lora");

        RecipeError values = error(MINIMAL + """
                strategy:
                  type: lora
                  rank: 0
                  alpha: 0
                  dropout: 1.0
                  targets: []
                """);
        assertThat(values.problems()).extracting(Problem::line).containsExactly(7, 8, 9, 10);
        assertThat(values.problems().get(0).message()).contains("'strategy.rank' must be");
        assertThat(values.problems().get(1).message()).contains("'strategy.alpha' must be");
        assertThat(values.problems().get(2).message()).contains("'strategy.dropout' must be");
        assertThat(values.problems().get(3).message()).contains("strategy.targets");

        RecipeError types = error(MINIMAL + "strategy:\n  type: lora\n  targets: query\n  train_biases: 1\n");
        assertThat(types.problems()).extracting(Problem::toString).containsExactly(
                recipe + ":7:12: 'strategy.targets' must be a list, got the string 'query'",
                recipe + ":8:17: 'strategy.train_biases' must be true/false, got the number 1");
    }

    @Test
    void strategyKeyForAnotherTypeIsReportedAtItsKey() throws IOException {
        RecipeError e = error(MINIMAL + """
                strategy:
                  type: full
                  freeze_layers: 2
                  unfreeze_every_steps: 3
                """);
        assertThat(e.problems()).extracting(Problem::toString).containsExactly(
                recipe + ":7:3: 'strategy.freeze_layers' applies only to type partial",
                recipe + ":8:3: 'strategy.unfreeze_every_steps' applies only to type gradual-unfreeze");

        RecipeError gradual = error(MINIMAL + "strategy:\n  type: gradual-unfreeze\n  freeze_pattern: x\n"
                + "  freeze_embeddings: false\n");
        assertThat(gradual.problems()).extracting(Problem::toString).containsExactly(
                recipe + ":7:3: 'strategy.freeze_pattern' applies only to type partial",
                recipe + ":8:3: 'strategy.freeze_embeddings' applies only to type partial");

        // a key at its default value is harmless (resolved() writes them all)
        assertThat(load(MINIMAL + "strategy:\n  type: full\n  freeze_layers: 0\n  freeze_pattern: null\n")
                .strategy()).isEqualTo(StrategyConfig.of(Strategy.FULL));
    }

    @Test
    void strategyValueErrorsHaveLineAndColumn() throws IOException {
        RecipeError e = error(MINIMAL + """
                strategy:
                  type: partal
                  freeze_layers: -1
                  unfreeze_every_steps: 0
                  freeze_patern: x
                """);
        assertThat(e.problems()).extracting(Problem::toString).containsExactly(
                recipe + ":6:9: 'strategy.type' must be one of: full, feature-extraction, partial, gradual-unfreeze, lora;"
                        + " got the string 'partal' — did you mean 'partial'?",
                recipe + ":7:18: 'strategy.freeze_layers' must be between 0 and 2147483647, got -1",
                recipe + ":8:25: 'strategy.unfreeze_every_steps' must be between 1 and 2147483647,"
                        + " got 0",
                recipe + ":9:3: property 'freeze_patern' is not defined in 'strategy' — did you mean 'freeze_pattern'?");

        assertThat(error(MINIMAL + "strategy: 3\n").getMessage())
                .isEqualTo(recipe + ":5:11: 'strategy' must be a string or a mapping, got the number 3");
        assertThat(error(MINIMAL + "strategy: gradual\n").getMessage()).isEqualTo(recipe + ":5:11: 'strategy' must be"
                + " one of: full, feature-extraction, partial, gradual-unfreeze, lora; got the string 'gradual'");
    }

    @Test
    void invalidFreezePatternGivesTheRegexError() throws IOException {
        RecipeError e = error(MINIMAL + "strategy:\n  type: partial\n  freeze_pattern: 'encoder.(layer'\n");

        assertThat(e.getMessage()).isEqualTo(recipe + ":7:19: 'strategy.freeze_pattern' is not a valid regular"
                + " expression: Unclosed group near index 14");
    }

    @Test
    void strategyOverrides() throws IOException {
        assertThat(load(MINIMAL, "strategy=partial").strategy()).isEqualTo(StrategyConfig.of(Strategy.PARTIAL));
        assertThat(load(MINIMAL, "strategy.type=partial").strategy()).isEqualTo(StrategyConfig.of(Strategy.PARTIAL));
        assertThat(load(MINIMAL + "strategy: full\n", "strategy.type=partial", "strategy.freeze_layers=3").strategy())
                .isEqualTo(new StrategyConfig.Partial(true, 3, null));
        assertThat(load(MINIMAL, "strategy=gradual-unfreeze", "strategy.unfreeze_every_steps=20").strategy())
                .isEqualTo(new StrategyConfig.GradualUnfreeze(20));
        assertThat(load(MINIMAL + "strategy:\n  type: partial\n  freeze_layers: 2\n", "strategy=full").strategy())
                .isEqualTo(StrategyConfig.of(Strategy.FULL));

        assertThat(error(MINIMAL + "strategy: partial\n", "strategy=prefix-tuning").getMessage()).isEqualTo(
                "--set strategy=prefix-tuning: 'strategy' must be one of: full, feature-extraction, partial, gradual-unfreeze, lora;"
                        + " got the string 'prefix-tuning'");
        RecipeError e = error(MINIMAL + "strategy: partial\n", "strategy.type=parital", "strategy.freez_layers=1");
        assertThat(e.problems()).extracting(Problem::toString).containsExactly(
                "--set strategy.type=parital: 'strategy.type' must be one of: full, feature-extraction, partial,"
                        + " gradual-unfreeze, lora; got the string 'parital' — did you mean 'partial'?",
                "--set strategy.freez_layers=1: property 'freez_layers' is not defined in 'strategy'"
                        + " — did you mean 'freeze_layers'?");
        assertThat(error(MINIMAL, "strategy.freeze_layers=2").getMessage())
                .isEqualTo("--set strategy.freeze_layers=2: 'strategy.freeze_layers' applies only to type partial");
    }

    @Test
    void aSearchSectionGivenToTrainIsAnErrorThatSaysToTune() throws IOException {
        String tuneFile = MINIMAL + """
                search:
                  space:
                    train.learning_rate: {type: log_uniform, low: 1.0e-5, high: 1.0e-3}
                """;
        RecipeError e = error(tuneFile);
        assertThat(e.problems()).singleElement().satisfies(p -> {
            assertThat(p.line()).isEqualTo(MINIMAL.split("\n").length + 1);
            assertThat(p.message()).contains("'search' is a tuning section").contains("ft4j tune " + recipe);
        });
        assertThat(RecipeLoader.loadTuneBase(recipe, List.of()).name()).as("the same file is a tune file's base")
                .isEqualTo("spam");
    }
}
