package dev.finetune4j.recipe;

import dev.finetune4j.data.Format;
import dev.finetune4j.data.OnBadLine;

import java.nio.file.Path;

/**
 * Where the examples come from and how they are read. Paths are already resolved against the
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
        String textColumn,
        String labelColumn,
        int maxLength,
        double validationFraction,
        double testFraction,
        boolean dropDuplicates,
        OnBadLine onBadLine) {

    public static final int MIN_MAX_LENGTH = 8;
    public static final int MAX_MAX_LENGTH = 8192;

    public DataConfig {
        Checks.notNull(train, "data.train");
        Checks.notNull(format, "data.format");
        Checks.notBlank(textColumn, "data.text_column");
        Checks.notBlank(labelColumn, "data.label_column");
        Checks.check(!textColumn.equals(labelColumn), "data.text_column and data.label_column are both '" + textColumn + "'");
        Checks.check(maxLength >= MIN_MAX_LENGTH && maxLength <= MAX_MAX_LENGTH,
                "data.max_length must be between " + MIN_MAX_LENGTH + " and " + MAX_MAX_LENGTH + ", got " + maxLength);
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
