package dev.finetune4j.vision;

import static org.assertj.core.api.Assertions.assertThat;

import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Arrays;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;

class DecodedImageTest {
    static byte[] encode(BufferedImage image, String format) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        assertThat(ImageIO.write(image, format, out)).as("a %s writer", format).isTrue();
        return out.toByteArray();
    }

    @Test
    void everyFormatDecodesToRgbAndGrayAndAlphaBecomeRgb() throws IOException {
        BufferedImage gray = new BufferedImage(4, 3, BufferedImage.TYPE_BYTE_GRAY);
        gray.getRaster().setSample(1, 2, 0, 200);
        DecodedImage g = DecodedImage.decode(encode(gray, "png")).image();
        assertThat(g.width()).isEqualTo(4);
        assertThat(g.height()).isEqualTo(3);
        assertThat(g.pixel(1, 2)).isEqualTo(0xC8C8C8);

        BufferedImage rgba = new BufferedImage(2, 2, BufferedImage.TYPE_INT_ARGB);
        rgba.setRGB(0, 0, 0x80FF0000); // half-transparent red: PIL's convert("RGB") keeps the red
        assertThat(DecodedImage.decode(encode(rgba, "png")).image().pixel(0, 0)).isEqualTo(0xFF0000);

        BufferedImage rgb = new BufferedImage(3, 2, BufferedImage.TYPE_INT_RGB);
        rgb.setRGB(2, 1, 0x12AB34);
        for (String format : new String[] {"bmp", "gif"}) {
            DecodedImage d = DecodedImage.decode(encode(rgb, format)).image();
            assertThat(d.width()).as(format).isEqualTo(3);
            if (format.equals("bmp")) assertThat(d.pixel(2, 1)).isEqualTo(0x12AB34);
        }
        assertThat(DecodedImage.decode(encode(rgb, "jpg")).ok()).isTrue();
    }

    @Test
    void badFilesSayWhy() throws IOException {
        assertThat(DecodedImage.decode(new byte[0]).failure()).isEqualTo(DecodedImage.Failure.EMPTY);
        assertThat(DecodedImage.decode("hello, not an image".getBytes()).failure())
                .isEqualTo(DecodedImage.Failure.NOT_AN_IMAGE);
        byte[] png = encode(new BufferedImage(64, 64, BufferedImage.TYPE_INT_RGB), "png");
        DecodedImage.Result truncated = DecodedImage.decode(Arrays.copyOf(png, png.length / 2));
        assertThat(truncated.ok()).isFalse();
        assertThat(truncated.failure()).isIn(DecodedImage.Failure.CORRUPT, DecodedImage.Failure.NOT_AN_IMAGE);
    }

    @Test
    void exifOrientationsTurnTheImageAsPilsExifTransposeDoes() {
        // stored, 2 wide and 3 tall:  a b / c d / e f
        int a = 1, b = 2, c = 3, d = 4, e = 5, f = 6;
        DecodedImage stored = new DecodedImage(2, 3, new int[] {a, b, c, d, e, f});
        assertThat(stored.upright(1).rgb()).containsExactly(a, b, c, d, e, f);
        assertThat(stored.upright(2).rgb()).containsExactly(b, a, d, c, f, e);
        assertThat(stored.upright(3).rgb()).containsExactly(f, e, d, c, b, a);
        assertThat(stored.upright(4).rgb()).containsExactly(e, f, c, d, a, b);
        DecodedImage turned = stored.upright(6); // 90 degrees clockwise: 3 wide, 2 tall
        assertThat(turned.width()).isEqualTo(3);
        assertThat(turned.rgb()).containsExactly(e, c, a, f, d, b);
        assertThat(stored.upright(8).rgb()).containsExactly(b, d, f, a, c, e);
        assertThat(stored.upright(5).rgb()).containsExactly(a, c, e, b, d, f);
        assertThat(stored.upright(7).rgb()).containsExactly(f, d, b, e, c, a);
    }

    @Test
    void aJpegsExifOrientationIsApplied() throws IOException {
        // left half red, right half blue, 16 wide and 24 tall, tagged "turn 90 degrees clockwise"
        BufferedImage image = new BufferedImage(16, 24, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = image.createGraphics();
        g.setColor(Color.RED);
        g.fillRect(0, 0, 8, 24);
        g.setColor(Color.BLUE);
        g.fillRect(8, 0, 8, 24);
        byte[] jpeg = withOrientation(encode(image, "jpg"), 6);
        assertThat(DecodedImage.orientation(jpeg)).contains(6);
        DecodedImage upright = DecodedImage.decode(jpeg).image();
        assertThat(upright.width()).isEqualTo(24);
        assertThat(upright.height()).isEqualTo(16);
        assertThat(red(upright.pixel(12, 2))).as("the left half is now on top").isGreaterThan(200);
        assertThat(blue(upright.pixel(12, 13))).isGreaterThan(200);
    }

    private static int red(int rgb) {
        return (rgb >> 16) & 0xFF;
    }

    private static int blue(int rgb) {
        return rgb & 0xFF;
    }

    /** The JPEG with an EXIF APP1 segment after its start marker holding just the orientation tag. */
    static byte[] withOrientation(byte[] jpeg, int orientation) {
        byte[] app1 = {(byte) 0xFF, (byte) 0xE1, 0, 34, 'E', 'x', 'i', 'f', 0, 0, // marker, length 34, "Exif\0\0"
                'M', 'M', 0, 42, 0, 0, 0, 8, // big-endian TIFF header, IFD0 at offset 8
                0, 1, // one entry
                0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, (byte) orientation, 0, 0, // Orientation, SHORT, 1 value
                0, 0, 0, 0}; // no next IFD
        byte[] out = new byte[jpeg.length + app1.length];
        System.arraycopy(jpeg, 0, out, 0, 2);
        System.arraycopy(app1, 0, out, 2, app1.length);
        System.arraycopy(jpeg, 2, out, 2 + app1.length, jpeg.length - 2);
        return out;
    }
}
