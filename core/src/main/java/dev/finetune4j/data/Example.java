package dev.finetune4j.data;

/** A cleaned, labelled text: trimmed, non-empty text and label; {@code line} points back into the source file. */
public record Example(String text, String label, int line) {}
