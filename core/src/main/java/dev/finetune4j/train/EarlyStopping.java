package dev.finetune4j.train;

/**
 * Early stopping on a validation metric with patience. Holds only the decision state; the trainer
 * keeps the best weights. Stopping is a returned decision, never an exception.
 *
 * <p>A coarse metric (macro F1 or accuracy on a few hundred examples) often ties exactly; a tie
 * with a lower validation loss counts as an improvement, so that the model kept is not the first of
 * several equal ones but the one that fits validation best (on the spam example the first of three
 * tied epochs was epoch 1, with 0.07 validation loss against epoch 3's 0.05).
 */
public final class EarlyStopping {
    public enum Decision { IMPROVED, NO_IMPROVEMENT, STOP }

    private final boolean higherIsBetter;
    private final int patience;
    private final double minDelta;
    private double best = Double.NaN;
    private double bestLoss = Double.NaN;
    private long bestStep = -1;
    private int evaluationsWithoutImprovement;

    public EarlyStopping(boolean higherIsBetter, int patience, double minDelta) {
        if (patience < 1) throw new IllegalArgumentException("patience must be >= 1");
        this.higherIsBetter = higherIsBetter;
        this.patience = patience;
        this.minDelta = minDelta;
    }

    public Decision update(double value, long step) {
        return update(value, Double.NaN, step);
    }

    /** @param loss the validation loss at this evaluation (NaN when unknown): breaks exact ties of the metric */
    public Decision update(double value, double loss, long step) {
        boolean improved = Double.isNaN(best)
                || (higherIsBetter ? value > best + minDelta : value < best - minDelta)
                || (value == best && loss < bestLoss);
        if (improved) {
            best = value;
            bestLoss = loss;
            bestStep = step;
            evaluationsWithoutImprovement = 0;
            return Decision.IMPROVED;
        }
        evaluationsWithoutImprovement++;
        return evaluationsWithoutImprovement >= patience ? Decision.STOP : Decision.NO_IMPROVEMENT;
    }

    public double best() {
        return best;
    }

    public long bestStep() {
        return bestStep;
    }

    public int evaluationsWithoutImprovement() {
        return evaluationsWithoutImprovement;
    }

    /** Puts back the state a checkpoint recorded; {@code bestLoss}: the validation loss at the best step. */
    public void restore(double best, double bestLoss, long bestStep, int evaluationsWithoutImprovement) {
        this.best = best;
        this.bestLoss = bestLoss;
        this.bestStep = bestStep;
        this.evaluationsWithoutImprovement = evaluationsWithoutImprovement;
    }
}
