package dev.finetune4j.recipe;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.ServiceLoader;

/**
 * The recipe keys that belong to one {@code task}: a schema fragment that the loader merges into
 * {@code recipe.schema.json}, and the record they bind to. A modality implements this (listed in
 * {@code META-INF/services/dev.finetune4j.recipe.TaskKeys}), so that its keys, such as text's
 * {@code data.max_length}, are declared beside its code and checked with the same line, column and
 * did-you-mean as every other key; a key of another task is an error that names the task it is for.
 */
public interface TaskKeys {
    /** The recipe's {@code task}, e.g. {@code text-classification}. */
    String task();

    /**
     * A JSON schema fragment: {@code {"properties": {"data": {"properties": {...}}}}} adds keys to an
     * existing section, and a section the shared schema lacks (such as {@code augment}) is added whole.
     * Its keys need defaults: a recipe gives only what it changes.
     */
    JsonNode recipeSchema();

    /** The record the fragment binds to, with one component per section of the fragment. */
    Class<? extends TaskSettings> settingsType();

    /** Whether a data key may name a folder (images in class folders) as well as a CSV / TSV / JSONL file. */
    default boolean readsFolders() {
        return false;
    }

    /** The task's own settings as bound from a recipe; {@link Recipe#settings(Class)} gives them typed. */
    interface TaskSettings {}

    static List<TaskKeys> installed() {
        List<TaskKeys> out = new ArrayList<>();
        for (TaskKeys keys : ServiceLoader.load(TaskKeys.class, TaskKeys.class.getClassLoader())) out.add(keys);
        return out;
    }
}
