package dev.finetune4j.train;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.finetune4j.UserError;
import dev.finetune4j.model.HostTensor;
import dev.finetune4j.model.io.SafeTensors;
import dev.finetune4j.util.AtomicFiles;
import dev.finetune4j.util.FaultPoints;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import java.util.zip.CRC32;

/**
 * A run's checkpoints: {@code <dir>/step-<N>/} each holding {@code weights.safetensors},
 * {@code optimizer.safetensors}, {@code best.safetensors} (when early stopping has a best) and
 * {@code state.json} with the trainer's state and the size and CRC-32 of every other file.
 *
 * <p>A checkpoint is staged in a hidden directory and renamed into place once every file is on
 * disk, so a crash leaves the previous checkpoints intact; a checkpoint whose files do not match
 * its manifest (truncated, corrupted) is reported and skipped on resume.
 *
 * @param fingerprint what the run was made from (recipe, model, data); resuming a different run
 *     is refused
 */
public record Checkpoints(Path dir, Integer everySteps, int keep, String fingerprint, PrintStream log) {
    static final ObjectMapper JSON = new ObjectMapper()
            .configure(com.fasterxml.jackson.databind.DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);
    static final String STATE = "state.json", WEIGHTS = "weights.safetensors", OPTIMIZER = "optimizer.safetensors",
            BEST = "best.safetensors";

    public Checkpoints {
        if (keep < 1) throw new IllegalArgumentException("keep must be >= 1");
        if (everySteps != null && everySteps < 1) throw new IllegalArgumentException("everySteps must be >= 1");
    }

    /** What a checkpoint restores. */
    public record Loaded(Path path, TrainerState state, Map<String, HostTensor> weights,
            Map<String, HostTensor> moments, Map<String, HostTensor> best) {}

    void save(TrainerState state, Map<String, HostTensor> weights, Map<String, HostTensor> moments,
            Map<String, HostTensor> best) {
        Path target = dir.resolve(String.format("step-%09d", state.step()));
        Path staging = null;
        try {
            Files.createDirectories(dir);
            staging = Files.createTempDirectory(dir, ".staging-");
            SafeTensors.write(staging.resolve(WEIGHTS), weights, Map.of());
            SafeTensors.write(staging.resolve(OPTIMIZER), moments, Map.of());
            if (best != null) SafeTensors.write(staging.resolve(BEST), best, Map.of());
            FaultPoints.reached(FaultPoints.CHECKPOINT_WRITE);
            Map<String, Object> manifest = new LinkedHashMap<>();
            try (Stream<Path> files = Files.list(staging)) {
                for (Path f : files.sorted().toList()) manifest.put(f.getFileName().toString(), fileCheck(f));
            }
            Map<String, Object> doc = new LinkedHashMap<>();
            doc.put("fingerprint", fingerprint);
            doc.put("files", manifest);
            doc.put("state", state);
            AtomicFiles.writeBytes(staging.resolve(STATE), JSON.writeValueAsBytes(doc));
            if (Files.exists(target)) AtomicFiles.deleteRecursively(target);
            Files.move(staging, target, StandardCopyOption.ATOMIC_MOVE);
            staging = null;
            AtomicFiles.fsyncDirectory(dir);
            prune();
        } catch (IOException e) {
            throw AtomicFiles.writeFailed(target, e);
        } finally {
            if (staging != null) AtomicFiles.deleteRecursively(staging);
        }
    }

    /** Keeps the newest {@link #keep} checkpoints; removes older ones and staging left by a crash. */
    private void prune() throws IOException {
        List<Path> all = list();
        for (int i = keep; i < all.size(); i++) AtomicFiles.deleteRecursively(all.get(i));
        try (Stream<Path> s = Files.list(dir)) {
            for (Path p : s.filter(p -> p.getFileName().toString().startsWith(".staging-")).toList()) {
                AtomicFiles.deleteRecursively(p);
            }
        }
    }

    /** Checkpoint directories, newest first. */
    public List<Path> list() {
        if (!Files.isDirectory(dir)) return List.of();
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> p.getFileName().toString().matches("step-\\d+") && Files.isDirectory(p))
                    .sorted(Comparator.comparing((Path p) -> p.getFileName().toString()).reversed()).toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * The newest checkpoint whose files match its manifest; broken ones are reported on the log
     * and skipped. A valid checkpoint of a different run is a user error.
     */
    public Optional<Loaded> latest() {
        for (Path p : list()) {
            String problem = verify(p);
            if (problem != null) {
                log.printf("checkpoint %s is unusable (%s); trying an older one%n", p, problem);
                continue;
            }
            try {
                Map<?, ?> doc = JSON.readValue(p.resolve(STATE).toFile(), Map.class);
                if (!fingerprint.equals(doc.get("fingerprint"))) {
                    throw new UserError("the checkpoint " + p + " was written by a different run (recipe, model or"
                            + " data changed); resume with the same recipe and data, or train into a new --output");
                }
                TrainerState state = JSON.convertValue(doc.get("state"), TrainerState.class);
                Path best = p.resolve(BEST);
                return Optional.of(new Loaded(p, state, SafeTensors.read(p.resolve(WEIGHTS)),
                        SafeTensors.read(p.resolve(OPTIMIZER)), Files.exists(best) ? SafeTensors.read(best) : null));
            } catch (IOException | RuntimeException e) {
                if (e instanceof UserError u) throw u;
                log.printf("checkpoint %s is unusable (%s); trying an older one%n", p, e.getMessage());
            }
        }
        return Optional.empty();
    }

    /** null when every file listed in {@code state.json} has its recorded size and CRC-32; else what is wrong. */
    static String verify(Path checkpoint) {
        Path state = checkpoint.resolve(STATE);
        if (!Files.isRegularFile(state)) return "no " + STATE;
        try {
            Map<?, ?> doc = JSON.readValue(state.toFile(), Map.class);
            Map<?, ?> files = (Map<?, ?>) doc.get("files");
            if (files == null || !files.containsKey(WEIGHTS) || !files.containsKey(OPTIMIZER)) {
                return STATE + " lists no weights";
            }
            for (Map.Entry<?, ?> e : files.entrySet()) {
                Path f = checkpoint.resolve((String) e.getKey());
                if (!Files.isRegularFile(f)) return e.getKey() + " is missing";
                if (!fileCheck(f).equals(e.getValue())) return e.getKey() + " does not match its size and CRC-32";
            }
            return null;
        } catch (IOException | RuntimeException e) {
            return STATE + " is unreadable: " + e.getMessage();
        }
    }

    /** "{@code <bytes> bytes, crc32 <hex>}" */
    private static String fileCheck(Path f) throws IOException {
        CRC32 crc = new CRC32();
        long size = 0;
        try (InputStream in = Files.newInputStream(f)) {
            byte[] buf = new byte[1 << 20];
            for (int n; (n = in.read(buf)) > 0; ) {
                crc.update(buf, 0, n);
                size += n;
            }
        }
        return size + " bytes, crc32 " + Long.toHexString(crc.getValue());
    }

    /** Removes every checkpoint (after a run has finished and exported its model). */
    public void deleteAll() {
        AtomicFiles.deleteRecursively(dir);
    }
}
