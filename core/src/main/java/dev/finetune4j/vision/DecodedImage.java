package dev.finetune4j.vision;

import com.drew.imaging.ImageMetadataReader;
import com.drew.imaging.ImageProcessingException;
import com.drew.metadata.Metadata;
import com.drew.metadata.MetadataException;
import com.drew.metadata.exif.ExifIFD0Directory;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.Optional;
import javax.imageio.ImageIO;

/**
 * An image file decoded to 8-bit RGB, upright: PNG, JPEG, BMP and GIF (the first frame) through
 * {@link ImageIO}; grayscale, palette and alpha images become RGB as PIL's {@code convert("RGB")}
 * makes them (the colour kept, the alpha dropped); a JPEG's EXIF orientation is applied, as the
 * camera meant it to be seen.
 *
 * @param rgb packed {@code 0xRRGGBB} pixels, row-major
 */
public record DecodedImage(int width, int height, int[] rgb) {

    /** Why a file did not decode: what cleaning reports it under. */
    public enum Failure {
        EMPTY("empty file"),
        NOT_AN_IMAGE("not a PNG, JPEG, BMP or GIF"),
        CORRUPT("does not decode (truncated or damaged)");

        private final String description;

        Failure(String description) {
            this.description = description;
        }

        public String description() {
            return description;
        }
    }

    /** What decoding a file gave: the image, or why there is none. */
    public record Result(DecodedImage image, Failure failure, String detail) {
        public boolean ok() {
            return image != null;
        }
    }

    public static Result decode(byte[] bytes) {
        if (bytes.length == 0) return new Result(null, Failure.EMPTY, null);
        if (!looksLikeImage(bytes)) return new Result(null, Failure.NOT_AN_IMAGE, null);
        BufferedImage image;
        try {
            image = ImageIO.read(new ByteArrayInputStream(bytes));
        } catch (IOException | RuntimeException e) {
            return new Result(null, Failure.CORRUPT, e.getMessage());
        }
        if (image == null) return new Result(null, Failure.NOT_AN_IMAGE, "no reader for this kind of file");
        int w = image.getWidth();
        int h = image.getHeight();
        int[] rgb;
        if (image.getColorModel().getColorSpace().getType() == java.awt.color.ColorSpace.TYPE_GRAY) {
            // getRGB would map gray through a linear colour space (200 -> 229); PIL repeats the value
            java.awt.image.Raster raster = image.getRaster();
            int shift = Math.max(0, image.getColorModel().getComponentSize(0) - 8);
            rgb = new int[w * h];
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) rgb[y * w + x] = (raster.getSample(x, y, 0) >> shift) * 0x010101;
            }
        } else {
            rgb = image.getRGB(0, 0, w, h, null, 0, w);
            for (int i = 0; i < rgb.length; i++) rgb[i] &= 0xFFFFFF; // the colour kept, the alpha dropped
        }
        DecodedImage stored = new DecodedImage(w, h, rgb);
        return new Result(stored.upright(orientation(bytes).orElse(1)), null, null);
    }

    /** PNG, JPEG, BMP and GIF by their first bytes. */
    static boolean looksLikeImage(byte[] b) {
        return startsWith(b, 0x89, 'P', 'N', 'G') || startsWith(b, 0xFF, 0xD8, 0xFF) || startsWith(b, 'B', 'M')
                || startsWith(b, 'G', 'I', 'F', '8');
    }

    private static boolean startsWith(byte[] b, int... prefix) {
        if (b.length < prefix.length) return false;
        for (int i = 0; i < prefix.length; i++) if ((b[i] & 0xFF) != prefix[i]) return false;
        return true;
    }

    /** The EXIF orientation (1 to 8) of a JPEG, when it has one. */
    static Optional<Integer> orientation(byte[] bytes) {
        if (!startsWith(bytes, 0xFF, 0xD8, 0xFF)) return Optional.empty();
        try {
            Metadata metadata = ImageMetadataReader.readMetadata(new ByteArrayInputStream(bytes), bytes.length);
            ExifIFD0Directory exif = metadata.getFirstDirectoryOfType(ExifIFD0Directory.class);
            if (exif == null || !exif.containsTag(ExifIFD0Directory.TAG_ORIENTATION)) return Optional.empty();
            return Optional.of(exif.getInt(ExifIFD0Directory.TAG_ORIENTATION));
        } catch (ImageProcessingException | IOException | MetadataException e) {
            return Optional.empty(); // unreadable metadata: the pixels as stored
        }
    }

    /**
     * This image as EXIF orientation {@code o} says to show it (as PIL's {@code exif_transpose}): 1
     * as stored, 2 mirrored, 3 turned 180 degrees, 4 flipped, 5 transposed, 6 turned 90 degrees
     * clockwise, 7 transversed, 8 turned 90 degrees counter-clockwise.
     */
    public DecodedImage upright(int o) {
        if (o <= 1 || o > 8) return this;
        boolean swap = o >= 5;
        int ow = swap ? height : width;
        int oh = swap ? width : height;
        int[] out = new int[rgb.length];
        for (int y = 0; y < oh; y++) {
            for (int x = 0; x < ow; x++) {
                int sx, sy;
                switch (o) {
                    case 2 -> { sx = width - 1 - x; sy = y; }
                    case 3 -> { sx = width - 1 - x; sy = height - 1 - y; }
                    case 4 -> { sx = x; sy = height - 1 - y; }
                    case 5 -> { sx = y; sy = x; }
                    case 6 -> { sx = y; sy = height - 1 - x; }
                    case 7 -> { sx = width - 1 - y; sy = height - 1 - x; }
                    default -> { sx = width - 1 - y; sy = x; } // 8
                }
                out[y * ow + x] = rgb[sy * width + sx];
            }
        }
        return new DecodedImage(ow, oh, out);
    }

    public int pixel(int x, int y) {
        return rgb[y * width + x];
    }
}
