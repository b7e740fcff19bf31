package dev.finetune4j.data;

/**
 * One parsed record as it was in the file, before cleaning.
 *
 * @param line 1-based line where the record starts (a quoted CSV field may span several lines)
 * @param text the text column, or null when the record has none
 * @param label the label column as written (numbers and booleans as their literal text), or null when missing
 */
public record RawRow(int line, String text, String label) {}
