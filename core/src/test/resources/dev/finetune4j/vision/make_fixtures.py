# Tiny random-init torchvision models with their outputs, for finetune4j's parity tests.
# Run with Debian's python3-torchvision (0.14.1):  /usr/bin/python3 make_fixtures.py
# BatchNorm statistics and affine parameters are randomised too: at their defaults (mean 0, var 1,
# weight 1, bias 0) eval-mode BatchNorm is nearly the identity and hides mapping bugs.
import copy
import json
import struct

import torch
import torchvision


def write_safetensors(path, tensors):
    header, blobs, offset = {}, [], 0
    for name, t in tensors.items():
        t = t.detach().contiguous().to(torch.float32)
        data = t.numpy().tobytes()
        header[name] = {"dtype": "F32", "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    head = json.dumps(header, separators=(",", ":")).encode()
    head += b" " * ((8 - len(head) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(head)))
        f.write(head)
        for b in blobs:
            f.write(b)


def randomise_batchnorm(model, g):
    for m in model.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            with torch.no_grad():
                m.running_mean.copy_(torch.randn(m.num_features, generator=g) * 0.5)
                m.running_var.copy_(torch.rand(m.num_features, generator=g) * 1.5 + 0.5)
                m.weight.copy_(torch.rand(m.num_features, generator=g) + 0.5)
                m.bias.copy_(torch.randn(m.num_features, generator=g) * 0.2)


def fixture(name, model, size, g):
    randomise_batchnorm(model, g)
    model.eval()
    x = torch.rand(2, 3, size, size, generator=g)
    with torch.no_grad():
        logits = model(x)
    weights = {k: v for k, v in model.state_dict().items() if not k.endswith("num_batches_tracked")}
    write_safetensors(name + ".safetensors", weights)
    outputs = {"input": x, "logits": logits}
    # one forward pass in training mode moves BatchNorm's running statistics (momentum 0.1)
    first_bn = next((k for k in weights if k.endswith("running_mean")), None)
    if first_bn is not None:
        trained = copy.deepcopy(model).train()
        with torch.no_grad():
            trained(x)
        outputs["running_mean_after_train_step"] = trained.state_dict()[first_bn]
        outputs["running_var_after_train_step"] = trained.state_dict()[first_bn.replace("running_mean", "running_var")]
    write_safetensors(name + "-io.safetensors", outputs)
    print(name, sum(v.numel() for v in weights.values()), "values; logits", tuple(logits.shape))


class NarrowResNet(torchvision.models.resnet.ResNet):
    """torchvision's ResNet with its blocks and _make_layer, but stages of 8, 16, 32, 64 planes."""

    def __init__(self, block, layers, num_classes):
        torch.nn.Module.__init__(self)
        self._norm_layer = torch.nn.BatchNorm2d
        self.inplanes, self.dilation, self.groups, self.base_width = 8, 1, 1, 64
        self.conv1 = torch.nn.Conv2d(3, 8, kernel_size=7, stride=2, padding=3, bias=False)
        self.bn1 = torch.nn.BatchNorm2d(8)
        self.relu = torch.nn.ReLU(inplace=True)
        self.maxpool = torch.nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        self.layer1 = self._make_layer(block, 8, layers[0])
        self.layer2 = self._make_layer(block, 16, layers[1], stride=2)
        self.layer3 = self._make_layer(block, 32, layers[2], stride=2)
        self.layer4 = self._make_layer(block, 64, layers[3], stride=2)
        self.avgpool = torch.nn.AdaptiveAvgPool2d((1, 1))
        self.fc = torch.nn.Linear(64 * block.expansion, num_classes)


if __name__ == "__main__":
    g = torch.Generator().manual_seed(0)
    torch.manual_seed(0)
    fixture("mobilenet_v2-tiny", torchvision.models.mobilenet_v2(num_classes=3, width_mult=0.25), 32, g)
    fixture("resnet-basic-tiny", NarrowResNet(torchvision.models.resnet.BasicBlock, [2, 1, 1, 1], 3), 32, g)
    fixture("resnet-bottleneck-tiny", NarrowResNet(torchvision.models.resnet.Bottleneck, [2, 1, 1, 1], 3), 32, g)


    def narrow_vgg(batch_norm):
        """torchvision's VGG and make_layers with 8 and 16 channels and linear layers of 32."""
        vgg = torchvision.models.vgg.VGG(torchvision.models.vgg.make_layers([8, "M", 16, 16, "M"], batch_norm=batch_norm),
                                         num_classes=3)
        vgg.classifier = torch.nn.Sequential(torch.nn.Linear(16 * 7 * 7, 32), torch.nn.ReLU(True), torch.nn.Dropout(),
                                             torch.nn.Linear(32, 32), torch.nn.ReLU(True), torch.nn.Dropout(),
                                             torch.nn.Linear(32, 3))
        return vgg


    # 20 px: 5 x 5 after two pools, so adaptive pooling to 7 x 7 spreads cells over overlapping windows
    fixture("vgg-tiny", narrow_vgg(False), 20, g)
    fixture("vgg-bn-tiny", narrow_vgg(True), 20, g)

    # EfficientNet-B0's stages at a quarter of the width and half the depth (some stages keep 2 blocks)
    from torchvision.models import efficientnet
    setting, last = efficientnet._efficientnet_conf("efficientnet_b0", width_mult=0.25, depth_mult=0.5)
    fixture("efficientnet-tiny", efficientnet.EfficientNet(setting, 0.2, num_classes=3, last_channel=last), 32, g)
