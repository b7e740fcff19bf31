package dev.finetune4j.model.inception;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDManager;
import dev.finetune4j.TensorRuntime;
import dev.finetune4j.model.HostTensor;
import dev.finetune4j.model.ImageClassifier;
import dev.finetune4j.model.io.SafeTensors;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Inception V3 against torchvision. Its widths are fixed, so the random-init fixture (88 MB) is made
 * at test time by inception_fixture.py with Debian's python3-torchvision; without it the test is
 * skipped with a note, except under CI, where it must run.
 */
class InceptionV3ParityTest {
    static final String PYTHON = Files.isExecutable(Path.of("/usr/bin/python3")) ? "/usr/bin/python3" : "python3";

    @Test
    void logitsMatchTorchvisionInEvalMode(@TempDir Path tmp) throws Exception {
        Path script = Path.of(InceptionV3ParityTest.class.getResource("/dev/finetune4j/vision/inception_fixture.py").toURI());
        Process p = new ProcessBuilder(PYTHON, script.toString(), tmp.toString()).redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes());
        boolean made = p.waitFor(300, TimeUnit.SECONDS) && p.exitValue() == 0;
        if (!made) {
            String note = "python3 with torchvision not found (apt-get install python3-torchvision): " + output.strip()
                    .lines().reduce((a, b) -> b).orElse("");
            if (System.getenv("CI") != null) throw new AssertionError(note);
            Assumptions.abort(note);
        }
        Map<String, HostTensor> weights = SafeTensors.read(tmp.resolve("inception_v3.safetensors"));
        Map<String, HostTensor> io = SafeTensors.read(tmp.resolve("inception_v3-io.safetensors"));
        try (NDManager manager = TensorRuntime.newManager();
                ImageClassifier model = ImageClassifier.fromStateDict(manager, ps -> new InceptionV3(InceptionV3.Config.torchvision(), ps), "fc", 0.5f,
                        weights, List.of("a", "b", "c"), "fixture")) {
            dev.finetune4j.model.TorchvisionFixtures.assertSameLogits(model, weights, io, 1e-4);
            assertThat(model.body().blocks()).isEqualTo(11);
            assertThat(model.blockOf("Mixed_7c.branch_pool.conv.weight")).isEqualTo(10);
        }
    }
}
