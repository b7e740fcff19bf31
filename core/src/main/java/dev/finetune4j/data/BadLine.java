package dev.finetune4j.data;

/** A record that could not be parsed, kept so that the cleaning report can count it. */
public record BadLine(int line, String reason) {}
