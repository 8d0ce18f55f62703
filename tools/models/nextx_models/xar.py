"""xAR (next-cell flow matching over continuous tokens), after OliverRensu/xAR models/xar.py + models/sampler.py.

    tools/models/run.sh xar [--budget-seconds S]     # models/xar-mnist

Tokens: 4x4 pixel patches (nextx_models/patch_tokens.py), 4 cells of 4x4 tokens (the quadrants), cell-major sequence.
Transformer with AdaLN per token (class + the token's own flow time), block-causal over cells. Path
x_t = (1 - t) x + t eps, the model predicts the velocity eps - x of every token. Noisy-context learning: in training
every cell has its own t (earlier cells clean, t = 0, with probability 1/2), the loss covers every token.
Exported: xar_step.onnx, one solver step of one cell with an explicit KV cache of the clean cells.
"""
from __future__ import annotations

import argparse
import math
import shutil
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from . import common as C
from . import eval as E
from . import patch_tokens as P
from .var import PlainLayerNorm

NAME = "xar-mnist"
CELL = len(P.CELLS[0])
NCELL = len(P.CELLS)


class Block(nn.Module):
    def __init__(self, D, H):
        super().__init__()
        self.h, self.hd = H, D // H
        self.ln = PlainLayerNorm(1e-6)
        self.qkv = nn.Linear(D, 3 * D)
        self.proj = nn.Linear(D, D)
        self.ffn = nn.Sequential(nn.Linear(D, 4 * D), nn.GELU(approximate="tanh"), nn.Linear(4 * D, D))
        self.ada = nn.Sequential(nn.SiLU(), nn.Linear(D, 6 * D))

    def forward(self, x, cond, bias, past_k=None, past_v=None):
        B, S, D = x.shape
        g1, g2, s1, s2, b1, b2 = self.ada(cond).view(B, S, 6, D).unbind(2)
        h = self.ln(x) * (s1 + 1) + b1
        q, k, v = self.qkv(h).view(B, S, 3, self.h, self.hd).permute(2, 0, 3, 1, 4).unbind(0)
        if past_k is not None:
            k = torch.cat([past_k, k], 2)
            v = torch.cat([past_v, v], 2)
        att = (q @ k.transpose(-1, -2)) / math.sqrt(self.hd) + bias
        y = (att.softmax(-1) @ v).transpose(1, 2).reshape(B, S, D)
        x = x + self.proj(y) * g1
        x = x + self.ffn(self.ln(x) * (s2 + 1) + b2) * g2
        return x, k, v


def time_embedding(t, dim):
    """Sinusoidal embedding of t in [0, 1] (scaled by 1000, as DiT's timestep embedder)."""
    half = dim // 2
    freqs = torch.exp(-math.log(10000.0) * torch.arange(half, dtype=torch.float32) / half)
    a = (t * 1000.0).unsqueeze(-1) * freqs
    return torch.cat([torch.cos(a), torch.sin(a)], -1)


