"""The two shape generators over the octree tokens of nextx_models/shape_data.py (models/shape-octree, models/shape-raster).

    tools/models/run.sh shape-octree [--budget-seconds 1400]  # next-scale: one forward per octree level
    tools/models/run.sh shape-raster [--budget-seconds 1400]  # next-token baseline over level 3 (512 tokens)

Both are LLaMA-style decoders of the same size (nextx_models/llama.py: RMSNorm, RoPE, SwiGLU; 3 layers, width 64),
class-conditional with 10 % label dropout for classifier-free guidance, trained on the train split with the x / y
mirror images (KiCad parts are near-symmetric about both board axes: 4 variants per shape).

shape-octree (family shape-scale), graph `scale_model`: input_ids [batch, seq] with seq = the prefix up to the end of
the level being predicted (1, 9, 73 or 585); position 0 holds 2048 + class (2048 + C = the null class), position p >= 1
(a node of level k with parent m at level k-1 and child index c) holds token(m) * 8 + c. Attention is block-causal
over levels (a level sees itself and every coarser level, VAR-style); logits [batch, seq, 256], the entry at p
predicts the token AT p. The loss counts the nodes whose parent bit is set (the others are 0 by construction, and the
sampler masks them so).

shape-raster (family shape-raster), graph `decoder_lm` (onnx/model.onnx, Optimum names, KV-cached, as
models/llama-mnist): [class token 256 + class] + the 512 level-3 tokens in raster order; vocab 256 + C + 1.
"""
from __future__ import annotations

import argparse
import math
import shutil

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from . import common as C
from . import shape_data as S
from .llama import NEG, LlamaConfig, LlamaForCausalLM, contract as llama_contract, export as llama_export

CHILD_INPUTS = 2048           # parent token (0..255) * 8 + child index (0..7)
DEFAULTS = {"temperature": 1.0, "top_k": 0, "top_p": 1.0, "cfg_formula": "uncond + (cond - uncond) * cfg_scale"}


def config(vocab: int, positions: int) -> LlamaConfig:
    # Small enough for a few thousand sequences of 585 entries in a 15-minute budget on one thread.
    return LlamaConfig(vocab_size=vocab, hidden_size=64, intermediate_size=192, num_hidden_layers=3,
                       num_attention_heads=4, max_position_embeddings=positions)


class OctreeLM(nn.Module):
    """Block-causal LLaMA over the 585 octree entries: input ids (see the module doc) -> logits [B, S, 256]."""

    def __init__(self, num_classes: int):
        super().__init__()
        self.cfg = config(256, S.SEQ)
        self.lm = LlamaForCausalLM(self.cfg)
        self.lm.model.embed_tokens = nn.Embedding(CHILD_INPUTS + num_classes + 1, self.cfg.hidden_size)
        nn.init.normal_(self.lm.model.embed_tokens.weight, std=0.02)
        level = np.concatenate([np.full(n, k) for k, n in enumerate(S.LEVEL_LEN)])
        self.register_buffer("level", torch.tensor(level, dtype=torch.long), persistent=False)

    def forward(self, input_ids):
        B, L = input_ids.shape
        lv = self.level[:L]
        allowed = lv.unsqueeze(0) <= lv.unsqueeze(1)                       # query level >= key level
        mask = torch.where(allowed, torch.zeros((), dtype=torch.float32), torch.full((), NEG))[None, None]
        pos = torch.arange(L).unsqueeze(0).expand(B, L)
        cos, sin = self.lm.rope(pos)
        x = self.lm.model.embed_tokens(input_ids)
        for layer in self.lm.model.layers:
            x, _, _ = layer(x, cos, sin, mask)
        return self.lm.lm_head(self.lm.model.norm(x))


