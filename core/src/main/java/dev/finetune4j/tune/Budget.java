package dev.finetune4j.tune;

import dev.finetune4j.UserError;
import java.util.Locale;
import java.util.function.LongSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A wall-clock budget: how much of it is spent (including what earlier, interrupted sessions of the
 * same job spent) and whether a piece of work of a given expected length still fits. The clock is
 * a parameter so that the budget logic is tested without waiting.
 */
public final class Budget {
    private static final Pattern PART = Pattern.compile("(\\d+(?:\\.\\d+)?)([hms])");

    private final double seconds;
    private final double spentBefore;
    private final LongSupplier nanos;
    private final long start;

    /**
     * @param spentBefore seconds an interrupted earlier session of the same job spent
     * @param nanos the clock ({@link System#nanoTime} outside tests)
     */
    public Budget(double seconds, double spentBefore, LongSupplier nanos) {
        if (!(seconds > 0)) throw new IllegalArgumentException("a budget must be positive, got " + seconds);
        this.seconds = seconds;
        this.spentBefore = spentBefore;
        this.nanos = nanos;
        this.start = nanos.getAsLong();
    }

    public static Budget startingNow(double seconds) {
        return new Budget(seconds, 0, System::nanoTime);
    }

    public double seconds() {
        return seconds;
    }

    public double spent() {
        return spentBefore + (nanos.getAsLong() - start) / 1e9;
    }

    public double remaining() {
        return seconds - spent();
    }

    public boolean exhausted() {
        return remaining() <= 0;
    }

    /** Whether work expected to take {@code seconds}, with {@code reserve} seconds kept back for later, fits in what is left. */
    public boolean fits(double seconds, double reserve) {
        return seconds + reserve <= remaining();
    }

    /** "20m", "90s", "1h30m", "1.5h" as seconds. */
    public static double parse(String text, String option) {
        String s = text == null ? "" : text.strip().toLowerCase(Locale.ROOT);
        Matcher m = PART.matcher(s);
        double total = 0;
        int at = 0;
        while (m.find()) {
            if (m.start() != at) break;
            double v = Double.parseDouble(m.group(1));
            total += switch (m.group(2)) {
                case "h" -> v * 3600;
                case "m" -> v * 60;
                default -> v;
            };
            at = m.end();
        }
        if (s.isEmpty() || at != s.length() || !(total > 0)) {
            throw new UserError(option + " '" + text + "' is not a duration: write it as 20m, 90s, 1h30m or 1.5h");
        }
        return total;
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT, "%.0f s of %.0f s spent", spent(), seconds);
    }
}
