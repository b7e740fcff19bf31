package dev.finetune4j.recipe;

/** Where a key or value of the recipe came from: a line and column of the file, or an override. */
record Where(String source, int line, int column) {
    static Where file(String file) {
        return new Where(file, 0, 0);
    }

    static Where override(String text) {
        return new Where("--set " + text, 0, 0);
    }

    Problem problem(String message) {
        return new Problem(source, line, column, message);
    }
}
