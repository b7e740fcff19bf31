package dev.finetune4j.model;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One module of a body as its checkpoint declares it: its full key ({@code bert.encoder.layer.0.attention.self.query}),
 * what kind of layer it is, the block it belongs to, and its tensors by local name with their shapes.
 * What a module is decides how it trains: norm layers and biases take no weight decay, blocks set
 * the depth for layer-wise learning rates and gradual unfreezing, linear layers in blocks are LoRA sites.
 *
 * @param block 0 for the first block (encoder layer, CNN stage), {@link #BELOW} for what comes before
 *     every block (embeddings, stem), {@link #ABOVE} for what comes after (a pooler)
 * @param parameters trainable tensors, local name ("weight", "bias") to shape, in checkpoint order
 * @param buffers non-trainable state (BatchNorm's running statistics), local name to shape
 */
public record Module(String name, Kind kind, int block, Map<String, long[]> parameters, Map<String, long[]> buffers) {
    public static final int BELOW = -1;
    public static final int ABOVE = Integer.MAX_VALUE;

    public enum Kind {
        LINEAR, EMBEDDING, NORM, CONVOLUTION
    }

    public Module {
        parameters = Collections.unmodifiableMap(new LinkedHashMap<>(parameters));
        buffers = Collections.unmodifiableMap(new LinkedHashMap<>(buffers));
    }

    /** A module without buffers. */
    public static Module of(String name, Kind kind, int block, Map<String, long[]> parameters) {
        return new Module(name, kind, block, parameters, Map.of());
    }

    /** A linear layer {@code [out, in]} with a bias. */
    public static Module linear(String name, int block, long out, long in) {
        Map<String, long[]> p = new LinkedHashMap<>();
        p.put("weight", new long[] {out, in});
        p.put("bias", new long[] {out});
        return of(name, Kind.LINEAR, block, p);
    }

    /** A norm layer over {@code size} features with weight and bias. */
    public static Module norm(String name, int block, long size) {
        Map<String, long[]> p = new LinkedHashMap<>();
        p.put("weight", new long[] {size});
        p.put("bias", new long[] {size});
        return of(name, Kind.NORM, block, p);
    }

    /** Whether weight decay leaves this module's tensor {@code local} alone: norm layers and every bias. */
    public boolean takesNoDecay(String local) {
        return kind == Kind.NORM || local.equals("bias");
    }

    /** The full key of one of its tensors. */
    public String key(String local) {
        return name + "." + local;
    }
}
