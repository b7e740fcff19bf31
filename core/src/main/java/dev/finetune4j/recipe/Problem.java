package dev.finetune4j.recipe;

/**
 * One thing wrong with a recipe.
 *
 * @param source the recipe file as the user named it, or the override ({@code --set key=value})
 * @param line 1-based line in the file, 0 when there is none (a missing key, an override)
 * @param column 1-based column, 0 when there is none
 */
public record Problem(String source, int line, int column, String message) {
    @Override
    public String toString() {
        return line > 0 ? source + ":" + line + ":" + column + ": " + message : source + ": " + message;
    }
}
