package dev.finetune4j.vision;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.finetune4j.UserError;
import dev.finetune4j.data.CleanResult;
import dev.finetune4j.data.CleaningReport;
import dev.finetune4j.data.DropReason;
import dev.finetune4j.data.Example;
import dev.finetune4j.data.Format;
import dev.finetune4j.data.OnBadLine;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Reading labelled images and cleaning out the files that cannot be used, by path and reason. */
class ImageFilesTest {
    @Test
    void aFolderOfClassFoldersIsReadAndItsBadFilesAreReportedByPath(@TempDir Path dir) throws Exception {
        Path data = TinyImages.write(dir.resolve("photos"), 4, 1);
        Files.write(data.resolve("red/empty.png"), new byte[0]);
        Files.writeString(data.resolve("red/notes.txt"), "not an image");
        byte[] png = Files.readAllBytes(data.resolve("green/001.png"));
        Files.write(data.resolve("green/cut.png"), Arrays.copyOf(png, png.length / 2));
        Files.copy(data.resolve("blue/001.png"), data.resolve("blue/copy.png"));
        Files.writeString(data.resolve(".DS_Store"), "hidden: left out");
        Files.copy(data.resolve("blue/002.png"), data.resolve("loose.png")); // in no class folder

        CleanResult r = ImageFiles.read(data, Format.AUTO, "image", "label", OnBadLine.SKIP, true, "data.train");
        CleaningReport report = r.report();
        assertThat(report.rowsIn()).isEqualTo(12 + 5);
        assertThat(r.examples()).hasSize(12);
        assertThat(report.drops().get(DropReason.EMPTY_FILE).exampleNames()).containsExactly("red/empty.png");
        assertThat(report.drops().get(DropReason.NOT_AN_IMAGE).exampleNames()).containsExactly("red/notes.txt");
        assertThat(report.drops().get(DropReason.CORRUPT_IMAGE).exampleNames()).containsExactly("green/cut.png");
        assertThat(report.drops().get(DropReason.EXACT_DUPLICATE).exampleNames()).containsExactly("blue/copy.png");
        assertThat(report.drops().get(DropReason.MISSING_LABEL).exampleNames()).containsExactly("loose.png");
        assertThat(report.toText()).contains("red/empty.png").contains("image does not decode");
        @SuppressWarnings("unchecked")
        Map<String, Object> empty = (Map<String, Object>) ((Map<String, Object>) report.toMap().get("dropped")).get("empty_file");
        assertThat(empty).containsEntry("examples", List.of("red/empty.png"));
        assertThat(r.examples()).extracting(Example::label).containsOnly("red", "green", "blue");
        assertThat(Path.of(r.examples().get(0).text())).isAbsolute().exists();
    }

    @Test
    void aTableNamesImagesRelativeToItselfAndAMissingFileIsDropped(@TempDir Path dir) throws Exception {
        TinyImages.write(dir.resolve("img"), 2, 2);
        Files.writeString(dir.resolve("labels.csv"), "image,label\nimg/red/000.jpg,red\nimg/blue/001.png,blue\n"
                + "img/gone.png,blue\n,red\n");
        CleanResult r = ImageFiles.read(dir.resolve("labels.csv"), Format.AUTO, "image", "label", OnBadLine.SKIP, true,
                "data.train");
        assertThat(r.examples()).extracting(Example::line).containsExactly(2, 3);
        assertThat(r.examples().get(0).text()).isEqualTo(dir.resolve("img/red/000.jpg").toAbsolutePath().toString());
        assertThat(r.report().drops().get(DropReason.MISSING_FILE).exampleLines()).containsExactly(4);
        assertThat(r.report().drops().get(DropReason.MISSING_FILE).exampleNames()).containsExactly("img/gone.png");
        assertThat(r.report().count(DropReason.EMPTY_TEXT)).isEqualTo(1);
    }

    @Test
    void anEmptyFolderIsAUserErrorThatSaysWhatLayoutIsExpected(@TempDir Path dir) throws Exception {
        Files.createDirectories(dir.resolve("none"));
        assertThatThrownBy(() -> ImageFiles.read(dir.resolve("none"), Format.AUTO, "image", "label", OnBadLine.SKIP,
                true, "data.train")).isInstanceOf(UserError.class).hasMessageContaining("one sub-folder of images per class");
    }

    @Test
    void unlabelledInputsListAFolderOrATableAndNameTheProblemOfEachFile(@TempDir Path dir) throws Exception {
        Path data = TinyImages.write(dir.resolve("photos"), 1, 3);
        Files.write(data.resolve("red/empty.png"), new byte[0]);
        List<String> listed = ImageFiles.listed(data, "image", "--input");
        assertThat(listed).hasSize(4);
        assertThat(listed.stream().map(ImageFiles::problem).filter(p -> p != null).toList()).containsExactly("empty file");
        Files.writeString(dir.resolve("in.jsonl"), "{\"image\": \"photos/red/000.jpg\"}\n{\"other\": 1}\n");
        assertThatThrownBy(() -> ImageFiles.listed(dir.resolve("in.jsonl"), "image", "--input"))
                .isInstanceOf(UserError.class).hasMessageContaining("in.jsonl:2").hasMessageContaining("--image-column");
    }
}
