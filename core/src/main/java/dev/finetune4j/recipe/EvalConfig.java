package dev.finetune4j.recipe;

import java.util.List;

/**
 * What a run reports after training besides the metrics, and how the exported model turns
 * probabilities into answers.
 *
 * @param hardestExamples how many training examples with the highest loss to list (likely
 *     mislabelled); 0 skips the pass over the training set that finds them
 * @param calibrate fit a temperature on the validation split and export it, so that predicted
 *     probabilities match observed frequencies (temperature scaling never changes the top class)
 * @param tuneThreshold binary tasks: choose the decision threshold on the positive class's
 *     probability that maximises the early-stopping metric on validation, and export it
 * @param slices data columns to report the test metrics per value of (a source, a group)
 */
public record EvalConfig(int hardestExamples, boolean calibrate, boolean tuneThreshold, List<String> slices) {
    public EvalConfig {
        Checks.atLeast(hardestExamples, 0, "eval.hardest_examples");
        slices = slices == null ? List.of() : List.copyOf(slices);
    }
}
