package dev.finetune4j.data;

/** Why cleaning left a record out. */
public enum DropReason {
    UNPARSEABLE_LINE("unparseable line"),
    MISSING_TEXT("missing text"),
    EMPTY_TEXT("empty or whitespace-only text"),
    MISSING_LABEL("missing label"),
    EMPTY_LABEL("empty label"),
    EXACT_DUPLICATE("exact duplicate (first copy kept)"),
    CONFLICTING_DUPLICATE("same text, different labels (all copies dropped)"),
    MISSING_FILE("file not found"),
    EMPTY_FILE("empty file"),
    NOT_AN_IMAGE("not a PNG, JPEG, BMP or GIF"),
    CORRUPT_IMAGE("image does not decode (truncated or damaged)");

    private final String description;

    DropReason(String description) {
        this.description = description;
    }

    /** Whether it is about a file a row points to (images), not the row itself: reports list those only when they dropped some. */
    public boolean aboutFiles() {
        return ordinal() >= MISSING_FILE.ordinal();
    }

    public String description() {
        return description;
    }

    /** Stable snake_case name for JSON reports. */
    public String key() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
