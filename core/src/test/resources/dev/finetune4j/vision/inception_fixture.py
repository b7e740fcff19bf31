# A random-init torchvision inception_v3 (no auxiliary classifier, no input transform, 3 classes,
# BatchNorm statistics randomised) and its logits on two 80 px images, written to the directory
# given: its widths are fixed by torchvision (22 M parameters, 88 MB), so finetune4j's parity test
# runs this with Debian's python3-torchvision instead of committing the result.
#   /usr/bin/python3 inception_fixture.py OUT_DIR
import os
import sys

import torch
import torchvision

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_fixtures import randomise_batchnorm, write_safetensors  # noqa: E402

out = sys.argv[1]
g = torch.Generator().manual_seed(1)
torch.manual_seed(1)
model = torchvision.models.inception_v3(num_classes=3, aux_logits=False, transform_input=False, init_weights=True)
randomise_batchnorm(model, g)
model.eval()
x = torch.rand(2, 3, 80, 80, generator=g)
with torch.no_grad():
    logits = model(x)
write_safetensors(os.path.join(out, "inception_v3.safetensors"),
                  {k: v for k, v in model.state_dict().items() if not k.endswith("num_batches_tracked")})
write_safetensors(os.path.join(out, "inception_v3-io.safetensors"), {"input": x, "logits": logits})