def octree_inputs(tok: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """tokens (N, 585) + class ids (N,) -> input ids (N, 585); label C = the null class."""
    par, cid = S.parent_index()
    ids = np.empty_like(tok)
    ids[:, 0] = CHILD_INPUTS + labels
    ids[:, 1:] = tok[:, par[1:]] * 8 + cid[1:]
    return ids


def mirrored(vox: np.ndarray, labels: np.ndarray):
    """The shapes and their mirror images in x, in y and in both ([z, y, x] layout)."""
    v = np.concatenate([vox, vox[..., ::-1], vox[:, :, ::-1, :], vox[:, :, ::-1, ::-1]])
    return np.ascontiguousarray(v), np.concatenate([labels] * 4)


def train(model, batches, budget_s: float, lr: float, timer: C.Timer, name: str):
    decay = [p for p in model.parameters() if p.dim() >= 2]
    other = [p for p in model.parameters() if p.dim() < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.05}, {"params": other, "weight_decay": 0.0}],
                            lr=lr, betas=(0.9, 0.95))
    step, log, t0 = 0, [], timer()
    while True:
        frac = min(1.0, (timer() - t0) / budget_s)
        if frac >= 1.0:
            break
        for g in opt.param_groups:  # 50-step warm-up, cosine over the time budget to 5 %
            g["lr"] = lr * min(1.0, (step + 1) / 50) * (0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * frac)))
        loss = batches(step)
        opt.zero_grad(); loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step(); step += 1
        if step % 50 == 0:
            log.append({"step": step, "seconds": timer(), "loss": round(loss.item(), 4)})
            print(f"[{name}] step {step} loss {loss.item():.4f} ({timer()} s)", flush=True)
    return {"steps": step, "seconds": round(timer() - t0, 1), "log": log[-8:]}


def manifest(name, family, task, graphs, model, training, extra) -> dict:
    return {
        "name": name, "family": family, "version": 1, "task": task, "files": [],
        "contract": {"graphs": graphs, **extra.pop("contract", {})},
        "shape": {"classes": S.CLASSES, "grid": S.GRID, "levels": S.LEVELS},
        "tokens": S_TOKENS,
        "defaults": dict(DEFAULTS, cfg_scale=2.0),
        "parameters": C.count_params(model),
        "training": training,
        "toolchain": C.toolchain(),
        **extra,
    }


S_TOKENS = {
    "grid_layout": "occupancy[x + 16 * (y + 16 * z)] (x fastest)",
    "levels": "k = 0..3, resolution 2^k; node n = x + r (y + r z); token = 8-bit pattern of its 2x2x2 children "
              "(bit dx + 2 dy + 4 dz) at resolution 2r, occupied when any 16^3 voxel inside is (max-pool)",
    "sequence": "levels in order: 1 + 8 + 64 + 512 = 585 tokens; level 3 alone is the 16^3 grid",
    "consistency": "a node whose parent bit is 0 has token 0, one whose parent bit is 1 has token 1..255",
}


