package dev.finetune4j.cli;

import dev.finetune4j.dashboard.Dashboard;
import dev.finetune4j.track.RunStore;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "dashboard", mixinStandardHelpOptions = true,
        description = {"Serve web pages over the recorded runs: the runs table, each run's curves (live while it trains),"
                + " its confusion matrix, a compare view and tuning studies. Stop with Ctrl-C."})
final class DashboardCommand implements Callable<Integer> {
    @Option(names = "--port", paramLabel = "P", defaultValue = "8765", description = "port (default: ${DEFAULT-VALUE}; 0: any free port)")
    int port;

    @Option(names = "--host", paramLabel = "ADDR", defaultValue = "127.0.0.1",
            description = "address to listen on (default: ${DEFAULT-VALUE}, this machine only; the dashboard has no login)")
    String host;

    @Option(names = "--store", paramLabel = "FILE", description = "the run store (default: $FT4J_RUNS/runs.db or runs/runs.db)")
    Path store;

    @Override
    public Integer call() throws InterruptedException {
        Path file = store != null ? store : RunStore.defaultFile();
        if (!host.equals("127.0.0.1") && !host.equals("localhost")) {
            System.err.println("warning: the dashboard has no login; on " + host + " anyone who can reach the port sees"
                    + " every run's recipe and paths");
        }
        CountDownLatch stopped = new CountDownLatch(1);
        try (Dashboard d = Dashboard.start(file, host, port)) {
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                d.close();
                stopped.countDown();
            }));
            System.out.printf("dashboard for %s on http://%s:%d/ (Ctrl-C stops it)%n", file, host, d.port());
            System.out.flush();
            stopped.await();
        }
        return 0;
    }
}
