package dev.finetune4j.train;

/**
 * Early stopping on a validation metric with patience. Holds only the decision state; the trainer
 * keeps the best weights. Stopping is a returned decision, never an exception.
 */
public final class EarlyStopping {
    public enum Decision { IMPROVED, NO_IMPROVEMENT, STOP }

    private final boolean higherIsBetter;
    private final int patience;
    private final double minDelta;
    private double best = Double.NaN;
    private long bestStep = -1;
    private int evaluationsWithoutImprovement;

    public EarlyStopping(boolean higherIsBetter, int patience, double minDelta) {
        if (patience < 1) throw new IllegalArgumentException("patience must be >= 1");
        this.higherIsBetter = higherIsBetter;
        this.patience = patience;
        this.minDelta = minDelta;
    }

    public Decision update(double value, long step) {
        boolean improved = Double.isNaN(best)
                || (higherIsBetter ? value > best + minDelta : value < best - minDelta);
        if (improved) {
            best = value;
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

    /** Puts back the state a checkpoint recorded. */
    public void restore(double best, long bestStep, int evaluationsWithoutImprovement) {
        this.best = best;
        this.bestStep = bestStep;
        this.evaluationsWithoutImprovement = evaluationsWithoutImprovement;
    }
}
