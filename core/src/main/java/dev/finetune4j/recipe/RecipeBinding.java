package dev.finetune4j.recipe;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.BeanDescription;
import com.fasterxml.jackson.databind.DeserializationConfig;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JavaType;
import com.fasterxml.jackson.databind.JsonDeserializer;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.JsonSerializer;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationConfig;
import com.fasterxml.jackson.databind.SerializerProvider;
import com.fasterxml.jackson.databind.deser.Deserializers;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.ser.Serializers;
import com.fasterxml.jackson.databind.util.TokenBuffer;
import dev.finetune4j.util.RecipeNames;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Binds the recipe records from the schema-checked tree, and writes them back. A record component
 * is the key of the same name in snake case ({@code l2Sp} is {@code train.l2_sp}); an enum is spelt
 * as {@link RecipeNames} says; a path is written relative to the recipe's directory when it lies
 * inside it. So a key is declared twice only: in the schema (type, range, default) and as a
 * component of its record.
 */
final class RecipeBinding {
    private static final String BASE_DIR = "baseDir";
    private static final String SETTINGS = "settings";
    private static final ObjectMapper MAPPER = JsonMapper.builder()
            .propertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .disable(MapperFeature.SORT_PROPERTIES_ALPHABETICALLY)
            .addModule(recipeModule())
            .build();

    private RecipeBinding() {}

    /** The recipe of a tree that the schema and {@link RecipeChecks} passed, defaults filled in. */
    static Recipe recipe(ObjectNode full, Path baseDir) {
        ObjectNode tree = full.deepCopy();
        RecipeSchema.switchedOffToNull(tree);
        RecipeSchema.keepTheTypesOwnSettings((ObjectNode) tree.get("strategy"), "/strategy");
        String task = tree.path("task").asText();
        tree.set(SETTINGS, RecipeSchema.takeTaskKeys(tree, task));
        tree.put("base_dir", baseDir.toString());
        try {
            return MAPPER.readerFor(Recipe.class).withAttribute(BASE_DIR, baseDir)
                    .withAttribute(SETTINGS, RecipeSchema.taskKeys(task).settingsType()).readValue(tree);
        } catch (IOException e) {
            throw disagree(e);
        }
    }

    /** {@code recipe} with the settings at the dotted keys ({@code train.learning_rate}) replaced. */
    static Recipe with(Recipe recipe, Map<String, Object> settings) {
        ObjectNode tree = MAPPER.valueToTree(resolved(recipe));
        settings.forEach((key, value) -> {
            ObjectNode parent = tree;
            String[] parts = key.split("\\.");
            for (int i = 0; i < parts.length - 1; i++) {
                parent = parent.get(parts[i]) instanceof ObjectNode child ? child : parent.putObject(parts[i]);
            }
            parent.set(parts[parts.length - 1], MAPPER.valueToTree(value instanceof Enum<?> e ? RecipeNames.of(e) : value));
        });
        return recipe(tree, recipe.baseDir());
    }

    /** A strategy of {@code type} with the schema's defaults. */
    static StrategyConfig strategy(Strategy type) {
        ObjectNode strategy = MAPPER.createObjectNode().put("type", type.recipeName());
        RecipeSchema.applyDefaults(strategy, "/strategy");
        RecipeSchema.keepTheTypesOwnSettings(strategy, "/strategy");
        return bind(strategy, StrategyConfig.class, null);
    }

