package dev.finetune4j.vision;

import ai.djl.ndarray.NDArray;
import dev.finetune4j.UserError;
import dev.finetune4j.model.Body;
import dev.finetune4j.model.ParameterStore;
import dev.finetune4j.model.efficientnet.EfficientNet;
import dev.finetune4j.model.inception.InceptionV3;
import dev.finetune4j.model.mobilenet.MobileNetV2;
import dev.finetune4j.model.resnet.ResNet;
import dev.finetune4j.model.vgg.Vgg;
import java.util.Arrays;
import java.util.Locale;
import java.util.function.Function;

/**
 * The CNN bodies finetune4j builds, by the name torchvision and timm give them
 * ({@code body.architecture}, a weights directory's {@code config.json}), each with torchvision's
 * head key, the dropout before it and the input side it was trained at.
 */
public enum Architecture {
    MOBILENET_V2("mobilenet_v2", "classifier.1", 0.2f, 224),
    RESNET18("resnet18", "fc", 0f, 224),
    RESNET34("resnet34", "fc", 0f, 224),
    RESNET50("resnet50", "fc", 0f, 224),
    VGG11("vgg11", "classifier.6", 0f, 224),
    VGG11_BN("vgg11_bn", "classifier.6", 0f, 224),
    VGG16("vgg16", "classifier.6", 0f, 224),
    VGG16_BN("vgg16_bn", "classifier.6", 0f, 224),
    EFFICIENTNET_B0("efficientnet_b0", "classifier.1", 0.2f, 224),
    INCEPTION_V3("inception_v3", "fc", 0.5f, 299);

    private final String id;
    private final String head;
    private final float dropout;
    private final int side;

    Architecture(String id, String head, float dropout, int side) {
        this.id = id;
        this.head = head;
        this.dropout = dropout;
        this.side = side;
    }

    public String id() {
        return id;
    }

    /** The head's key: {@code fc}, {@code classifier.1}, {@code classifier.6}. */
    public String head() {
        return head;
    }

    public float dropout() {
        return dropout;
    }

    /** The side of the square images it was trained on. */
    public int side() {
        return side;
    }

    /**
     * Its body over {@code params}; {@code keras}: as keras.applications builds it (weights
     * converted from Keras: BatchNorm eps 1e-3, "same" padding), for MobileNetV2 and Inception V3.
     */
    public Function<ParameterStore, Body<NDArray>> body(boolean keras) {
        if (keras && this != MOBILENET_V2 && this != INCEPTION_V3) {
            throw new IllegalArgumentException(id + " has no Keras variant");
        }
        return switch (this) {
            case MOBILENET_V2 -> p -> new MobileNetV2(keras ? MobileNetV2.Config.keras() : MobileNetV2.Config.torchvision(1.0), p);
            case RESNET18 -> p -> new ResNet(ResNet.Config.resnet18(), p);
            case RESNET34 -> p -> new ResNet(ResNet.Config.resnet34(), p);
            case RESNET50 -> p -> new ResNet(ResNet.Config.resnet50(), p);
            case VGG11 -> p -> new Vgg(Vgg.Config.vgg11(false), p);
            case VGG11_BN -> p -> new Vgg(Vgg.Config.vgg11(true), p);
            case VGG16 -> p -> new Vgg(Vgg.Config.vgg16(false), p);
            case VGG16_BN -> p -> new Vgg(Vgg.Config.vgg16(true), p);
            case EFFICIENTNET_B0 -> p -> new EfficientNet(EfficientNet.Config.b0(), p);
            case INCEPTION_V3 -> p -> new InceptionV3(keras ? InceptionV3.Config.keras() : InceptionV3.Config.torchvision(), p);
        };
    }

    /** By torchvision / timm name ({@code resnet18}, {@code mobilenet_v2}; case and '-' for '_' forgiven). */
    public static Architecture parse(String name, String where) {
        String n = name.trim().toLowerCase(Locale.ROOT).replace('-', '_');
        for (Architecture a : values()) if (a.id.equals(n)) return a;
        throw new UserError(where + ": unknown architecture '" + name + "' — known: "
                + String.join(", ", Arrays.stream(values()).map(Architecture::id).toList()));
    }
}