class XAR(nn.Module):
    def __init__(self, width=128, depth=4, heads=4):
        super().__init__()
        D = width
        self.D, self.depth, self.heads = D, depth, heads
        self.inp = nn.Linear(P.DIM, D)
        self.pos = nn.Parameter(torch.randn(P.SEQ, D) * 0.02)
        self.class_emb = nn.Embedding(C.NUM_CLASSES + 1, D)
        self.t_mlp = nn.Sequential(nn.Linear(D, D), nn.SiLU(), nn.Linear(D, D))
        self.blocks = nn.ModuleList([Block(D, heads) for _ in range(depth)])
        self.out_ln = PlainLayerNorm(1e-6)
        self.out_ada = nn.Sequential(nn.SiLU(), nn.Linear(D, 2 * D))
        self.out = nn.Linear(D, P.DIM)
        with torch.no_grad():
            for b in self.blocks:
                b.ada[1].weight.mul_(0.1); b.ada[1].bias.zero_()
            self.out.weight.mul_(0.1); self.out.bias.zero_()

    def forward(self, tokens, timesteps, position_ids, class_labels, past):
        """tokens (B,S,16), timesteps (B,S), position_ids (B,S) cell-major positions; past: list of (k, v)."""
        cell_new = torch.div(position_ids[0], CELL, rounding_mode="floor")            # S
        allowed = (cell_new.view(1, -1) <= cell_new.view(-1, 1)).to(tokens.dtype)     # S,S
        new_bias = (allowed - 1.0) * 1e9
        past_bias = torch.zeros_like(past[0][0][0, 0, :, 0]).view(1, -1).expand(cell_new.shape[0], -1)
        bias = torch.cat([past_bias, new_bias], 1).view(1, 1, cell_new.shape[0], -1)
        cond = self.class_emb(class_labels).unsqueeze(1) + self.t_mlp(time_embedding(timesteps, self.D))
        x = self.inp(tokens) + self.pos[position_ids]
        presents = []
        for i, b in enumerate(self.blocks):
            x, k, v = b(x, cond, bias, past[i][0], past[i][1])
            presents.append((k, v))
        sc, sh = self.out_ada(cond).view(*cond.shape[:2], 2, self.D).unbind(2)
        return self.out(self.out_ln(x) * (sc + 1) + sh), presents

    def empty_past(self, B):
        z = torch.zeros(B, self.heads, 0, self.D // self.heads)
        return [(z, z) for _ in range(self.depth)]


class StepWrapper(nn.Module):
    def __init__(self, m: XAR):
        super().__init__()
        self.m = m

    def forward(self, tokens, timesteps, position_ids, class_labels, *flat):
        past = [(flat[2 * i], flat[2 * i + 1]) for i in range(self.m.depth)]
        v, presents = self.m(tokens, timesteps, position_ids, class_labels, past)
        out = [v]
        for k, vv in presents:
            out += [k, vv]
        return tuple(out)


ORDER = torch.tensor(P.CELL_ORDER)


def train(m: XAR, budget: float, seed: int, mnist) -> dict:
    xtr, ytr, _, _ = C.load_mnist(mnist)
    ema = XAR(m.D, m.depth, m.heads); ema.load_state_dict(m.state_dict())
    opt = torch.optim.AdamW(m.parameters(), lr=6e-4, weight_decay=0.0, betas=(0.9, 0.99))
    g = torch.Generator().manual_seed(seed)
    B = 64
    pos = torch.arange(P.SEQ).unsqueeze(0).expand(B, -1)
    t0 = time.time(); step = 0; losses = []
    while time.time() - t0 < budget:
        idx = torch.randint(0, len(xtr), (B,), generator=g)
        x = C.random_shift(xtr[idx], 1)
        tok = P.patchify(x)[:, ORDER]                          # B,64,16 cell-major
        y = ytr[idx].clone(); y[torch.rand(B, generator=g) < 0.1] = C.NUM_CLASSES
        tc = torch.rand(B, NCELL, generator=g)                 # one t per cell
        clean = torch.rand(B, NCELL, generator=g) < 0.5        # noisy-context learning: earlier cells clean half the time
        clean[:, -1] = False
        tc = torch.where(clean, torch.zeros_like(tc), tc)
        t = tc.repeat_interleave(CELL, 1)                      # B,64
        eps = torch.randn(tok.shape, generator=g)
        xt = (1 - t.unsqueeze(-1)) * tok + t.unsqueeze(-1) * eps
        v, _ = m(xt, t, pos, y, m.empty_past(B))
        w = (~clean).repeat_interleave(CELL, 1).float().unsqueeze(-1)   # loss on the noisy cells
        loss = (((v - (eps - tok)) ** 2) * w).sum() / (w.sum() * P.DIM)
        C.step_with_ema(opt, m, ema, loss, step, 6e-4)
        losses.append(loss.item()); step += 1
        if step % 200 == 0:
            print(f"[xar] step {step} loss {np.mean(losses[-200:]):.4f} ({time.time() - t0:.0f} s)", flush=True)
    m.load_state_dict(ema.state_dict())
    C.CACHE_DIR.mkdir(parents=True, exist_ok=True)
    torch.save(m.state_dict(), C.CACHE_DIR / f"{NAME}.pt")  # the EMA weights, for a later look or export
    return {"steps": step, "seconds": round(time.time() - t0, 1), "batch": B, "final_loss": round(float(np.mean(losses[-200:])), 4),
            "optimizer": "AdamW lr 6e-4 (300-step warm-up), betas (0.9, 0.99), grad clip 1, EMA 0.999 (exported)",
            "noisy_context": "one t ~ U(0,1) per cell; each earlier cell is clean (t = 0) with probability 1/2; loss on the noisy cells",
            "augmentation": "random integer shifts of up to 1 pixel", "class_dropout": 0.1}


# ---------------------------------------------------------------- sampling through the ONNX graph (numpy)

def sample_onnx(sess, labels, cfg, steps, seed, depth, heads, hd, batch=500):
    rng = np.random.default_rng(seed)
    names = [o.name for o in sess.get_outputs()]
    grid = np.concatenate([np.linspace(1, 0.04, steps), [0.0]])
    out = []
    for s in range(0, len(labels), batch):
        lab = labels[s:s + batch].astype(np.int64); B = len(lab)
        guided = cfg != 1.0
        cls = np.concatenate([lab, np.full(B, C.NUM_CLASSES)]) if guided else lab
        R = len(cls)
        past = {f"past_key_values.{i}.{k}": np.zeros((R, heads, 0, hd), np.float32) for i in range(depth) for k in ("key", "value")}
        seq = np.zeros((B, P.SEQ, P.DIM), np.float32)
        for k in range(NCELL):
            scale = 1 + (cfg - 1) * k / (NCELL - 1)
            x = rng.standard_normal((B, CELL, P.DIM)).astype(np.float32)
            for i in range(steps):
                t = grid[i]; dt = grid[i + 1] - t
                xin = np.concatenate([x, x]) if guided else x
                if i == 0 and k > 0:
                    prev = seq[:, (k - 1) * CELL:k * CELL]
                    prev = np.concatenate([prev, prev]) if guided else prev
                    tok = np.concatenate([prev, xin], 1)
                    ts = np.concatenate([np.zeros((R, CELL)), np.full((R, CELL), t)], 1).astype(np.float32)
                    pos = np.tile(np.arange((k - 1) * CELL, (k + 1) * CELL), (R, 1))
                else:
                    tok = xin; ts = np.full((R, CELL), t, np.float32)
                    pos = np.tile(np.arange(k * CELL, (k + 1) * CELL), (R, 1))
                o = dict(zip(names, sess.run(None, {"tokens": tok.astype(np.float32), "timesteps": ts,
                                                    "position_ids": pos.astype(np.int64), "class_labels": cls, **past})))
                v = o["velocity"][:, -CELL:]
                if guided: v = v[B:] + scale * (v[:B] - v[B:])
                if i == 0 and k > 0:
                    Pn = past["past_key_values.0.key"].shape[2]
                    past = {f"past_key_values.{j}.{kk}": o[f"present.{j}.{kk}"][:, :, :Pn + CELL] for j in range(depth) for kk in ("key", "value")}
                score = -(x + (1 - t) * v) / t
                drift = v - 0.5 * (2 * t) * score
                x = x + drift * dt
                if i < steps - 1:
                    x = x + np.sqrt(2 * t) * np.sqrt(abs(dt)) * rng.standard_normal(x.shape).astype(np.float32)
            seq[:, k * CELL:(k + 1) * CELL] = x
        grid_tokens = np.zeros_like(seq); grid_tokens[:, P.CELL_ORDER] = seq
        out.append(P.unpatchify(grid_tokens))
    return np.concatenate(out)


def export(m: XAR, folder: Path):
    m.eval()
    w = StepWrapper(m)
    B, S, hd = 2, 2 * CELL, m.D // m.heads
    past = [torch.randn(B, m.heads, CELL, hd) for _ in range(2 * m.depth)]
    args = (torch.randn(B, S, P.DIM), torch.rand(B, S), torch.arange(CELL, 3 * CELL).unsqueeze(0).repeat(B, 1),
            torch.tensor([3, 10]), *past)
    pin = [f"past_key_values.{i}.{k}" for i in range(m.depth) for k in ("key", "value")]
    pout = [f"present.{i}.{k}" for i in range(m.depth) for k in ("key", "value")]
    axes = {"tokens": {0: "batch", 1: "seq"}, "timesteps": {0: "batch", 1: "seq"}, "position_ids": {0: "batch", 1: "seq"},
            "class_labels": {0: "batch"}, "velocity": {0: "batch", 1: "seq"}, **C.kv_dynamic_axes(pin, pout)}
    C.export_onnx(w, args, folder / "xar_step.onnx", ["tokens", "timesteps", "position_ids", "class_labels", *pin],
                  ["velocity", *pout], axes)
    sess = C.ort_session(folder / "xar_step.onnx")
    with torch.no_grad():
        want = w(*args)
    got = sess.run(None, {n: a.numpy() for n, a in zip(["tokens", "timesteps", "position_ids", "class_labels", *pin], args)})
    onnx_err = C.check_parity("xar_step", {"velocity": got[0]}, {"velocity": want[0].numpy()})
    # a cached cell-by-cell pass vs one full forward over the same (clean-context) inputs
    torch.manual_seed(1)
    tok = torch.randn(1, P.SEQ, P.DIM); ts = torch.zeros(1, P.SEQ); ts[:, -CELL:] = 0.3
    with torch.no_grad():
        full, _ = m(tok, ts, torch.arange(P.SEQ).unsqueeze(0), torch.tensor([4]), m.empty_past(1))
    pastn = {f"past_key_values.{i}.{k}": np.zeros((1, m.heads, 0, hd), np.float32) for i in range(m.depth) for k in ("key", "value")}
    names = [o.name for o in sess.get_outputs()]
    for k in range(NCELL):
        sl = slice(max(0, k - 1) * CELL, (k + 1) * CELL)
        feed = {"tokens": tok[:, sl].numpy(), "timesteps": ts[:, sl].numpy(),
                "position_ids": np.arange(sl.start, sl.stop)[None].astype(np.int64), "class_labels": np.array([4]), **pastn}
        o = dict(zip(names, sess.run(None, feed)))
        if k > 0:  # keep the clean previous cell's entries only, as the service's cache does
            Pn = pastn["past_key_values.0.key"].shape[2]
            pastn = {f"past_key_values.{i}.{kk}": o[f"present.{i}.{kk}"][:, :, :Pn + CELL] for i in range(m.depth) for kk in ("key", "value")}
    # The last call gives the last cell's velocity with the cache of cells 0..2 (first call keeps nothing: cell 0 is
    # fed again as context of cell 1).
    cache_err = C.check_parity("xar_step cached", {"v": o["velocity"][:, -CELL:]}, {"v": full[:, -CELL:].numpy()})
    return {"onnx_vs_torch": onnx_err, "cached_cells_vs_full_forward": cache_err, "tolerance": 1e-4}


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--budget-seconds", type=float, default=1380)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--mnist", default=str(C.default_mnist_dir()))
    ap.add_argument("--per-class", type=int, default=100)
    ap.add_argument("--sweep-per-class", type=int, default=20)
    args = ap.parse_args(argv)
    C.setup(args.seed, args.threads)
    folder = C.MODELS_DIR / NAME
    shutil.rmtree(folder, ignore_errors=True); folder.mkdir(parents=True)
    m = XAR()
    info = train(m, args.budget_seconds, args.seed, args.mnist)
    print(f"[xar] trained {info}", flush=True)
    parity = export(m, folder)
    sess = C.ort_session(folder / "xar_step.onnx")
    scorer = E.Scorer(args.mnist)
    hd = m.D // m.heads
    sweep = []
    lab200 = E.labels_for(args.sweep_per_class)
    for steps, cfg in ((25, 2.0), (25, 3.0), (25, 4.0), (50, 3.0)):
        if True:
            t = time.time()
            r = scorer.score(sample_onnx(sess, lab200, cfg, steps, 1, m.depth, m.heads, hd), lab200)
            row = {"flow_steps": steps, "cfg_scale": cfg, "samples": len(lab200), "class_agreement": r["class_agreement"],
                   "frechet_distance": r["frechet_distance"], "seconds": round(time.time() - t, 1)}
            print(f"[xar] sweep {row}", flush=True); sweep.append(row)
    best = min(sweep, key=lambda r: r["frechet_distance"])
    defaults = {"cfg_scale": best["cfg_scale"], "temperature": 1.0, "top_k": 0, "top_p": 1.0, "flow_steps": best["flow_steps"]}
    labels = E.labels_for(args.per_class)
    t = time.time()
    imgs = sample_onnx(sess, labels, defaults["cfg_scale"], defaults["flow_steps"], args.seed, m.depth, m.heads, hd)
    res = scorer.score(imgs, labels)
    res.update({"samples": len(labels), "samples_per_class": args.per_class, "seed": args.seed, "settings": defaults,
                "generation_seconds": round(time.time() - t, 1), "classifier": "models/mnist-classifier/classifier.onnx",
                "reference": "classifier features of the 2,000 real test digits",
                "measured_with": "onnxruntime (Python) on the exported graph", "command": "tools/models/run.sh xar"})
    print(f"[xar] eval {res['class_agreement']} FD {res['frechet_distance']}", flush=True)
    C.save_grid(np.concatenate([imgs[labels == c][:10] for c in range(10)]), folder / "samples.png")
    comparison = {n: {k: C.read_json(C.MODELS_DIR / n / "model.json")["eval"][k] for k in ("class_agreement", "frechet_distance")}
                  for n in ("var-mnist", "llama-mnist")}
    step_io = {
        "inputs": {"tokens": {"dtype": "float32", "shape": ["batch", "seq", P.DIM], "note": "seq 16 (the noisy cell) or 32 (the clean previous cell, then the noisy cell)"},
                   "timesteps": {"dtype": "float32", "shape": ["batch", "seq"], "note": "per-token flow time: 0 for the clean cell"},
                   "position_ids": {"dtype": "int64", "shape": ["batch", "seq"], "note": "cell-major sequence positions 0..63"},
                   "class_labels": {"dtype": "int64", "shape": ["batch"], "note": "0..9, 10 = null class (CFG)"},
                   "past_key_values.{i}.key": {"dtype": "float32", "shape": ["batch", m.heads, "past", hd]},
                   "past_key_values.{i}.value": {"dtype": "float32", "shape": ["batch", m.heads, "past", hd]}},
        "outputs": {"velocity": {"dtype": "float32", "shape": ["batch", "seq", P.DIM], "note": "eps - x; the caller reads the last 16 rows"},
                    "present.{i}.key": {"dtype": "float32", "shape": ["batch", m.heads, "past + seq", hd]},
                    "present.{i}.value": {"dtype": "float32", "shape": ["batch", m.heads, "past + seq", hd]}}}
    man = {
        "name": NAME, "family": "xar", "version": 1,
        "task": "class-conditional MNIST digit generation, next-cell flow matching (xAR) over continuous 4x4 pixel-patch tokens",
        "files": [C.file_entry(folder, "xar_step.onnx"), C.file_entry(folder, "samples.png")],
        "contract": {"graphs": {"step": {"file": "xar_step.onnx", **step_io, "num_layers": m.depth, "num_heads": m.heads, "head_dim": hd}},
                     "tokens": {**P.contract(cells=True), "sequence_order": P.CELL_ORDER},
                     "num_classes": C.NUM_CLASSES, "null_class": C.NUM_CLASSES, "codebook_size": 0,
                     "image": {"shape": [1, 32, 32], "range": [0, 1], "note": "28x28 digit padded by 2 pixels"},
                     "flow": {"path": "x_t = (1 - t) x + t eps", "prediction": "velocity eps - x", "solver": "euler-maruyama",
                              "t_end": 0.04, "cfg_ramp": "1 + (cfg - 1) * k / (cells - 1)"}},
        "defaults": defaults,
        "parameters": C.count_params(m),
        "architecture": {"width": m.D, "depth": m.depth, "heads": m.heads, "conditioning": "AdaLN per token on class embedding + time embedding",
                         "attention": "block-causal over the 4 cells", "why_tokens": "raw 4x4 pixel patches (no autoencoder): nothing to train or decode, chosen for the time budget"},
        "training": {**info, "command": C.command_line(), "seed": args.seed, "threads": args.threads},
        "data": C.data_source(Path(args.mnist)), "parity": parity, "toolchain": C.toolchain(),
        "sweep": sweep, "comparison": comparison, "eval": res,
    }
    C.write_json(folder / "model.json", man)
    print(f"[xar] wrote {folder}", flush=True)


if __name__ == "__main__":
    main()
