#!/usr/bin/python3
"""Write a random-init, MiniLM-shaped Hugging Face BertForSequenceClassification dir:

    OUT/config.json        (vocab 30522, hidden 384, 6 layers, 12 heads, ff 1536, ...)
    OUT/model.safetensors  (F32, 'bert.'-prefixed keys + classifier.*)

Python stdlib + torch only.  The key list is written out here independently of
torch_reference.py on purpose, so loading it there with strict=True tests the names.
Init follows HF _init_weights: N(0, 0.02) for Linear/Embedding weights, zero biases,
LayerNorm weight 1 / bias 0, zero row for the padding token.
"""
import argparse
import ctypes
import json
import os
import struct

import torch


def config(layers, hidden, heads, ff, vocab):
    return {
        "architectures": ["BertForSequenceClassification"],
        "model_type": "bert",
        "vocab_size": vocab,
        "hidden_size": hidden,
        "num_hidden_layers": layers,
        "num_attention_heads": heads,
        "intermediate_size": ff,
        "hidden_act": "gelu",
        "hidden_dropout_prob": 0.1,
        "attention_probs_dropout_prob": 0.1,
        "max_position_embeddings": 512,
        "type_vocab_size": 2,
        "initializer_range": 0.02,
        "layer_norm_eps": 1e-12,
        "pad_token_id": 0,
        "position_embedding_type": "absolute",
        "classifier_dropout": None,
        "id2label": {"0": "ham", "1": "spam"},
        "label2id": {"ham": 0, "spam": 1},
        "torch_dtype": "float32",
    }


def tensors(cfg, seed, with_position_ids):
    g = torch.Generator().manual_seed(seed)
    h, ff, std = cfg["hidden_size"], cfg["intermediate_size"], cfg["initializer_range"]

    def normal(*shape):
        return torch.randn(*shape, generator=g) * std

    t = {}

    def linear(prefix, n_out, n_in):
        t[prefix + ".weight"] = normal(n_out, n_in)
        t[prefix + ".bias"] = torch.zeros(n_out)

    def layer_norm(prefix):
        t[prefix + ".weight"] = torch.ones(h)
        t[prefix + ".bias"] = torch.zeros(h)

    e = "bert.embeddings."
    word = normal(cfg["vocab_size"], h)
    word[cfg["pad_token_id"]] = 0
    t[e + "word_embeddings.weight"] = word
    t[e + "position_embeddings.weight"] = normal(cfg["max_position_embeddings"], h)
    t[e + "token_type_embeddings.weight"] = normal(cfg["type_vocab_size"], h)
    layer_norm(e + "LayerNorm")
    if with_position_ids:  # older transformers versions saved this buffer
        t[e + "position_ids"] = torch.arange(cfg["max_position_embeddings"]).unsqueeze(0)
    for i in range(cfg["num_hidden_layers"]):
        p = f"bert.encoder.layer.{i}."
        for name in ("query", "key", "value"):
            linear(p + "attention.self." + name, h, h)
        linear(p + "attention.output.dense", h, h)
        layer_norm(p + "attention.output.LayerNorm")
        linear(p + "intermediate.dense", ff, h)
        linear(p + "output.dense", h, ff)
        layer_norm(p + "output.LayerNorm")
    linear("bert.pooler.dense", h, h)
    linear("classifier", len(cfg["id2label"]), h)
    return t


_DTYPES = {torch.float32: "F32", torch.int64: "I64"}


def write_safetensors(path, tensors):
    header, offset, chunks = {"__metadata__": {"format": "pt"}}, 0, []
    for name in sorted(tensors):
        x = tensors[name].contiguous()
        nbytes = x.numel() * x.element_size()
        header[name] = {"dtype": _DTYPES[x.dtype], "shape": list(x.shape),
                        "data_offsets": [offset, offset + nbytes]}
        chunks.append(ctypes.string_at(x.data_ptr(), nbytes))  # native order == LE on x86/arm64
        offset += nbytes
    hb = json.dumps(header, separators=(",", ":")).encode("utf-8")
    hb += b" " * (-len(hb) % 8)  # pad header so the data section is 8-byte aligned
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(hb)))
        f.write(hb)
        for c in chunks:
            f.write(c)
    os.replace(tmp, path)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default="bench/out/minilm-random")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--layers", type=int, default=6)
    ap.add_argument("--hidden", type=int, default=384)
    ap.add_argument("--heads", type=int, default=12)
    ap.add_argument("--intermediate", type=int, default=1536)
    ap.add_argument("--vocab", type=int, default=30522)
    ap.add_argument("--with-position-ids", action="store_true",
                    help="also store bert.embeddings.position_ids (I64), as older transformers did")
    args = ap.parse_args()
    if struct.pack("=I", 1) != struct.pack("<I", 1):
        raise SystemExit("big-endian host: safetensors data must be little-endian")

    cfg = config(args.layers, args.hidden, args.heads, args.intermediate, args.vocab)
    t = tensors(cfg, args.seed, args.with_position_ids)
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "config.json"), "w") as f:
        json.dump(cfg, f, indent=2)
        f.write("\n")
    write_safetensors(os.path.join(args.out, "model.safetensors"), t)
    n = sum(x.numel() for k, x in t.items() if x.is_floating_point())
    print(f"wrote {args.out}: {len(t)} tensors, {n} float params")


if __name__ == "__main__":
    main()
