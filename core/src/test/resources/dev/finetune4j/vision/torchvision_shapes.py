# Writes torchvision-shapes.json: every state_dict key and shape of the torchvision architectures
# that finetune4j maps weights onto, so that a mapping is checked against torchvision itself.
# Run with Debian's python3-torchvision (0.14.1 here):  /usr/bin/python3 torchvision_shapes.py
import json
import torchvision

ARCHITECTURES = {"mobilenet_v2": lambda: torchvision.models.mobilenet_v2(num_classes=1000),
                 "inception_v3": lambda: torchvision.models.inception_v3(num_classes=1000, aux_logits=False,
                                                                          init_weights=False)}
out = {"torchvision": torchvision.__version__}
for name, build in ARCHITECTURES.items():
    out[name] = {k: list(v.shape) for k, v in build().state_dict().items()}
with open("torchvision-shapes.json", "w") as f:  # one key per line, to read and diff
    f.write("{\"torchvision\": %s" % json.dumps(out.pop("torchvision")))
    for name, shapes in out.items():
        f.write(",\n%s: {\n" % json.dumps(name))
        f.write(",\n".join("  %s: %s" % (json.dumps(k), json.dumps(v)) for k, v in shapes.items()))
        f.write("\n}")
    f.write("}\n")
