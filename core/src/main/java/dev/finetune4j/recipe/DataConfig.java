package dev.finetune4j.recipe;

import dev.finetune4j.data.Format;
import dev.finetune4j.data.OnBadLine;

import java.nio.file.Path;

/**
 * Where the examples come from and how they are read, for every task (a task adds its own keys, such
 * as text's {@code data.text_column}: {@link TaskKeys}). Paths are already resolved against the
 * recipe's directory.
 *
 * @param validation {@code null}: split {@code validationFraction} off the training file
 * @param test {@code null}: split {@code testFraction} off the training file
 */
public record DataConfig(
        Path train,
        Path validation,
        Path test,
        Format format,
        String labelColumn,
        double validationFraction,
        double testFraction,
        boolean dropDuplicates,
        OnBadLine onBadLine) {

    public DataConfig {
        Checks.notNull(train, "data.train");
        Checks.notNull(format, "data.format");
        Checks.notBlank(labelColumn, "data.label_column");
        Checks.fraction(validationFraction, "data.validation_fraction");
        Checks.fraction(testFraction, "data.test_fraction");
        Checks.check(splitOff(validation, validationFraction) + splitOff(test, testFraction) < 1,
                "data.validation_fraction + data.test_fraction must be < 1");
        Checks.notNull(onBadLine, "data.on_bad_line");
    }

    /** The fraction of the training file that is split off for a set that has no file of its own. */
    static double splitOff(Object file, double fraction) {
        return file == null ? fraction : 0;
    }

}