def main_octree(args, vox, lab, test, timer):
    name = "shape-octree"
    n_cls = len(S.CLASSES)
    tv, tl = mirrored(vox[~test], lab[~test])
    tok = torch.tensor(S.octree_tokens(tv))
    par, cid = S.parent_index()
    parent_bit = torch.ones_like(tok, dtype=torch.bool)
    parent_bit[:, 1:] = ((tok[:, torch.tensor(par[1:])] >> torch.tensor(cid[1:])) & 1).bool()
    labels = torch.tensor(tl)
    m = OctreeLM(n_cls)
    print(f"[{name}] {C.count_params(m)} parameters, {len(tok)} sequences (train split × 4 mirrors)", flush=True)
    bs = 16

    def batch(step):
        i = torch.randint(0, len(tok), (bs,))
        lb = labels[i].clone()
        lb[torch.rand(bs) < 0.1] = n_cls
        ids = torch.tensor(octree_inputs(tok[i].numpy(), lb.numpy()))
        logits = m(ids)
        keep = parent_bit[i]
        return F.cross_entropy(logits[keep], tok[i][keep])

    training = train(m, batch, args.budget_seconds, 2e-3, timer, name)
    folder = C.MODELS_DIR / name
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    m.eval()
    C.export_onnx(m, (torch.tensor(octree_inputs(S.octree_tokens(vox[:2]), lab[:2])),), folder / "scale_model.onnx",
                  ["input_ids"], ["logits"], {"input_ids": {0: "batch", 1: "seq"}, "logits": {0: "batch", 1: "seq"}})
    sess = C.ort_session(folder / "scale_model.onnx")
    parity = {}
    ids = torch.tensor(octree_inputs(S.octree_tokens(vox[:3]), lab[:3]))
    for L in S.LEVEL_START[1:] + [S.SEQ]:
        with torch.no_grad():
            want = m(ids[:, :L]).numpy()
        got = sess.run(["logits"], {"input_ids": ids[:, :L].numpy()})[0]
        parity[f"prefix {L}"] = C.check_parity(f"{name} prefix {L}", {"logits": got}, {"logits": want})
    graphs = {"scale_model": {
        "file": "scale_model.onnx",
        "inputs": {"input_ids": {"dtype": "int64", "shape": ["batch", "seq"],
                                 "note": "seq in {1, 9, 73, 585}: the prefix up to the end of the level predicted; "
                                         "p = 0: 2048 + class (2048 + C = null class); p >= 1: parent token * 8 + child index"}},
        "outputs": {"logits": {"dtype": "float32", "shape": ["batch", "seq", 256],
                               "note": "the entry at p predicts the token at p; attention is block-causal over levels"}},
    }}
    man = manifest(name, "shape-scale",
                   "class-conditional 3D part shapes (KiCad classes), next-scale prediction over octree levels: "
                   "one forward per level, 16^3 occupancy", graphs, m,
                   dict(training, command="tools/models/run.sh shape-octree", seed=args.seed, batch=bs, lr=2e-3,
                        budget_seconds=args.budget_seconds, class_dropout_for_cfg=0.1, threads=torch.get_num_threads(),
                        data="train split of models/voxel-classifier's data section, with x / y mirror images",
                        loss="cross-entropy on the nodes whose parent bit is set"),
                   {"contract": {"inputs_layout": {"class_input_offset": CHILD_INPUTS,
                                                   "null_class_input": CHILD_INPUTS + n_cls,
                                                   "child_input": "parent_token * 8 + child_index"}},
                    "generate": {
                        "loop": "for k = 0..3: run scale_model on the prefix ending with level k ([cond; uncond] rows "
                                "with guidance), take level k's logits, guide, mask, sample every node of the level",
                        "mask": "parent bit 0 -> only token 0; parent bit 1 (and the root) -> token 0 forbidden",
                        "previews": "level k's tokens give the occupancy at resolution 2^(k+1)"},
                    "parity": parity})
    C.write_json(folder / "model.json", man)
    man["files"] = [C.file_entry(folder, "scale_model.onnx")]
    C.write_json(folder / "model.json", man)
    print(f"[{name}] done in {timer()} s", flush=True)


