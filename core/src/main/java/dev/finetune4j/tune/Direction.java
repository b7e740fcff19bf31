package dev.finetune4j.tune;

/** Whether a study looks for the largest or the smallest value of its metric. */
public enum Direction {
    MAXIMIZE, MINIMIZE;

    /** {@code a} is better than {@code b}. */
    public boolean better(double a, double b) {
        return this == MAXIMIZE ? a > b : a < b;
    }

    /** The value as a loss (smaller is better), which samplers and pruners work with. */
    public double loss(double value) {
        return this == MAXIMIZE ? -value : value;
    }
}
