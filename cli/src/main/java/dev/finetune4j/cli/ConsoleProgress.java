package dev.finetune4j.cli;

import dev.finetune4j.train.TrainingListener;
import dev.finetune4j.train.TrainingResult;
import java.io.PrintStream;
import java.time.Duration;
import java.util.function.LongSupplier;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/**
 * Training progress on the console: a live bar with loss, examples/s and ETA on a terminal; one
 * plain log line about every 10 seconds otherwise (CI logs, pipes), instead of '\r' updates that
 * pile up into one endless line.
 */
final class ConsoleProgress implements TrainingListener {
    private static final long LOG_EVERY_NANOS = 10_000_000_000L;
    private final PrintStream out;
    private final boolean terminal;
    private final LongSupplier nanoTime;
    private ProgressBar bar;
    private long startNanos;
    private long lastLogNanos;
    private long totalSteps;
    /** Steps done before this process started (a resumed run): the ETA is measured on this process's steps only. */
    private long stepsBefore = -1;

    ConsoleProgress(PrintStream out) {
        this(out, System.console() != null && System.getenv("FT4J_PLAIN_PROGRESS") == null, System::nanoTime);
    }

    ConsoleProgress(PrintStream out, boolean terminal, LongSupplier nanoTime) {
        this.out = out;
        this.terminal = terminal;
        this.nanoTime = nanoTime;
    }

    @Override
    public void onStart(long totalSteps, int epochs, int trainExamples) {
        this.totalSteps = totalSteps;
        startNanos = lastLogNanos = nanoTime.getAsLong();
        stepsBefore = -1;
        out.printf("training: %d examples, %d steps%n", trainExamples, totalSteps);
    }

    @Override
    public void onStep(Step s) {
        if (stepsBefore < 0) {
            stepsBefore = s.step() - 1;
            if (terminal) { // built here, where a resumed run's first step is known, so that the bar's ETA starts from it
                bar = new ProgressBarBuilder().setTaskName("train").setInitialMax(totalSteps).startsFrom(stepsBefore, Duration.ZERO)
                        .setStyle(ProgressBarStyle.ASCII).setUpdateIntervalMillis(500).setMaxRenderedLength(120)
                        .setConsumer(new me.tongfei.progressbar.ConsoleProgressBarConsumer(out)).build();
            }
        }
        if (bar != null) {
            bar.stepTo(s.step());
            bar.setExtraMessage(String.format("ep %d loss %.4f %.1f ex/s", s.epoch() + 1, s.loss(), s.examplesPerSecond()));
            return;
        }
        String extra = String.format("epoch %d loss %.4f lr %.2e %.1f ex/s", s.epoch() + 1, s.loss(), s.learningRate(),
                s.examplesPerSecond());
        long now = nanoTime.getAsLong();
        if (now - lastLogNanos >= LOG_EVERY_NANOS || s.step() == s.totalSteps()) {
            lastLogNanos = now;
            double elapsed = (now - startNanos) / 1e9;
            long stepsHere = s.step() - stepsBefore;
            double eta = stepsHere <= 0 ? 0 : elapsed / stepsHere * (totalSteps - s.step());
            out.printf("step %d/%d  %s  elapsed %s  eta %s%n", s.step(), s.totalSteps(), extra, fmt(elapsed), fmt(eta));
        }
    }

    @Override
    public void onNonFiniteGradients(long step, java.util.List<String> parameters) {
        if (bar != null) bar.pause();
        out.printf("%snon-finite gradients at step %d in %d parameter(s): %s%n", bar != null ? "\n" : "", step + 1,
                parameters.size(), String.join("; ", parameters));
        if (bar != null) bar.resume();
    }

    @Override
    public void onSkippedStep(long step, double loss, double gradNorm) {
        if (bar != null) bar.pause();
        out.printf("%swarning: step %d skipped (loss %s, gradient norm %s not finite); weights unchanged%n",
                bar != null ? "\n" : "", step + 1, loss, gradNorm);
        if (bar != null) bar.resume();
    }

    @Override
    public void onUnfreeze(Unfreeze u) {
        if (bar != null) bar.pause();
        out.printf("%sgradual unfreezing: stage %d from step %d (epoch %d), %,d parameters train%n",
                bar != null ? "\n" : "", u.stage(), u.step() + 1, u.epoch() + 1, u.trainableParameters());
        if (bar != null) bar.resume();
    }

    @Override
    public void onEvaluation(Evaluation e) {
        if (bar != null) bar.pause();
        out.printf("%svalidation after step %d (epoch %d): %s = %.4f%s%s%n", bar != null ? "\n" : "", e.step(),
                e.epoch() + 1, e.metricName(), e.metric(), e.improved() ? "  (best so far)" : "",
                e.stopping() ? "  -> early stopping" : "");
        if (bar != null) bar.resume();
    }

    @Override
    public void onEnd(TrainingResult r) {
        if (bar != null) {
            bar.close();
            bar = null;
        }
        out.printf("trained %d steps in %s (%.1f examples/s)%s%n", r.steps(), fmt(r.trainSeconds()),
                r.examplesPerSecond(), r.stoppedEarly() ? ", stopped early" : "");
    }

    private static String fmt(double seconds) {
        Duration d = Duration.ofSeconds(Math.round(seconds));
        return d.toHours() > 0 ? String.format("%dh%02dm%02ds", d.toHours(), d.toMinutesPart(), d.toSecondsPart())
                : String.format("%dm%02ds", d.toMinutesPart(), d.toSecondsPart());
    }
}