def main_raster(args, vox, lab, test, timer):
    name = "shape-raster"
    n_cls = len(S.CLASSES)
    K = 256
    tv, tl = mirrored(vox[~test], lab[~test])
    codes = torch.tensor(S.octree_tokens(tv)[:, S.LEVEL_START[3]:])
    seqs = torch.cat([torch.tensor(tl + K).unsqueeze(1), codes], 1)
    cfg = config(K + n_cls + 1, 1 + 512)
    m = LlamaForCausalLM(cfg)
    print(f"[{name}] {C.count_params(m)} parameters, {len(seqs)} sequences", flush=True)
    bs = 16

    def batch(step):
        s = seqs[torch.randint(0, len(seqs), (bs,))].clone()
        s[torch.rand(bs) < 0.1, 0] = K + n_cls
        logits, _ = m(s[:, :-1])
        return F.cross_entropy(logits.reshape(-1, cfg.vocab_size), s[:, 1:].reshape(-1))

    training = train(m, batch, args.budget_seconds, 2e-3, timer, name)
    folder = C.MODELS_DIR / name
    if folder.exists():
        shutil.rmtree(folder)
    (folder / "onnx").mkdir(parents=True)
    m.eval()
    llama_export(m, folder / "onnx" / "model.onnx")
    sess = C.ort_session(folder / "onnx" / "model.onnx")
    ins = [i.name for i in sess.get_inputs()]
    s = seqs[:2, :40]
    with torch.no_grad():
        full, _ = m(s)
    H, D = cfg.num_attention_heads, cfg.head_dim
    empty = {n: np.zeros((2, H, 0, D), np.float32) for n in ins if n.startswith("past")}
    pre = 30
    out = sess.run(None, {"input_ids": s[:, :pre].numpy(), "attention_mask": np.ones((2, pre), np.int64),
                          "position_ids": np.tile(np.arange(pre), (2, 1)), **empty})
    past = {n: out[1 + j] for j, n in enumerate(n for n in ins if n.startswith("past"))}
    steps = [out[0][:, -1]]
    for t in range(pre, 40):
        o = sess.run(None, {"input_ids": s[:, t:t + 1].numpy(), "attention_mask": np.ones((2, t + 1), np.int64),
                            "position_ids": np.full((2, 1), t), **past})
        past = {n: o[1 + j] for j, n in enumerate(n for n in ins if n.startswith("past"))}
        steps.append(o[0][:, -1])
    parity = {
        "prefill_vs_pytorch": C.check_parity(f"{name} prefill", {"l": out[0]}, {"l": full[:, :pre].numpy()}),
        "kv_cached_steps_vs_full_sequence": C.check_parity(
            f"{name} kv steps", {"l": np.stack(steps[1:], 1)}, {"l": full[:, pre:40].numpy()}),
    }
    C.write_json(folder / "config.json", cfg.hf_config(bos_token_id=K + n_cls, eos_token_id=None, pad_token_id=None))
    graphs = {"decoder_lm": llama_contract(cfg, "onnx/model.onnx")}
    lay = {"codebook_size": K, "code_token_offset": 0, "class_token_offset": K, "num_classes": n_cls,
           "null_class_token": K + n_cls, "vocab_size": K + n_cls + 1, "image_tokens": 512, "grid": [8, 8, 8],
           "order": "raster over the level-3 nodes (x fastest)",
           "sequence": "[class token (256 + class), level-3 token 0 .. 511]; logits at position t predict token t",
           "sample_only": f"ids 0..{K - 1}", "position_ids": "0 for the class token, t + 1 for token t"}
    man = manifest(name, "shape-raster",
                   "class-conditional 3D part shapes (KiCad classes), next-token prediction over the 512 finest "
                   "octree tokens in raster order (the baseline of shape-octree)", graphs, m,
                   dict(training, command="tools/models/run.sh shape-raster", seed=args.seed, batch=bs, lr=2e-3,
                        budget_seconds=args.budget_seconds, class_dropout_for_cfg=0.1, threads=torch.get_num_threads(),
                        data="train split with x / y mirror images"),
                   {"contract": {"token_layout": lay}, "parity": parity})
    C.write_json(folder / "model.json", man)
    man["files"] = [C.file_entry(folder, f) for f in ("onnx/model.onnx", "config.json")]
    C.write_json(folder / "model.json", man)
    print(f"[{name}] done in {timer()} s", flush=True)


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("which", choices=["octree", "raster"])
    ap.add_argument("--budget-seconds", type=float, default=1400)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=None)
    ap.add_argument("--skip-eval", action="store_true")
    args = ap.parse_args(argv)
    C.setup(args.seed, args.threads)
    timer = C.Timer()
    d = S.load()
    vox, lab, test = d["vox"], d["labels"].astype(np.int64), d["test"].astype(bool)
    (main_octree if args.which == "octree" else main_raster)(args, vox, lab, test, timer)


if __name__ == "__main__":
    main()
