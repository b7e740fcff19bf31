package dev.finetune4j.cli;

import dev.finetune4j.UserError;
import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code ft4j} command. Exit codes: 0 success, 1 internal error, 2 user error. */
@Command(name = "ft4j", mixinStandardHelpOptions = true, versionProvider = Ft4j.Version.class,
        description = "Fine-tune pre-trained models on the JVM.",
        subcommands = {TrainCommand.class, AutoCommand.class, PlanCommand.class, TuneCommand.class, PredictCommand.class, EvalCommand.class, ServeCommand.class,
                RunsCommand.class, DashboardCommand.class,
                ModelsCommand.class,
                CommandLine.HelpCommand.class})
public final class Ft4j implements Runnable {
    public static final int USER_ERROR = 2;
    public static final int INTERNAL_ERROR = 1;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    public static void main(String[] args) {
        System.exit(execute(args));
    }

    /** Runs the CLI in this JVM (tests call this) and returns the exit code. */
    public static int execute(String... args) {
        CommandLine cli = new CommandLine(new Ft4j());
        cli.setExecutionExceptionHandler((e, cmd, parsed) -> report(e, cmd.getErr()));
        cli.setParameterExceptionHandler((e, args1) -> {
            PrintWriter err = e.getCommandLine().getErr();
            err.println("error: " + e.getMessage());
            err.println("Run 'ft4j " + e.getCommandLine().getCommandName().replace("ft4j", "").trim()
                    + (e.getCommandLine().getCommandName().equals("ft4j") ? "" : " ") + "--help' for usage.");
            err.flush();
            return USER_ERROR;
        });
        return cli.execute(args);
    }

    static int report(Exception e, PrintWriter err) {
        Throwable t = e;
        while (!(t instanceof UserError) && t.getCause() != null && t.getCause() != t) t = t.getCause();
        if (t instanceof UserError) {
            err.println("error: " + t.getMessage());
            err.flush();
            return USER_ERROR;
        }
        err.println("internal error (a bug in finetune4j; please report it with the trace below): " + e);
        e.printStackTrace(err);
        err.flush();
        return INTERNAL_ERROR;
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = Ft4j.class.getPackage().getImplementationVersion();
            return new String[] {"finetune4j " + (v != null ? v : "dev")};
        }
    }
}
