package dev.finetune4j.serve;

import com.fasterxml.jackson.databind.JsonNode;
import dev.finetune4j.vision.DecodedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;
import javax.imageio.stream.MemoryCacheImageInputStream;

/**
 * The images of a predict request for an image model, read on the request thread: a JSON body's
 * {@code "images"} (standard base64, a {@code data:image/...;base64,} prefix allowed), or one image
 * as the whole body. Each image's size is read from its header before its pixels are decoded, so
 * that a small file claiming a huge image (a decompression bomb) is refused without allocating it.
 */
final class ImageRequests {
    private ImageRequests() {}

    /** Content types of a body that is one image file. */
    static final Set<String> RAW_TYPES = Set.of("image/png", "image/jpeg", "image/bmp", "image/gif");

    static final String SHAPE = "send {\"images\": [\"<base64 of a PNG / JPEG / BMP / GIF file>\", ...]}, or one image"
            + " as the body with -H 'Content-Type: image/png' (or image/jpeg, image/bmp, image/gif)";

    /**
     * What decoding one pixel may take at its peak: ImageIO's raster (3 or 4 bytes), {@link DecodedImage}'s
     * packed ints (4) and, for a JPEG turned by its EXIF orientation, their upright copy (4).
     */
    static final long BYTES_PER_PIXEL = 12;

    /** One image's bytes as the request gave them; {@code name} says where in it ({@code images[2]}, {@code the body}). */
    record Encoded(String name, byte[] bytes) {}

    /** The {@code "images"} of a JSON body (an object), or the 4xx that says what is wrong with them. */
    static List<Encoded> fromJson(JsonNode root, int maxImages) {
        JsonNode images = root.get("images");
        if (images == null) {
            if (root.has("texts")) throw new ApiError(400, "this model takes images, not texts — " + SHAPE);
            throw new ApiError(400, "missing \"images\" — " + SHAPE);
        }
        if (!images.isArray()) {
            throw new ApiError(400, "\"images\" must be an array of base64 strings, got "
                    + PredictionServer.kind(images) + " — " + SHAPE);
        }
        if (images.isEmpty()) throw new ApiError(400, "\"images\" is empty — send at least one image");
        if (images.size() > maxImages) {
            throw new ApiError(413, images.size() + " images in one request; the limit is " + maxImages
                    + " (--max-images) — split them over several requests");
        }
        List<Encoded> out = new ArrayList<>(images.size());
        for (int i = 0; i < images.size(); i++) {
            JsonNode n = images.get(i);
            String name = "images[" + i + "]";
            if (!n.isTextual()) {
                throw new ApiError(400, name + " is " + PredictionServer.kind(n)
                        + ", not a string (the image file's bytes in base64)");
            }
            out.add(new Encoded(name, base64(n.textValue(), name)));
        }
        return out;
    }

    /** Standard base64 (RFC 4648 section 4; whitespace from line-wrapping encoders ignored), after an optional data URL prefix. */
    static byte[] base64(String s, String name) {
        String data = s;
        if (data.regionMatches(true, 0, "data:", 0, 5)) {
            int comma = data.indexOf(',');
            if (comma < 0 || !data.substring(0, comma).toLowerCase(Locale.ROOT).endsWith(";base64")) {
                throw new ApiError(422, name + ": a data URL must be base64-encoded (data:image/png;base64,...)");
            }
            data = data.substring(comma + 1);
        }
        if (data.chars().anyMatch(c -> c == ' ' || c == '\n' || c == '\r' || c == '\t')) {
            data = data.replaceAll("[ \n\r\t]", "");
        }
        try {
            return Base64.getDecoder().decode(data);
        } catch (IllegalArgumentException e) {
            throw new ApiError(422, name + ": not valid base64 (" + e.getMessage() + ") — send the image file's bytes"
                    + " in standard base64 (A-Z a-z 0-9 + /, '=' padding), optionally after a data:image/png;base64, prefix");
        }
    }

    /** {width, height} from the file's header, without decoding its pixels; null when no ImageIO reader can tell. */
    static long[] headerSize(byte[] bytes) {
        try (ImageInputStream in = new MemoryCacheImageInputStream(new ByteArrayInputStream(bytes))) {
            Iterator<ImageReader> readers = ImageIO.getImageReaders(in);
            if (!readers.hasNext()) return null;
            ImageReader reader = readers.next();
            try {
                reader.setInput(in, true, true);
                return new long[] {reader.getWidth(0), reader.getHeight(0)};
            } finally {
                reader.dispose();
            }
        } catch (IOException | RuntimeException e) { // a damaged header: decoding says why
            return null;
        }
    }

    /** The 422 for an image of {@code width x height} over {@code maxPixels}, or nothing. */
    static void checkPixels(String name, long width, long height, long maxPixels, Object imageSize) {
        long pixels = width * height;
        if (pixels > maxPixels) {
            throw new ApiError(422, String.format(Locale.ROOT, "%s is %dx%d = %,d pixels; the limit is %,d"
                    + " (--max-image-pixels) — downscale it%s", name, width, height, pixels, maxPixels,
                    imageSize == null ? "" : " (the model sees it at " + imageSize + "x" + imageSize + " anyway)"));
        }
    }

    /** The image, or the 422 that says why it does not decode. */
    static DecodedImage decode(Encoded e) {
        DecodedImage.Result r = DecodedImage.decode(e.bytes());
        if (r.ok()) return r.image();
        String detail = r.detail() == null ? "" : ": " + r.detail();
        throw new ApiError(422, e.name() + ": " + switch (r.failure()) {
            case EMPTY -> "empty (0 bytes) — send the image file's bytes";
            case NOT_AN_IMAGE -> r.failure().description() + detail + " — convert it to one of those";
            case CORRUPT -> r.failure().description() + detail + " — send the whole file";
        });
    }
}
