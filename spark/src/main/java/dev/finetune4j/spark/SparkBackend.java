package dev.finetune4j.spark;

import dev.finetune4j.UserError;
import dev.finetune4j.tune.TrialBackend;
import dev.finetune4j.util.Host;
import dev.finetune4j.tune.TrialCoordinator;
import dev.finetune4j.tune.TrialTask;
import java.io.IOException;
import java.io.PrintStream;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.apache.spark.SparkConf;
import org.apache.spark.SparkEnv;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.api.java.function.VoidFunction;

/**
 * Trials as Spark tasks: each trial is a one-task job (in its own job group, so it can be cancelled
 * alone), the driver samples and prunes, and the executors report every intermediate value to the
 * driver over HTTP ({@link HttpCoordinator}). An executor lost mid-trial makes Spark run the task
 * again; the new attempt claims the trial (the store drops the lost attempt's values) or, when the
 * lost attempt had already recorded the trial, does not run it again.
 *
 * <p>Executors read the tune file, data and model at the driver's paths (a shared file system on a
 * real cluster) and load finetune4j from {@code spark.executor.extraClassPath}, by default the
 * driver's own class path: finetune4j installed at the same path on every machine. Any {@code spark.*}
 * JVM system property (e.g. {@code JAVA_OPTS=-Dspark.executor.memory=4g}) configures the session;
 * {@code spark.task.cpus} is each trial's tensor thread count.
 */
public final class SparkBackend implements TrialBackend {
    private final JavaSparkContext sc;
    private final int parallel;
    private final int threadsPerTrial;
    private final String master;
    private final ExecutorService submitter = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "ft4j-trial-job");
        t.setDaemon(true);
        return t;
    });
    private HttpCoordinator.Server server;
    private TrialCoordinator served;

    public SparkBackend(String master, int parallel, PrintStream log) {
        quietSparkLogging();
        SparkConf conf = new SparkConf() // picks up spark.* system properties
                .setAppName("finetune4j tune")
                .setIfMissing("spark.ui.enabled", "false")
                .setIfMissing("spark.executorEnv.OPT_OUT_TRACKING", "true")
                .setIfMissing("spark.executorEnv.MKL_CBWR", "AUTO")
                .setIfMissing("spark.executorEnv.MKL_DYNAMIC", "FALSE")
                .setIfMissing("spark.executorEnv.TORCH_CPP_LOG_LEVEL", "ERROR")
                .setIfMissing("spark.executor.extraJavaOptions", "-Dai.djl.offline=true")
                .setIfMissing("spark.executor.extraClassPath", System.getProperty("java.class.path"));
        if (master != null) conf.setMaster(master);
        conf.setIfMissing("spark.master", "local[*]");
        this.master = conf.get("spark.master");
        try {
            sc = new JavaSparkContext(conf);
        } catch (RuntimeException e) {
            throw new UserError("cannot start a Spark session with master " + this.master + ": " + e.getMessage(), e);
        }
        this.parallel = parallel;
        this.threadsPerTrial = Integer.parseInt(sc.getConf().get("spark.task.cpus", "1"));
        log.printf("spark: %s (Spark %s, application %s)%n", this.master, sc.version(), sc.sc().applicationId());
    }

    @Override
    public String description() {
        return "as Spark tasks on " + master + ", " + slots() + " at once with " + threadsPerTrial
                + " tensor thread(s) each";
    }

    /** The --parallel asked for, else the cluster's task slots as Spark counts them now (executors may still be joining). */
    @Override
    public int slots() {
        return parallel > 0 ? parallel : Math.max(1, sc.defaultParallelism() / threadsPerTrial);
    }

    @Override
    public synchronized CompletableFuture<Void> submit(TrialTask task, TrialCoordinator coordinator) {
        HttpCoordinator.Client client = serve(coordinator).client();
        VoidFunction<TrialTask> run = runOnExecutor(client, threadsPerTrial);
        return CompletableFuture.runAsync(() -> {
            sc.setJobGroup("ft4j-trial-" + task.number(), "finetune4j trial " + task.number(), true);
            sc.parallelize(List.of(task), 1).foreach(run);
        }, submitter);
    }

    /** Static, so that the task's closure holds only the client and the thread count, not this backend. */
    private static VoidFunction<TrialTask> runOnExecutor(HttpCoordinator.Client client, int threads) {
        return task -> task.runAttempt(attemptId(), threads, client);
    }

    /** Unique across the application and readable in the leaderboard: executor, task attempt, host and process. */
    static String attemptId() {
        TaskContext tc = TaskContext.get();
        String executor = SparkEnv.get() == null ? "?" : SparkEnv.get().executorId();
        return "spark-executor-" + executor + "-task-" + (tc == null ? "?" : tc.taskAttemptId()) + "@" + Host.name() + ":"
                + ProcessHandle.current().pid();
    }

    private HttpCoordinator.Server serve(TrialCoordinator coordinator) {
        if (server != null && served == coordinator) return server;
        if (server != null) server.close();
        try {
            server = new HttpCoordinator.Server(sc.getConf().get("spark.driver.host", "127.0.0.1"), coordinator);
        } catch (IOException e) {
            throw new UserError("cannot open the study's coordinator endpoint for Spark executors: " + e.getMessage(), e);
        }
        served = coordinator;
        return server;
    }

    /** Spark logs at INFO through SLF4J; a tuning study prints its own progress. */
    private static void quietSparkLogging() {
        for (String logger : List.of("org.apache.spark", "org.sparkproject", "org.apache.hadoop", "io.netty")) {
            String key = "org.slf4j.simpleLogger.log." + logger;
            if (System.getProperty(key) == null) System.setProperty(key, logger.equals("org.apache.spark") ? "warn" : "error");
        }
    }

    @Override
    public void close() {
        submitter.shutdownNow();
        if (server != null) server.close();
        sc.stop();
    }
}
