package dev.finetune4j.track;

import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Path;
import javax.imageio.ImageIO;

/** Small PNG copies of image files, for reports that carry their images inline. */
final class Thumbnails {
    private Thumbnails() {}

    /** The image at {@code file} scaled to fit {@code side} x {@code side} (never enlarged past 4x), or null when it does not read. */
    static byte[] png(Path file, int side) {
        try {
            BufferedImage in = ImageIO.read(file.toFile());
            if (in == null) return null;
            double scale = Math.min(4.0, Math.min(side / (double) in.getWidth(), side / (double) in.getHeight()));
            int w = Math.max(1, (int) Math.round(in.getWidth() * scale)), h = Math.max(1, (int) Math.round(in.getHeight() * scale));
            BufferedImage out = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
            Graphics2D g = out.createGraphics();
            g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, scale > 1 ? RenderingHints.VALUE_INTERPOLATION_NEAREST_NEIGHBOR
                    : RenderingHints.VALUE_INTERPOLATION_BILINEAR);
            g.drawImage(in, 0, 0, w, h, null);
            g.dispose();
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            ImageIO.write(out, "png", bytes);
            return bytes.toByteArray();
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }
}
