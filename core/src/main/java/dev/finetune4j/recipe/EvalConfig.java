package dev.finetune4j.recipe;

/**
 * What a run reports after training besides the metrics.
 *
 * @param hardestExamples how many training examples with the highest loss to list (likely
 *     mislabelled); 0 skips the pass over the training set that finds them
 */
public record EvalConfig(int hardestExamples) {
    public EvalConfig {
        Checks.atLeast(hardestExamples, 0, "eval.hardest_examples");
    }
}
