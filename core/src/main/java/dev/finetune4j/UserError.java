package dev.finetune4j;

/**
 * A problem with what the user gave us (a file, a recipe, a flag), as opposed to a bug.
 *
 * <p>The message is shown as is, without a stack trace, so it must say where (file, line, key)
 * and what to do about it. The CLI exits with code 2 on a UserError.
 */
public class UserError extends RuntimeException {
    public UserError(String message) {
        super(message);
    }

    public UserError(String message, Throwable cause) {
        super(message, cause);
    }
}
