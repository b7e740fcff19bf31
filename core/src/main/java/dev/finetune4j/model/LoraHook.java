package dev.finetune4j.model;

/**
 * LoRA on some linear modules of a body (set by the adapt package's Lora): a module
 * {@code M} that has parameters {@code M.lora_A.weight} [r, in] and {@code M.lora_B.weight} [out, r]
 * computes {@code x W^T + b + (dropout(x) A^T B^T) * scaling}, dropout only in training.
 */
public record LoraHook(float scaling, float dropout) {
    public static final String A = ".lora_A.weight";
    public static final String B = ".lora_B.weight";
}