    /** Every setting under the recipe's key names and in its order; paths inside {@code baseDir} relative. */
    @SuppressWarnings("unchecked")
    static Map<String, Object> resolved(Recipe recipe) {
        try (TokenBuffer buffer = new TokenBuffer(MAPPER, false)) {
            MAPPER.writer().withAttribute(BASE_DIR, recipe.baseDir()).writeValue(buffer, recipe);
            Map<String, Object> out = MAPPER.readValue(buffer.asParser(), LinkedHashMap.class);
            out.remove("base_dir");
            ((Map<String, Object>) out.remove(SETTINGS)).forEach((section, value) -> {
                if (out.get(section) instanceof Map<?, ?> shared && value instanceof Map<?, ?> own) {
                    ((Map<String, Object>) shared).putAll((Map<String, Object>) own);
                } else {
                    out.put(section, value);
                }
            });
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static <T> T bind(JsonNode tree, Class<T> type, Path baseDir) {
        try {
            return MAPPER.readerFor(type).withAttribute(BASE_DIR, baseDir).readValue(tree);
        } catch (IOException e) {
            throw disagree(e);
        }
    }

    /** The schema admitted what a record does not take: the two disagree, which is our bug. */
    private static IllegalStateException disagree(IOException e) {
        return new IllegalStateException("the recipe schema and the recipe records disagree: " + e.getMessage(), e);
    }

    private static SimpleModule recipeModule() {
        SimpleModule module = new SimpleModule("finetune4j-recipe") {
            @Override
            public void setupModule(SetupContext context) {
                super.setupModule(context);
                context.addDeserializers(new Deserializers.Base() {
                    @Override
                    public JsonDeserializer<?> findEnumDeserializer(Class<?> type, DeserializationConfig config,
                            BeanDescription description) {
                        return new ByRecipeName(type);
                    }
                });
                context.addSerializers(new Serializers.Base() {
                    @Override
                    public JsonSerializer<?> findSerializer(SerializationConfig config, JavaType type,
                            BeanDescription description) {
                        return type.isEnumType() ? RECIPE_NAME : null;
                    }
                });
            }
        };
        module.addSerializer(Path.class, new JsonSerializer<>() {
            @Override
            public void serialize(Path path, JsonGenerator out, SerializerProvider provider) throws IOException {
                Path base = (Path) provider.getAttribute(BASE_DIR);
                Path normal = path.toAbsolutePath().normalize();
                out.writeString(base != null && normal.startsWith(base) ? base.relativize(normal).toString()
                        : normal.toString());
            }
        });
        module.addDeserializer(Path.class, new JsonDeserializer<>() {
            @Override
            public Path deserialize(JsonParser in, DeserializationContext context) throws IOException {
                Path base = (Path) context.getAttribute(BASE_DIR);
                Path path = Path.of(in.getValueAsString());
                return (base == null ? path : base.resolve(path)).normalize();
            }
        });
        module.addDeserializer(TaskKeys.TaskSettings.class, new JsonDeserializer<>() {
            @Override
            public TaskKeys.TaskSettings deserialize(JsonParser in, DeserializationContext context) throws IOException {
                return (TaskKeys.TaskSettings) context.readValue(in, (Class<?>) context.getAttribute(SETTINGS));
            }
        });
        module.addDeserializer(StrategyConfig.class, new JsonDeserializer<>() {
            @Override
            public StrategyConfig deserialize(JsonParser in, DeserializationContext context) throws IOException {
                ObjectNode node = in.readValueAsTree();
                Strategy type = RecipeNames.parse(Strategy.class, node.path("type").asText());
                node.remove("type");
                return context.readTreeAsValue(node, StrategyConfig.recordOf(type));
            }
        });
        return module;
    }

    private static final JsonSerializer<Enum<?>> RECIPE_NAME = new JsonSerializer<>() {
        @Override
        public void serialize(Enum<?> value, JsonGenerator out, SerializerProvider provider) throws IOException {
            out.writeString(RecipeNames.of(value));
        }
    };

    private static final class ByRecipeName extends JsonDeserializer<Enum<?>> {
        private final Class<?> type;

        ByRecipeName(Class<?> type) {
            this.type = type;
        }

        @Override
        @SuppressWarnings({"unchecked", "rawtypes"})
        public Enum<?> deserialize(JsonParser in, DeserializationContext context) throws IOException {
            return RecipeNames.parse((Class) type, in.getValueAsString());
        }
    }

    /** Writes an absent mapping such as {@code train.early_stopping} as {@code false}, the recipe's "off". */
    static final class FalseForNull extends JsonSerializer<Object> {
        @Override
        public void serialize(Object value, JsonGenerator out, SerializerProvider provider) throws IOException {
            out.writeBoolean(false);
        }
    }
}
