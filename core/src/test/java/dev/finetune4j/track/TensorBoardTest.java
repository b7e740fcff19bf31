package dev.finetune4j.track;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.finetune4j.UserError;
import dev.finetune4j.track.TensorBoardEvents.Event;
import dev.finetune4j.track.TensorBoardWriter.Scalar;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;
import java.util.zip.CRC32;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TensorBoardTest {
    private static final HexFormat HEX = HexFormat.of();

    /** The start of a file TensorFlow wrote (tensorflow/tensorflow, tensorflow/python/summary/impl/event_file_loader_test.py). */
    private static final String TENSORFLOW_RECORD =
            "1800000000000000a37f4b22090000c025dd75d5411a0d627261696e2e4576656e743a31ecf3328d";

    /**
     * A whole file tensorboard_logger wrote for v/1 = 1.5 at step 1 and v/22 = 16.0 at step 2, wall time 256.5
     * (TeamHG-Memex/tensorboard_logger, tests/test_tensorboard_logger.py, test_serialization).
     */
    private static final List<String> TENSORBOARD_LOGGER_RECORDS = List.of(
            "1800000000000000a37f4b220900000000000870401a0d627261696e2e4576656e743a32bc98212b",
            "19000000000000008bf1082809000000000008704010012a0c0a0a0a03762f31150000c03f2cecc087",
            "1a00000000000000129bd82d09000000000008704010022a0d0a0b0a04762f323215000080418fa3b688");

    private static List<Scalar> series() {
        List<Scalar> scalars = new ArrayList<>();
        for (String tag : List.of("train/loss", "eval/accuracy", "train/learning_rate")) {
            for (int step = 0; step < 50; step++) {
                scalars.add(new Scalar(tag, step * 10L, 1_700_000_000.25 + step, (float) (tag.length() / (step + 1.5))));
            }
        }
        return scalars;
    }

    @Test
    void everyTagStepAndValueComesBackAndTheFileStartsWithItsVersion(@TempDir Path dir) {
        List<Scalar> written = series();
        Path file = TensorBoardWriter.write(dir.resolve("run-1"), written);

        assertThat(file.getFileName().toString())
                .matches("events\\.out\\.tfevents\\.\\d+\\..+\\." + ProcessHandle.current().pid() + "\\.ft4j");
        List<Event> events = TensorBoardEvents.read(file);
        assertThat(events.get(0).fileVersion()).isEqualTo("brain.Event:2");
        assertThat(events.get(0).wallTime()).isEqualTo(1_700_000_000.25);
        assertThat(events.get(0).values()).isEmpty();
        assertThat(events).hasSize(1 + 50); // three tags share each step's event
        List<Scalar> read = events.stream().flatMap(e -> e.scalars().stream()).toList();
        assertThat(read).containsExactlyInAnyOrderElementsOf(written);
        assertThat(read.stream().mapToLong(Scalar::step).toArray()).isSorted();
        // the scalars plugin is named on each tag's first value only, as TensorFlow's writer does
        assertThat(events.get(1).values()).allSatisfy(v -> assertThat(v.pluginName()).isEqualTo("scalars"));
        assertThat(events.get(2).values()).allSatisfy(v -> assertThat(v.pluginName()).isEmpty());
    }

    @Test
    void crc32cAndItsMaskMatchTheStandardVectorAndRealEventFiles() {
        byte[] check = "123456789".getBytes(StandardCharsets.US_ASCII);
        CRC32C crc32c = new CRC32C();
        crc32c.update(check);
        assertThat(crc32c.getValue()).isEqualTo(0xE3069283L); // CRC-32C check value (RFC 3720)
        CRC32 crc32 = new CRC32();
        crc32.update(check);
        assertThat(crc32.getValue()).isEqualTo(0xCBF43926L).isNotEqualTo(crc32c.getValue());

        // Every event file starts with a 24-byte record; TensorFlow, TensorBoard and tensorboard_logger all
        // store a3 7f 4b 22 (0x224b7fa3 little-endian) as the checksum of its length.
        byte[] length24 = HEX.parseHex("1800000000000000");
        assertThat(maskedCrc32cComputedHere(length24)).isEqualTo(0x224b7fa3);
        assertThat(TensorBoardWriter.maskedCrc32c(length24, 0, 8)).isEqualTo(0x224b7fa3);
    }

    @Test
    void recordFramingIsByteForByteWhatAnotherWriterProduces() {
        for (String hex : TENSORBOARD_LOGGER_RECORDS) {
            byte[] record = HEX.parseHex(hex);
            byte[] data = Arrays.copyOfRange(record, 12, record.length - 4);
            assertThat(HEX.formatHex(TensorBoardWriter.record(data))).isEqualTo(hex);
        }
    }

    @Test
    void theFirstRecordsFramingChecksOutWithoutTheReader(@TempDir Path dir) throws Exception {
        byte[] bytes = Files.readAllBytes(TensorBoardWriter.write(dir, series()));
        ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        long length = b.getLong(0);
        assertThat(b.getInt(8)).isEqualTo(maskedCrc32cComputedHere(Arrays.copyOfRange(bytes, 0, 8)));
        byte[] data = Arrays.copyOfRange(bytes, 12, 12 + (int) length);
        assertThat(b.getInt(12 + (int) length)).isEqualTo(maskedCrc32cComputedHere(data));
        // wall_time (field 1, fixed64), then file_version (field 3, 13 bytes)
        assertThat(data[0]).isEqualTo((byte) 0x09);
        assertThat(ByteBuffer.wrap(data, 1, 8).order(ByteOrder.LITTLE_ENDIAN).getDouble()).isEqualTo(1_700_000_000.25);
        assertThat(Arrays.copyOfRange(data, 9, data.length))
                .isEqualTo(HEX.parseHex("1a0d" + HEX.formatHex("brain.Event:2".getBytes(StandardCharsets.US_ASCII))));
        assertThat(length).isEqualTo(24);
    }

    @Test
    void readsEventFilesThatTensorFlowAndTensorboardLoggerWrote(@TempDir Path dir) throws Exception {
        Path tf = Files.write(dir.resolve("events.out.tfevents.tf"), HEX.parseHex(TENSORFLOW_RECORD));
        List<Event> tfEvents = TensorBoardEvents.read(tf);
        assertThat(tfEvents).hasSize(1);
        assertThat(tfEvents.get(0).wallTime()).isEqualTo(1440183447.0); // what TensorFlow's own test expects
        assertThat(tfEvents.get(0).fileVersion()).isEqualTo("brain.Event:1");

        Path logger = Files.write(dir.resolve("events.out.tfevents.logger"),
                HEX.parseHex(String.join("", TENSORBOARD_LOGGER_RECORDS)));
        List<Scalar> scalars = TensorBoardEvents.read(logger).stream().flatMap(e -> e.scalars().stream()).toList();
        assertThat(scalars).containsExactly(new Scalar("v/1", 1, 256.5, 1.5f), new Scalar("v/22", 2, 256.5, 16.0f));
    }

    @Test
    void fieldsTheReaderDoesNotKnowAreSkippedByWireType(@TempDir Path dir) throws Exception {
        TensorBoardWriter.Proto value = new TensorBoardWriter.Proto()
                .varint(7, 5).string(1, "loss").fixed64(30, 2.0).fixed32(2, 0.5f)
                .message(8, new TensorBoardWriter.Proto().varint(1, 1)); // a tensor: not a simple_value
        TensorBoardWriter.Proto event = new TensorBoardWriter.Proto()
                .bytes(4, new byte[] {1, 2, 3}) // graph_def
                .fixed64(1, 12.5)
                .key(100, TensorBoardWriter.START_GROUP).varint(1, 300).fixed32(2, 1f)
                .key(100, TensorBoardWriter.END_GROUP)
                .fixed32(101, 3f)
                .varint(2, 7)
                .message(5, new TensorBoardWriter.Proto().message(1, value).varint(9, -1));
        Path file = Files.write(dir.resolve("events.out.tfevents.x"), TensorBoardWriter.record(event.bytes()));

        List<Event> events = TensorBoardEvents.read(file);
        assertThat(events).hasSize(1);
        assertThat(events.get(0).scalars()).containsExactly(new Scalar("loss", 7, 12.5, 0.5f));
    }

    @Test
    void aDamagedRecordIsNamedWithItsIndexAndOffset(@TempDir Path dir) throws Exception {
        Path file = TensorBoardWriter.write(dir, series());
        byte[] bytes = Files.readAllBytes(file);
        long record2 = recordOffset(bytes, 2);
        byte[] dataFlipped = bytes.clone();
        dataFlipped[(int) record2 + 12 + 5] ^= 0x01;
        Files.write(file, dataFlipped);
        assertThatThrownBy(() -> TensorBoardEvents.read(file)).isInstanceOf(UserError.class)
                .hasMessageContaining(file.toString())
                .hasMessageContaining("record 2 at byte " + record2)
                .hasMessageContaining("data checksum");

        byte[] lengthFlipped = bytes.clone();
        lengthFlipped[(int) record2] ^= 0x01;
        Files.write(file, lengthFlipped);
        assertThatThrownBy(() -> TensorBoardEvents.read(file)).isInstanceOf(UserError.class)
                .hasMessageContaining("record 2 at byte " + record2)
                .hasMessageContaining("length checksum");

        Files.write(file, bytes);
        assertThat(TensorBoardEvents.read(file)).hasSize(51);
    }

    @Test
    void aTruncatedFileIsReportedAsTruncated(@TempDir Path dir) throws Exception {
        Path file = TensorBoardWriter.write(dir, series());
        byte[] bytes = Files.readAllBytes(file);
        long last = recordOffset(bytes, 50);
        Files.write(file, Arrays.copyOf(bytes, bytes.length - 7)); // cut inside the last record's data
        assertThatThrownBy(() -> TensorBoardEvents.read(file)).isInstanceOf(UserError.class)
                .hasMessageContaining(file.toString())
                .hasMessageContaining("truncated")
                .hasMessageContaining("record 50 at byte " + last);

        Files.write(file, Arrays.copyOf(bytes, (int) last + 5)); // cut inside the last record's header
        assertThatThrownBy(() -> TensorBoardEvents.read(file)).hasMessageContaining("truncated")
                .hasMessageContaining("record 50 at byte " + last);
    }

    @Test
    void theDirectoryHoldsOnlyTheEventFileAfterAWrite(@TempDir Path dir) throws Exception {
        Path file = TensorBoardWriter.write(dir, series());
        try (Stream<Path> files = Files.list(dir)) {
            assertThat(files.toList()).containsExactly(file);
        }
    }

    @Test
    void aDirectoryThatCannotBeMadeIsAUserErrorNamingTheFile(@TempDir Path dir) throws Exception {
        Path notADirectory = Files.writeString(dir.resolve("taken"), "a file");
        assertThatThrownBy(() -> TensorBoardWriter.write(notADirectory, series())).isInstanceOf(UserError.class)
                .hasMessageContaining(notADirectory.toString());
    }

    @Test
    void anEmptySeriesStillMakesAReadableFile(@TempDir Path dir) {
        List<Event> events = TensorBoardEvents.read(TensorBoardWriter.write(dir, List.of()));
        assertThat(events).hasSize(1);
        assertThat(events.get(0).fileVersion()).isEqualTo("brain.Event:2");
        assertThat(events.get(0).wallTime()).isPositive();
    }

    /** The TFRecord mask, written out here rather than taken from the code under test. */
    private static int maskedCrc32cComputedHere(byte[] bytes) {
        CRC32C crc = new CRC32C();
        crc.update(bytes);
        long c = crc.getValue();
        long rotated = ((c >>> 15) | (c << 17)) & 0xFFFFFFFFL;
        return (int) ((rotated + 0xa282ead8L) & 0xFFFFFFFFL);
    }

    /** Where record {@code index} starts, found by walking the length fields. */
    private static long recordOffset(byte[] bytes, int index) {
        ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        long offset = 0;
        for (int i = 0; i < index; i++) offset += 12 + b.getLong((int) offset) + 4;
        return offset;
    }
}
