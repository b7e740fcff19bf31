"""Makes resize-torchvision.json: a random 8-bit RGB image and torchvision's antialiased bilinear
resizes of it (the PIL-matching path), for ResizeParityTest. Run with Debian's python3-torchvision:

    /usr/bin/python3 resize_fixture.py > resize-torchvision.json
"""
import json

import torch
import torchvision.transforms.functional as F
from torchvision.transforms import InterpolationMode

g = torch.Generator().manual_seed(7)
image = torch.randint(0, 256, (3, 23, 37), generator=g, dtype=torch.uint8)
out = {"torch": torch.__version__, "height": 23, "width": 37,
       "rgb": image.permute(1, 2, 0).reshape(-1).tolist(), "resized": []}
for h, w in [(10, 16), (23, 37), (40, 64), (7, 50)]:
    r = F.resize(image.float(), [h, w], interpolation=InterpolationMode.BILINEAR, antialias=True)
    out["resized"].append({"height": h, "width": w,
                           "rgb": r.round().clamp(0, 255).to(torch.uint8).permute(1, 2, 0).reshape(-1).tolist()})
print(json.dumps(out))
