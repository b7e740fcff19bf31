package dev.finetune4j.text;

import dev.finetune4j.recipe.TaskKeys;

/** The recipe keys of text classification, declared in {@code recipe.schema.json} beside this class. */
public record TextSettings(Data data) implements TaskKeys.TaskSettings {
    /**
     * @param textColumn the column (or JSON field) with the text
     * @param maxLength tokens per example after truncation ({@code null}: chosen by the run, see
     *     {@link TextModality#choose})
     */
    public record Data(String textColumn, Integer maxLength) {}
}
