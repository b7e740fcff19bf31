package dev.finetune4j.data;

/** What a reader does with a line it cannot parse. */
public enum OnBadLine {
    /** Record it as a {@link BadLine} and go on; the cleaning report counts it. */
    SKIP,
    /** Stop with a {@link dev.finetune4j.UserError} naming the file and line. */
    FAIL;

    /** The spelling used in recipes ({@code data.on_bad_line}). */
    public String recipeName() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
