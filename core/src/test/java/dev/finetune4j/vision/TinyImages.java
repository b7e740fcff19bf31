package dev.finetune4j.vision;

import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import javax.imageio.ImageIO;

/** Test fixture: class folders of small generated images (a coloured disc per class on a grey field of varying size). */
public final class TinyImages {
    static final Color[] COLOURS = {new Color(200, 30, 30), new Color(30, 180, 40), new Color(30, 40, 200)};
    static final String[] NAMES = {"red", "green", "blue"};

    private TinyImages() {}

    /** Writes {@code perClass} PNG (every third a JPEG) images per class under {@code root/<class>/}. */
    public static Path write(Path root, int perClass, long seed) throws IOException {
        Random r = new Random(seed);
        for (int c = 0; c < COLOURS.length; c++) {
            Files.createDirectories(root.resolve(NAMES[c]));
            for (int i = 0; i < perClass; i++) {
                BufferedImage im = new BufferedImage(30 + r.nextInt(20), 28 + r.nextInt(8), BufferedImage.TYPE_INT_RGB);
                Graphics2D g = im.createGraphics();
                int v = r.nextInt(80);
                g.setColor(new Color(v, v, v));
                g.fillRect(0, 0, im.getWidth(), im.getHeight());
                g.setColor(COLOURS[c]);
                g.fillOval(r.nextInt(10), r.nextInt(8), 18, 18);
                g.dispose();
                String kind = i % 3 == 0 ? "jpg" : "png";
                ImageIO.write(im, kind, root.resolve(NAMES[c]).resolve(String.format("%03d.%s", i, kind)).toFile());
            }
        }
        return root;
    }
}
