package dev.finetune4j.recipe;

import dev.finetune4j.UserError;
import java.util.List;
import java.util.stream.Collectors;

/** A recipe that cannot be used, with every problem found in it. */
public final class RecipeError extends UserError {
    private final List<Problem> problems;

    public RecipeError(String recipe, List<Problem> problems) {
        super(message(recipe, problems));
        this.problems = List.copyOf(problems);
    }

    static RecipeError of(String recipe, String message) {
        return new RecipeError(recipe, List.of(new Problem(recipe, 0, 0, message)));
    }

    public List<Problem> problems() {
        return problems;
    }

    private static String message(String recipe, List<Problem> problems) {
        if (problems.isEmpty()) {
            throw new IllegalArgumentException("a RecipeError needs at least one problem");
        }
        if (problems.size() == 1) {
            return problems.get(0).toString();
        }
        return problems.size() + " problems in " + recipe + ":\n"
                + problems.stream().map(p -> "  " + p).collect(Collectors.joining("\n"));
    }
}
