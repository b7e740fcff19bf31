package dev.finetune4j.spark;

import static org.assertj.core.api.Assertions.assertThat;

import dev.finetune4j.testing.TinyRun;
import dev.finetune4j.tune.Study;
import dev.finetune4j.tune.StudyStore;
import dev.finetune4j.tune.Trial;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Studies whose trials run as Spark tasks: in Spark inside this JVM, and on a real standalone
 * cluster (a master and a worker process started on localhost, executors in their own JVMs) where
 * the first executor is killed right after it recorded a trial, so that Spark retries that task.
 */
class SparkStudyTest {
    @TempDir
    static Path tmp;

    static Path tuneFile;

    @BeforeAll
    static void fixture() throws Exception {
        TinyRun.write(tmp, 80);
        tuneFile = TinyRun.writeTuneFile(tmp, "sampler: random", "pruner: none", "trials: 3", "seed: 1", "space:",
                "  train.learning_rate: {type: log_uniform, low: 1.0e-4, high: 1.0e-2}",
                "  train.weight_decay: {type: uniform, low: 0.0, high: 0.1}");
    }

    @Test
    void trialsRunAsTasksOfAnEmbeddedSparkAndReportToTheDriver() {
        Path out = tmp.resolve("embedded");
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        PrintStream ps = new PrintStream(log, true, StandardCharsets.UTF_8);
        Study.Outcome o;
        try (SparkBackend spark = new SparkBackend("local[2]", 0, ps)) {
            assertThat(spark.slots()).isEqualTo(2);
            o = new Study(tuneFile, List.of(), ps).run(out, null, spark, false);
        }
        assertThat(o.leaderboard()).hasSize(3).allSatisfy(r -> {
            assertThat(r.get("state")).as(log.toString()).isEqualTo("COMPLETE");
            assertThat((String) r.get("worker")).startsWith("spark-executor-driver-task-");
            assertThat(r.get("attempts")).isEqualTo(1);
        });
        try (StudyStore store = new StudyStore(out.resolve("study.db"))) {
            assertThat(store.trials()).allSatisfy(t -> assertThat(t.intermediate()).containsOnlyKeys(1L, 2L, 3L));
        }
    }

    @Test
    void aStandaloneClusterRunsTheTrialsAndALostExecutorDoesNotRunATrialTwice() throws Exception {
        // Spark's launcher wants SPARK_HOME/jars; our classes reach the executors via extraClassPath.
        Path sparkHome = tmp.resolve("spark-home");
        Files.createDirectories(sparkHome.resolve("jars"));
        Path work = Files.createDirectories(tmp.resolve("worker"));
        Path halted = tmp.resolve("executor-halted");
        String classPath = System.getProperty("java.class.path");
        int masterPort = freePort();
        List<Process> cluster = new ArrayList<>();
        try {
            cluster.add(sparkDaemon(classPath, sparkHome, tmp.resolve("master.log"), "org.apache.spark.deploy.master.Master",
                    "--host", "127.0.0.1", "--port", Integer.toString(masterPort), "--webui-port", Integer.toString(freePort())));
            awaitPort(masterPort, tmp.resolve("master.log"));
            cluster.add(sparkDaemon(classPath, sparkHome, tmp.resolve("worker.log"), "org.apache.spark.deploy.worker.Worker",
                    "--host", "127.0.0.1", "--cores", "2", "--memory", "3g", "--work-dir", work.toString(),
                    "--webui-port", Integer.toString(freePort()), "spark://127.0.0.1:" + masterPort));

            Path out = tmp.resolve("standalone");
            ByteArrayOutputStream log = new ByteArrayOutputStream();
            PrintStream ps = new PrintStream(log, true, StandardCharsets.UTF_8);
            Map<String, String> props = Map.of(
                    "spark.executor.memory", "1g",
                    "spark.driver.host", "127.0.0.1",
                    // the first executor to record a trial dies before its task returns: Spark must retry the task
                    "spark.executor.extraJavaOptions", "-Dai.djl.offline=true -Dft4j.haltOnceAt=trial-finished:" + halted);
            props.forEach(System::setProperty);
            Study.Outcome o;
            try (SparkBackend spark = new SparkBackend("spark://127.0.0.1:" + masterPort, 1, ps)) {
                o = new Study(tuneFile, List.of(), ps).run(out, null, spark, false);
            } finally {
                props.keySet().forEach(System::clearProperty);
            }
            String why = log + "\nworker log:\n" + Files.readString(tmp.resolve("worker.log"));
            assertThat(halted).as("an executor halted after recording a trial\n" + why).exists();
            long driverPid = ProcessHandle.current().pid();
            assertThat(o.leaderboard()).as(why).hasSize(3).allSatisfy(r -> {
                assertThat(r.get("state")).isEqualTo("COMPLETE");
                assertThat(r.get("attempts")).as("attempts that ran trial %s", r.get("number")).isEqualTo(1);
                String worker = (String) r.get("worker");
                assertThat(worker).startsWith("spark-executor-").doesNotEndWith(":" + driverPid);
            });
            // Exactly one trial's task ran twice; the second attempt found it recorded and did not train it again.
            assertThat(o.leaderboard().stream().mapToInt(r -> (Integer) r.get("refused_attempts")).sum()).as(why).isEqualTo(1);
            assertThat(log.toString()).contains("already finished; attempt spark-executor-");
            try (StudyStore store = new StudyStore(out.resolve("study.db"))) {
                for (Trial t : store.trials()) {
                    assertThat(t.intermediate()).containsOnlyKeys(1L, 2L, 3L);
                    assertThat(t.value()).isEqualTo(t.intermediate().get(3L));
                }
            }
        } finally {
            for (int i = cluster.size() - 1; i >= 0; i--) stop(cluster.get(i));
        }
    }

    private static Process sparkDaemon(String classPath, Path sparkHome, Path log, String mainClass, String... args)
            throws IOException {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx512m", "-cp", classPath, mainClass));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().put("SPARK_HOME", sparkHome.toString());
        pb.environment().put("SPARK_SCALA_VERSION", "2.13");
        pb.environment().put("OPT_OUT_TRACKING", "true");
        return pb.start();
    }

    private static void stop(Process p) throws InterruptedException {
        List<ProcessHandle> children = p.descendants().toList();
        p.destroy();
        if (!p.waitFor(20, TimeUnit.SECONDS)) p.destroyForcibly();
        children.forEach(ProcessHandle::destroyForcibly);
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    private static void awaitPort(int port, Path log) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline) {
            try (Socket s = new Socket("127.0.0.1", port)) {
                return;
            } catch (IOException e) {
                Thread.sleep(200);
            }
        }
        throw new AssertionError("the Spark master did not open port " + port + ":\n" + Files.readString(log));
    }
}
