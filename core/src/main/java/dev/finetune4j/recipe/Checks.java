package dev.finetune4j.recipe;

import java.util.Objects;

/**
 * Invariants of the recipe records. The loader reports user mistakes with line numbers before a
 * record is built, so these only fire for records built in code.
 */
final class Checks {
    private Checks() {}

    static void check(boolean ok, String message) {
        if (!ok) {
            throw new IllegalArgumentException(message);
        }
    }

    static <T> T notNull(T value, String name) {
        return Objects.requireNonNull(value, () -> name + " must not be null");
    }

    static String notBlank(String value, String name) {
        check(!notNull(value, name).isBlank(), name + " must not be blank");
        return value;
    }

    static void atLeast(long value, long min, String name) {
        check(value >= min, name + " must be >= " + min + ", got " + value);
    }

    static void atLeast(Integer value, long min, String name) {
        if (value != null) {
            atLeast(value.longValue(), min, name);
        }
    }

    static void fraction(Double value, String name) {
        if (value != null) {
            check(value >= 0 && value < 1, name + " must be in [0, 1), got " + value);
        }
    }
}
