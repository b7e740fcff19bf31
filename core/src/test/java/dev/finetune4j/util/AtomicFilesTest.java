package dev.finetune4j.util;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.finetune4j.UserError;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AtomicFilesTest {
    @Test
    void aDiskFullMidWriteLeavesTheOldFileAndNoTemporaryFile(@TempDir Path dir) throws Exception {
        Path target = dir.resolve("metrics.json");
        Files.writeString(target, "{\"old\": true}");
        assertThatThrownBy(() -> AtomicFiles.write(target, ch -> {
            ch.write(ByteBuffer.wrap("{\"new\": ".getBytes()));
            throw new IOException("No space left on device"); // what the kernel's ENOSPC becomes
        })).isInstanceOf(IOException.class);
        assertThat(Files.readString(target)).isEqualTo("{\"old\": true}");
        try (Stream<Path> s = Files.list(dir)) {
            assertThat(s.toList()).containsExactly(target);
        }
        UserError e = AtomicFiles.writeFailed(target, new IOException("No space left on device"));
        assertThat(e.getMessage()).contains(target.toString()).contains("the disk is full")
                .contains("no half-written file was left behind");
    }

    @Test
    void aNewFileAppearsWholeOrNotAtAll(@TempDir Path dir) throws Exception {
        Path target = dir.resolve("fresh.bin");
        assertThatThrownBy(() -> AtomicFiles.write(target, ch -> {
            ch.write(ByteBuffer.allocate(1000));
            throw new IOException("No space left on device");
        })).isInstanceOf(IOException.class);
        assertThat(target).doesNotExist();
        try (Stream<Path> s = Files.list(dir)) {
            assertThat(s.toList()).isEmpty();
        }
        AtomicFiles.writeString(target, "done");
        assertThat(Files.readString(target)).isEqualTo("done");
    }
}
