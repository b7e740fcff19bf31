package dev.finetune4j.recipe;

/**
 * The optimizer and its settings ({@code train.optimizer}, {@code train.betas}, ...), defaults
 * resolved: PyTorch's, except weight decay 0.01 for AdamW (PyTorch's AdamW default too, and Hugging
 * Face's fine-tuning recipe) and 0 for the others (PyTorch's), and SGD's momentum 0.9 (torchvision's
 * fine-tuning recipes; PyTorch's default is 0).
 *
 * @param beta1 Adam and AdamW
 * @param beta2 Adam and AdamW
 * @param eps Adam, AdamW and RMSprop
 * @param momentum SGD and RMSprop
 * @param nesterov SGD
 * @param dampening SGD
 * @param alpha RMSprop's smoothing constant
 * @param centered RMSprop
 */
public record OptimizerConfig(OptimizerKind kind, double beta1, double beta2, double eps, double momentum,
        boolean nesterov, double dampening, double alpha, boolean centered) {
    public OptimizerConfig {
        Checks.notNull(kind, "train.optimizer");
        Checks.check(beta1 >= 0 && beta1 < 1 && beta2 >= 0 && beta2 < 1, "train.betas must be in [0, 1), got [" + beta1
                + ", " + beta2 + "]");
        Checks.check(eps > 0, "train.eps must be > 0, got " + eps);
        Checks.check(momentum >= 0, "train.momentum must be >= 0, got " + momentum);
        Checks.check(dampening >= 0 && dampening <= 1, "train.dampening must be in [0, 1], got " + dampening);
        Checks.check(alpha >= 0 && alpha < 1, "train.alpha must be in [0, 1), got " + alpha);
    }

    /** AdamW with PyTorch's settings: what a recipe without {@code train.optimizer} gets. */
    public static OptimizerConfig adamW() {
        return new OptimizerConfig(OptimizerKind.ADAMW, 0.9, 0.999, 1e-8, 0, false, 0, 0.99, false);
    }

    /** The default weight decay for this optimizer. */
    public static double defaultWeightDecay(OptimizerKind kind) {
        return kind == OptimizerKind.ADAMW ? 0.01 : 0.0;
    }

    /** The default momentum for this optimizer. */
    public static double defaultMomentum(OptimizerKind kind) {
        return kind == OptimizerKind.SGD ? 0.9 : 0.0;
    }
}
