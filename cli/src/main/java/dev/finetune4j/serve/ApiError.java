package dev.finetune4j.serve;

import java.util.Map;

/** A request the server refuses: the HTTP status, a message saying which limit and how to fix it, extra headers. */
final class ApiError extends RuntimeException {
    final int status;
    final Map<String, String> headers;

    ApiError(int status, String message) {
        this(status, message, Map.of());
    }

    ApiError(int status, String message, Map<String, String> headers) {
        super(message, null, false, false);
        this.status = status;
        this.headers = headers;
    }
}
