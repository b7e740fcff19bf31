#!/usr/bin/python3
"""Plain PyTorch eager reference of Hugging Face ``BertForSequenceClassification``.

Used by ``bench/run-throughput.sh`` as the baseline that finetune4j (Java/DJL) is
compared against.  Needs only the Python stdlib and torch (Debian's python3-torch,
call it as /usr/bin/python3): no transformers, no safetensors, no numpy.

Module and parameter names match HF exactly (``bert.embeddings.word_embeddings.weight``,
``bert.encoder.layer.0.attention.self.query.weight``, ..., ``classifier.weight``), so a
HF ``model.safetensors`` loads with ``load_state_dict(strict=True)``.

Modes:
  * benchmark (default): --mode train|infer|both, prints ONE JSON line on stdout.
  * --check OUT.json: deterministic eval-mode forward of a small fixed input whose
    logits / masked-mean last hidden state the Java side compares against.
  * --logits-of INPUTS.json: eval-mode logits of given token ids (ExportParityTest: an export of
    ft4j train against ft4j's own predictions on real texts).

Everything that is not the JSON result goes to stderr.
"""
import argparse
import ctypes
import json
import math
import os
import statistics
import struct
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


# ---------------------------------------------------------------------------
# config
# ---------------------------------------------------------------------------

class BertConfig:
    def __init__(self, d, num_labels_override=None):
        self.vocab_size = d["vocab_size"]
        self.hidden_size = d["hidden_size"]
        self.num_hidden_layers = d["num_hidden_layers"]
        self.num_attention_heads = d["num_attention_heads"]
        self.intermediate_size = d["intermediate_size"]
        self.max_position_embeddings = d.get("max_position_embeddings", 512)
        self.type_vocab_size = d.get("type_vocab_size", 2)
        self.layer_norm_eps = d.get("layer_norm_eps", 1e-12)
        self.hidden_dropout_prob = d.get("hidden_dropout_prob", 0.1)
        self.attention_probs_dropout_prob = d.get("attention_probs_dropout_prob", 0.1)
        cd = d.get("classifier_dropout")
        self.classifier_dropout = self.hidden_dropout_prob if cd is None else cd
        self.hidden_act = d.get("hidden_act", "gelu")
        self.pad_token_id = d.get("pad_token_id", 0)
        pet = d.get("position_embedding_type", "absolute")
        if pet != "absolute":
            raise SystemExit(f"unsupported position_embedding_type {pet!r} (only 'absolute')")
        if self.hidden_size % self.num_attention_heads:
            raise SystemExit("hidden_size is not a multiple of num_attention_heads")
        if num_labels_override is not None:
            self.num_labels = num_labels_override
        elif "id2label" in d:
            self.num_labels = len(d["id2label"])
        elif "num_labels" in d:
            self.num_labels = int(d["num_labels"])
        else:
            self.num_labels = 2


def activation(name):
    # HF ACT2FN: "gelu" is the exact erf GELU; "gelu_new"/"gelu_pytorch_tanh" the tanh one.
    if name == "gelu":
        return lambda x: F.gelu(x)
    if name in ("gelu_new", "gelu_pytorch_tanh"):
        return lambda x: F.gelu(x, approximate="tanh")
    if name == "relu":
        return F.relu
    raise SystemExit(f"unsupported hidden_act {name!r}")


# ---------------------------------------------------------------------------
# model (names == HF modeling_bert)
# ---------------------------------------------------------------------------

