package dev.finetune4j.util;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/** How recipe enums are spelt: the constant's name in lower case, '_' written as '-'. */
public final class RecipeNames {
    private RecipeNames() {}

    public static String of(Enum<?> constant) {
        return constant.name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    public static <E extends Enum<E>> List<String> allowed(Class<E> type) {
        return Arrays.stream(type.getEnumConstants()).map(RecipeNames::of).toList();
    }

    public static <E extends Enum<E>> E parse(Class<E> type, String text) {
        for (E constant : type.getEnumConstants()) {
            if (of(constant).equals(text)) {
                return constant;
            }
        }
        throw new IllegalArgumentException(
                "'" + text + "' is not one of: " + String.join(", ", allowed(type)));
    }
}
