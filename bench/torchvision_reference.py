#!/usr/bin/python3
"""Plain PyTorch eager reference of torchvision image classifiers, for ``bench/image-throughput.sh``.

Needs only the stdlib, torch and torchvision (Debian's python3-torch and python3-torchvision: call
it as /usr/bin/python3).

  --write-weights DIR   writes torchvision's own random initialisation of --arch with a head of
                        --classes outputs (BatchNorm running statistics randomised, as real
                        weights have them) as DIR/model.safetensors (F32, torchvision keys) and
                        DIR/config.json ({"architecture": ...}, as finetune4j reads a weights
                        directory), then exits. Both sides of the benchmark load these weights.
  --channels-last       runs model and images in torch.channels_last memory format (what finetune4j
                        does; plain eager code does not)
  (default)             loads DIR/model.safetensors into torchvision's --arch and times
                        --mode train|infer|both on a fixed seeded batch of --batch images of
                        --size x --size; prints ONE JSON line on stdout, the rest on stderr.

A training step: forward in train() mode (MobileNetV2's head dropout 0.2, BatchNorm on batch
statistics), cross-entropy, backward, clip_grad_norm_(1.0), AdamW(lr=1e-4, weight_decay=0.01, none
on biases and norm weights), zero_grad(set_to_none=True). Inference: an eval() forward and softmax
under inference_mode.
"""
import argparse
import json
import os
import sys
import time

import torch
import torch.nn.functional as F
import torchvision

from make_random_checkpoint import write_safetensors  # beside this file
from torch_reference import read_safetensors

ARCHS = ("mobilenet_v2", "resnet18")


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def build(arch, classes):
    if arch not in ARCHS:
        raise SystemExit(f"--arch {arch!r}: one of {', '.join(ARCHS)}")
    return getattr(torchvision.models, arch)(weights=None, num_classes=classes)


def write_weights(arch, classes, seed, out_dir):
    torch.manual_seed(seed)
    model = build(arch, classes)
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                m.running_mean.uniform_(-0.1, 0.1)
                m.running_var.uniform_(0.5, 1.5)
    sd = {k: v.detach() for k, v in model.state_dict().items() if not k.endswith("num_batches_tracked")}
    os.makedirs(out_dir, exist_ok=True)
    write_safetensors(os.path.join(out_dir, "model.safetensors"), sd)
    with open(os.path.join(out_dir, "config.json"), "w") as f:
        json.dump({"architecture": arch, "num_classes": classes,
                   "finetune4j_bench": f"torchvision {torchvision.__version__} random init, seed {seed}"}, f)
    log(f"wrote {arch} ({sum(v.numel() for v in sd.values())} values, {classes} classes) to {out_dir}")


def load(arch, weights_dir):
    sd = read_safetensors(os.path.join(weights_dir, "model.safetensors"))
    head = sd["fc.weight" if arch == "resnet18" else "classifier.1.weight"]
    model = build(arch, head.shape[0])
    missing, unexpected = model.load_state_dict(sd, strict=False)
    missing = [k for k in missing if not k.endswith("num_batches_tracked")]
    if missing or unexpected:
        raise SystemExit(f"{weights_dir}: missing {missing[:5]}, unexpected {unexpected[:5]}")
    return model, head.shape[0]


def param_groups(model, weight_decay):
    decay, no_decay = [], []
    for p in model.parameters():
        (no_decay if p.ndim <= 1 else decay).append(p)
    return [{"params": decay, "weight_decay": weight_decay}, {"params": no_decay, "weight_decay": 0.0}]


def time_steps(step_fn, warmup, steps, label, profile=False):
    times = []
    profiler = None
    for i in range(warmup + steps):
        if profile and i == warmup:
            profiler = torch.profiler.profile()
            profiler.__enter__()
        t0 = time.perf_counter()
        step_fn()
        dt = time.perf_counter() - t0
        log(f"{label} {'warmup' if i < warmup else 'step'} {i + 1}: {dt:.3f}s")
        if i >= warmup:
            times.append(dt)
    if profiler is not None:
        profiler.__exit__(None, None, None)
        log(f"{label}: operators over {steps} steps\n"
            + profiler.key_averages().table(sort_by="cpu_time_total", row_limit=25))
    return times


def median(v):
    v = sorted(v)
    return v[len(v) // 2] if len(v) % 2 else (v[len(v) // 2 - 1] + v[len(v) // 2]) / 2


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--arch", required=True, choices=ARCHS)
    ap.add_argument("--weights", required=True, help="directory with model.safetensors")
    ap.add_argument("--write-weights", action="store_true")
    ap.add_argument("--classes", type=int, default=10)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--size", type=int, default=224)
    ap.add_argument("--steps", type=int, default=5)
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--mode", choices=("train", "infer", "both"), default="both")
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--profile", action="store_true",
                    help="print torch.profiler's table of operators over the timed steps to stderr")
    ap.add_argument("--channels-last", action="store_true",
                    help="model and images in torch.channels_last memory format (not what plain eager code does)")
    args = ap.parse_args()
    if args.write_weights:
        write_weights(args.arch, args.classes, args.seed, args.weights)
        return

    torch.set_num_threads(args.threads)
    torch.set_num_interop_threads(1)
    torch.manual_seed(args.seed)
    model, classes = load(args.arch, args.weights)
    g = torch.Generator().manual_seed(args.seed)
    images = torch.randn(args.batch, 3, args.size, args.size, generator=g)
    labels = torch.arange(args.batch) % classes
    if args.channels_last:
        model = model.to(memory_format=torch.channels_last)
        images = images.contiguous(memory_format=torch.channels_last)
    log(f"torch {torch.__version__}, torchvision {torchvision.__version__}, threads {torch.get_num_threads()},"
        f" mkldnn {torch.backends.mkldnn.is_available()}, {args.arch} {args.size}px batch {args.batch}")
    res = {"impl": "pytorch-eager", "torch": torch.__version__, "torchvision": torchvision.__version__,
           "threads": torch.get_num_threads(), "arch": args.arch, "size": args.size, "batch": args.batch,
           "steps": args.steps, "warmup": args.warmup,
           "memory_format": "channels_last" if args.channels_last else "contiguous",
           "params": sum(p.numel() for p in model.parameters()),
           "train_images_per_s": None, "train_step_s_median": None,
           "infer_images_per_s": None, "infer_step_s_median": None}
    if args.mode in ("train", "both"):
        model.train()
        opt = torch.optim.AdamW(param_groups(model, 0.01), lr=1e-4, weight_decay=0.01)
        losses = []

        def train_step():
            loss = F.cross_entropy(model(images), labels)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            opt.zero_grad(set_to_none=True)
            losses.append(loss.item())

        times = time_steps(train_step, args.warmup, args.steps, "train", args.profile)
        log(f"train losses {[round(x, 4) for x in losses]}")
        res["train_images_per_s"] = round(args.batch * len(times) / sum(times), 3)
        res["train_step_s_median"] = round(median(times), 4)
    if args.mode in ("infer", "both"):
        model.eval()

        def infer_step():
            with torch.inference_mode():
                model(images).softmax(-1).sum().item()

        times = time_steps(infer_step, args.warmup, args.steps, "infer", args.profile)
        res["infer_images_per_s"] = round(args.batch * len(times) / sum(times), 3)
        res["infer_step_s_median"] = round(median(times), 4)
    print(json.dumps(res))


if __name__ == "__main__":
    main()