class BertEmbeddings(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.word_embeddings = nn.Embedding(c.vocab_size, c.hidden_size, padding_idx=c.pad_token_id)
        self.position_embeddings = nn.Embedding(c.max_position_embeddings, c.hidden_size)
        self.token_type_embeddings = nn.Embedding(c.type_vocab_size, c.hidden_size)
        self.LayerNorm = nn.LayerNorm(c.hidden_size, eps=c.layer_norm_eps)
        self.dropout = nn.Dropout(c.hidden_dropout_prob)
        self.register_buffer("position_ids",
                             torch.arange(c.max_position_embeddings).unsqueeze(0), persistent=False)

    def forward(self, input_ids, token_type_ids):
        seq = input_ids.shape[1]
        x = (self.word_embeddings(input_ids)
             + self.token_type_embeddings(token_type_ids)
             + self.position_embeddings(self.position_ids[:, :seq]))
        return self.dropout(self.LayerNorm(x))


class BertSelfAttention(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.num_heads = c.num_attention_heads
        self.head_dim = c.hidden_size // c.num_attention_heads
        self.query = nn.Linear(c.hidden_size, c.hidden_size)
        self.key = nn.Linear(c.hidden_size, c.hidden_size)
        self.value = nn.Linear(c.hidden_size, c.hidden_size)
        self.dropout = nn.Dropout(c.attention_probs_dropout_prob)

    def _split(self, x):  # (B,S,H*D) -> (B,H,S,D)
        b, s, _ = x.shape
        return x.view(b, s, self.num_heads, self.head_dim).permute(0, 2, 1, 3)

    def forward(self, h, ext_mask):
        q = self._split(self.query(h))
        k = self._split(self.key(h))
        v = self._split(self.value(h))
        scores = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(self.head_dim)
        scores = scores + ext_mask
        probs = self.dropout(torch.softmax(scores, dim=-1))
        ctx = torch.matmul(probs, v).permute(0, 2, 1, 3).contiguous()
        return ctx.view(ctx.shape[0], ctx.shape[1], -1)


class BertSelfOutput(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.dense = nn.Linear(c.hidden_size, c.hidden_size)
        self.LayerNorm = nn.LayerNorm(c.hidden_size, eps=c.layer_norm_eps)
        self.dropout = nn.Dropout(c.hidden_dropout_prob)

    def forward(self, h, residual):
        return self.LayerNorm(self.dropout(self.dense(h)) + residual)


class BertAttention(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.self = BertSelfAttention(c)
        self.output = BertSelfOutput(c)

    def forward(self, h, ext_mask):
        return self.output(self.self(h, ext_mask), h)


class BertIntermediate(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.dense = nn.Linear(c.hidden_size, c.intermediate_size)
        self.act = activation(c.hidden_act)

    def forward(self, h):
        return self.act(self.dense(h))


class BertOutput(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.dense = nn.Linear(c.intermediate_size, c.hidden_size)
        self.LayerNorm = nn.LayerNorm(c.hidden_size, eps=c.layer_norm_eps)
        self.dropout = nn.Dropout(c.hidden_dropout_prob)

    def forward(self, h, residual):
        return self.LayerNorm(self.dropout(self.dense(h)) + residual)


class BertLayer(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.attention = BertAttention(c)
        self.intermediate = BertIntermediate(c)
        self.output = BertOutput(c)

    def forward(self, h, ext_mask):
        a = self.attention(h, ext_mask)
        return self.output(self.intermediate(a), a)


class BertEncoder(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.layer = nn.ModuleList([BertLayer(c) for _ in range(c.num_hidden_layers)])

    def forward(self, h, ext_mask):
        for layer in self.layer:
            h = layer(h, ext_mask)
        return h


class BertPooler(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.dense = nn.Linear(c.hidden_size, c.hidden_size)

    def forward(self, h):
        return torch.tanh(self.dense(h[:, 0]))


class BertModel(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.embeddings = BertEmbeddings(c)
        self.encoder = BertEncoder(c)
        self.pooler = BertPooler(c)

    def forward(self, input_ids, attention_mask, token_type_ids):
        h = self.embeddings(input_ids, token_type_ids)
        # HF get_extended_attention_mask: (1 - m)[:, None, None, :] * finfo(dtype).min
        m = attention_mask[:, None, None, :].to(h.dtype)
        ext = (1.0 - m) * torch.finfo(h.dtype).min
        last = self.encoder(h, ext)
        return last, self.pooler(last)


class BertForSequenceClassification(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.config = c
        self.bert = BertModel(c)
        self.dropout = nn.Dropout(c.classifier_dropout)
        self.classifier = nn.Linear(c.hidden_size, c.num_labels)

    def forward(self, input_ids, attention_mask, token_type_ids):
        last, pooled = self.bert(input_ids, attention_mask, token_type_ids)
        return self.classifier(self.dropout(pooled)), last, pooled


# ---------------------------------------------------------------------------
# safetensors (stdlib + torch only)
# ---------------------------------------------------------------------------

_ST_DTYPES = {
    "F64": torch.float64, "F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16,
    "I64": torch.int64, "I32": torch.int32, "I16": torch.int16, "I8": torch.int8,
    "U8": torch.uint8, "BOOL": torch.bool,
}


def read_safetensors(path):
    """Returns {name: tensor}. Format: u64 LE header length, JSON header, raw LE data."""
    with open(path, "rb") as f:
        blob = f.read()
    if len(blob) < 8:
        raise SystemExit(f"{path}: too short for a safetensors file")
    (hlen,) = struct.unpack("<Q", blob[:8])
    if 8 + hlen > len(blob):
        raise SystemExit(f"{path}: header length {hlen} exceeds file size {len(blob)}")
    header = json.loads(blob[8:8 + hlen].decode("utf-8"))
    base = 8 + hlen
    data = bytearray(blob[base:])  # writable, so torch.frombuffer does not warn
    del blob
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        dt = _ST_DTYPES.get(info["dtype"])
        if dt is None:
            raise SystemExit(f"{path}: tensor {name}: unsupported dtype {info['dtype']}")
        start, end = info["data_offsets"]
        shape = info["shape"]
        n = math.prod(shape)
        esize = torch.tensor([], dtype=dt).element_size()
        if end - start != n * esize or end > len(data):
            raise SystemExit(f"{path}: tensor {name}: data_offsets {start}..{end} do not match "
                             f"shape {shape} x {esize} bytes")
        if n == 0:
            t = torch.empty(shape, dtype=dt)
        else:
            t = torch.frombuffer(data, dtype=dt, count=n, offset=start).reshape(shape).clone()
        out[name] = t
    return out


# keys HF checkpoints may carry that are not parameters of this model
_IGNORED_SUFFIXES = ("embeddings.position_ids", "embeddings.token_type_ids")


def normalize_state_dict(sd):
    """Map a HF checkpoint's keys to ours: add the 'bert.' prefix where missing,
    rename legacy LayerNorm gamma/beta, drop buffers and pre-training heads (cls.*)."""
    out, dropped = {}, []
    for k, v in sd.items():
        if k.startswith("cls.") or k.endswith(_IGNORED_SUFFIXES):
            dropped.append(k)
            continue
        if not (k.startswith("bert.") or k.startswith("classifier.")):
            k = "bert." + k
        if k.endswith(".gamma"):
            k = k[:-len(".gamma")] + ".weight"
        elif k.endswith(".beta"):
            k = k[:-len(".beta")] + ".bias"
        if v.is_floating_point():
            v = v.to(torch.float32)
        out[k] = v
    return out, dropped


def load_model(model_dir, num_labels=None, init_missing_classifier=False, seed=0):
    with open(os.path.join(model_dir, "config.json")) as f:
        cfg = BertConfig(json.load(f), num_labels)
    model = BertForSequenceClassification(cfg)
    sd, dropped = normalize_state_dict(read_safetensors(os.path.join(model_dir, "model.safetensors")))
    if dropped:
        log(f"ignored checkpoint keys: {dropped}")
    classifier_source = "checkpoint"
    if init_missing_classifier and not any(k.startswith("classifier.") for k in sd):
        # Same init as HF _init_weights: N(0, 0.02) weight, zero bias.
        g = torch.Generator().manual_seed(seed)
        sd["classifier.weight"] = torch.randn(cfg.num_labels, cfg.hidden_size, generator=g) * 0.02
        sd["classifier.bias"] = torch.zeros(cfg.num_labels)
        classifier_source = f"random(seed={seed})"
        log("checkpoint has no classifier.*: initialised it randomly (--init-missing-classifier)")
    model.load_state_dict(sd, strict=True)
    return model, cfg, classifier_source


# ---------------------------------------------------------------------------
# environment reporting
# ---------------------------------------------------------------------------

def log(msg):
    print(msg, file=sys.stderr, flush=True)


def blas_info():
    """Which BLAS library torch actually loaded, and (for OpenBLAS) the core kernel it chose."""
    torch.mm(torch.ones(4, 4), torch.ones(4, 4))  # make sure BLAS is loaded
    libs = set()
    try:
        with open("/proc/self/maps") as f:
            for line in f:
                p = line.split()[-1]
                base = os.path.basename(p)
                if any(s in base for s in ("blas", "mkl_rt", "libmkl", "lapack")):
                    libs.add(p)
    except OSError:
        pass
    desc = {"libs": sorted(libs), "corename": None, "config": None}
    for p in sorted(libs):
        try:
            lib = ctypes.CDLL(p)
        except OSError:
            continue
        if hasattr(lib, "openblas_get_corename"):
            lib.openblas_get_corename.restype = ctypes.c_char_p
            lib.openblas_get_config.restype = ctypes.c_char_p
            desc["corename"] = lib.openblas_get_corename().decode()
            desc["config"] = lib.openblas_get_config().decode().strip()
            break
    if desc["corename"]:
        name = f"openblas({desc['corename']})"
    elif any("mkl" in p for p in libs):
        name = "mkl"
    elif libs:
        name = "other:" + ",".join(os.path.basename(p) for p in sorted(libs))
    else:
        name = "none-found"
    return name, desc


# ---------------------------------------------------------------------------
# inputs
# ---------------------------------------------------------------------------

def random_batch(cfg, batch, seq, seed):
    """Fixed random token ids in [1000, vocab), [CLS]=101 first, [SEP]=102 last, no padding."""
    g = torch.Generator().manual_seed(seed)
    lo = min(1000, cfg.vocab_size - 1)
    ids = torch.randint(lo, cfg.vocab_size, (batch, seq), generator=g, dtype=torch.int64)
    ids[:, 0] = 101
    ids[:, -1] = 102
    mask = torch.ones(batch, seq, dtype=torch.int64)
    tt = torch.zeros(batch, seq, dtype=torch.int64)
    labels = torch.randint(0, cfg.num_labels, (batch,), generator=g, dtype=torch.int64)
    return ids, mask, tt, labels


CHECK_BATCH, CHECK_SEQ, CHECK_PAD = 2, 16, 5


def check_batch(cfg, seed):
    """Batch 2 x seq 16; row 0 full length, row 1 has 11 real tokens then 5 pad (id 0, mask 0)."""
    ids, mask, tt, _ = random_batch(cfg, CHECK_BATCH, CHECK_SEQ, seed)
    real = CHECK_SEQ - CHECK_PAD
    ids[1, real - 1] = 102
    ids[1, real:] = cfg.pad_token_id
    mask[1, real:] = 0
    return ids, mask, tt


# ---------------------------------------------------------------------------
# modes
# ---------------------------------------------------------------------------

def run_check(model, cfg, args, out_path):
    model.eval()
    ids, mask, tt = check_batch(cfg, args.seed)
    with torch.inference_mode():
        logits, last, pooled = model(ids, mask, tt)
        m = mask.unsqueeze(-1).to(last.dtype)
        mean = (last * m).sum(1) / m.sum(1).clamp(min=1e-9)
    doc = {
        "format": "finetune4j-bert-check/1",
        "impl": "pytorch-eager",
        "torch": torch.__version__,
        "model": os.path.abspath(args.model),
        "seed": args.seed,
        "dtype": "float32",
        "input_ids": ids.tolist(),
        "attention_mask": mask.tolist(),
        "token_type_ids": tt.tolist(),
        "logits": logits.tolist(),
        "last_hidden_state_mean": mean.tolist(),
        "last_hidden_state_mean_def": "sum_s(h[b,s,:]*mask[b,s]) / sum_s(mask[b,s])",
        "pooler_output": pooled.tolist(),
        "last_hidden_state_cls": last[:, 0].tolist(),
    }
    os.makedirs(os.path.dirname(os.path.abspath(out_path)), exist_ok=True)
    with open(out_path, "w") as f:
        json.dump(doc, f)
        f.write("\n")
    log(f"wrote {out_path}: logits={[[round(x, 6) for x in r] for r in doc['logits']]}")


def adamw_param_groups(model, weight_decay):
    decay, no_decay = [], []
    for n, p in model.named_parameters():
        if not p.requires_grad:
            continue
        # HF Trainer convention: no decay for biases and LayerNorm weights.
        (no_decay if n.endswith(".bias") or "LayerNorm" in n else decay).append(p)
    return [{"params": decay, "weight_decay": weight_decay},
            {"params": no_decay, "weight_decay": 0.0}]


def time_steps(step_fn, warmup, steps, label):
    for i in range(warmup):
        t0 = time.perf_counter()
        step_fn()
        log(f"{label} warmup {i + 1}/{warmup}: {time.perf_counter() - t0:.3f}s")
    times = []
    for i in range(steps):
        t0 = time.perf_counter()
        step_fn()
        times.append(time.perf_counter() - t0)
        log(f"{label} step {i + 1}/{steps}: {times[-1]:.3f}s")
    return times


def bench_train(model, cfg, args):
    model.train()
    ids, mask, tt, labels = random_batch(cfg, args.batch, args.seq, args.seed)
    opt = torch.optim.AdamW(adamw_param_groups(model, 0.01), lr=5e-5, weight_decay=0.01)
    losses = []

    def step():
        logits, _, _ = model(ids, mask, tt)
        loss = F.cross_entropy(logits, labels)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        opt.zero_grad(set_to_none=True)
        losses.append(loss.item())

    times = time_steps(step, args.warmup, args.steps, "train")
    log(f"train losses: {[round(x, 4) for x in losses]}")
    return times, losses


def bench_infer(model, cfg, args):
    model.eval()
    ids, mask, tt, _ = random_batch(cfg, args.batch, args.seq, args.seed + 1)

    def step():
        with torch.inference_mode():
            logits, _, _ = model(ids, mask, tt)
            logits.sum().item()

    return time_steps(step, args.warmup, args.steps, "infer")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", required=True, help="HF dir with config.json + model.safetensors")
    ap.add_argument("--num-labels", type=int, default=None,
                    help="override; default len(config.id2label), else config.num_labels, else 2")
    ap.add_argument("--init-missing-classifier", action="store_true",
                    help="if the checkpoint has no classifier.* keys, init them N(0,0.02) instead of failing")
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--seq", type=int, default=128)
    ap.add_argument("--steps", type=int, default=10)
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--mode", choices=("train", "infer", "both"), default="both")
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--check", metavar="OUT.json", default=None,
                    help="write the correctness check file (eval, no dropout, batch 2 x seq 16) and exit")
    ap.add_argument("--logits-of", metavar="INPUTS.json", default=None,
                    help="eval-mode logits of the batch in INPUTS.json (input_ids, attention_mask, token_type_ids),"
                         " printed as one JSON line {\"logits\": [...], \"pooler_output\": [...]}, and exit")
    args = ap.parse_args()
    if args.steps < 1 or args.warmup < 0 or args.threads < 1:
        ap.error("need --steps >= 1, --warmup >= 0, --threads >= 1")

    torch.set_num_threads(args.threads)
    torch.set_num_interop_threads(1)
    torch.manual_seed(args.seed)  # dropout masks

    model, cfg, classifier_source = load_model(args.model, args.num_labels,
                                               args.init_missing_classifier, args.seed)
    if args.seq > cfg.max_position_embeddings:
        raise SystemExit(f"--seq {args.seq} > max_position_embeddings {cfg.max_position_embeddings}")
    n_params = sum(p.numel() for p in model.parameters())
    blas, blas_desc = blas_info()
    log(f"torch {torch.__version__}, threads {torch.get_num_threads()}, interop "
        f"{torch.get_num_interop_threads()}, blas {blas}, OPENBLAS_CORETYPE="
        f"{os.environ.get('OPENBLAS_CORETYPE', '(unset)')}, params {n_params}, "
        f"labels {cfg.num_labels}, classifier {classifier_source}")

    if args.check:
        run_check(model, cfg, args, args.check)
        return
    if args.logits_of:
        with open(args.logits_of) as f:
            batch = json.load(f)
        model.eval()
        with torch.inference_mode():
            logits, _, pooled = model(*(torch.tensor(batch[k], dtype=torch.int64)
                                        for k in ("input_ids", "attention_mask", "token_type_ids")))
        print(json.dumps({"logits": logits.tolist(), "pooler_output": pooled.tolist(), "torch": torch.__version__}))
        return

    res = {
        "impl": "pytorch-eager",
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "blas": blas,
        "openblas_coretype": os.environ.get("OPENBLAS_CORETYPE"),
        "blas_libs": blas_desc["libs"],
        "model": os.path.abspath(args.model),
        "params": n_params,
        "num_labels": cfg.num_labels,
        "classifier": classifier_source,
        "batch": args.batch,
        "seq": args.seq,
        "steps": args.steps,
        "warmup": args.warmup,
        "train_examples_per_s": None,
        "infer_examples_per_s": None,
        "train_step_s_median": None,
        "infer_step_s_median": None,
    }
    if args.mode in ("train", "both"):
        times, losses = bench_train(model, cfg, args)
        res["train_examples_per_s"] = round(args.batch * len(times) / sum(times), 3)
        res["train_step_s_median"] = round(statistics.median(times), 4)
        res["train_step_s_min"] = round(min(times), 4)
        res["train_loss_first_last"] = [round(losses[0], 5), round(losses[-1], 5)]
    if args.mode in ("infer", "both"):
        times = bench_infer(model, cfg, args)
        res["infer_examples_per_s"] = round(args.batch * len(times) / sum(times), 3)
        res["infer_step_s_median"] = round(statistics.median(times), 4)
        res["infer_step_s_min"] = round(min(times), 4)
    print(json.dumps(res), flush=True)


if __name__ == "__main__":
    main()
