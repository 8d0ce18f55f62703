"""MAR (masked autoregression over continuous tokens with a per-token diffusion head), after LTH14/mar
models/mar.py (sample_tokens) and models/diffloss.py (SimpleMLPAdaLN, DiffLoss).

    tools/models/run.sh mar [--budget-seconds S]          # models/mar-mnist
    tools/models/run.sh mar-draft [--budget-seconds S]    # models/mar-mnist-draft (smaller; draft for CSpD)

Tokens: 4x4 pixel patches (nextx_models/patch_tokens.py), 64 per digit, grid raster order. Backbone: a bidirectional
AdaLN transformer over the canvas (known tokens embedded, unknown ones a learned mask embedding; class by AdaLN; MAR's
MAE encoder/decoder pair is one encoder here). Head: MAR's SimpleMLPAdaLN, eps-prediction on the cosine schedule
(T = 1000), fixed variance (beta, ADM's default without learned sigma). Training as MAR: a random order per image, mask
ratio from a truncated normal (mean 1, std 0.25, [0.7, 1]), diffusion loss on the masked tokens, 4 noise draws each.
Exported: mar_backbone.onnx (canvas -> z per position) and mar_head.onnx (x_t, t, z -> eps).
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

from . import common as C
from . import eval as E
from . import patch_tokens as P
from .var import PlainLayerNorm
from .xar import Block, time_embedding

T_TRAIN = 1000


def cosine_alphas_cumprod(T=T_TRAIN, max_beta=0.999) -> np.ndarray:
    """ADM get_named_beta_schedule('cosine'): betas from alpha_bar(t) = cos((t/T + 0.008)/1.008 * pi/2)^2."""
    f = lambda t: math.cos((t + 0.008) / 1.008 * math.pi / 2) ** 2
    betas = np.array([min(1 - f((i + 1) / T) / f(i / T), max_beta) for i in range(T)], np.float64)
    return np.cumprod(1 - betas)


class Backbone(nn.Module):
    def __init__(self, width, depth, heads, zdim):
        super().__init__()
        D = width
        self.D = D
        self.inp = nn.Linear(P.DIM, D)
        self.mask_emb = nn.Parameter(torch.zeros(D))
        self.pos = nn.Parameter(torch.randn(P.SEQ, D) * 0.02)
        self.class_emb = nn.Embedding(C.NUM_CLASSES + 1, D)
        self.blocks = nn.ModuleList([Block(D, heads) for _ in range(depth)])
        self.out_ln = PlainLayerNorm(1e-6)
        self.out = nn.Linear(D, zdim)

    def forward(self, tokens, mask, class_labels):
        m = mask.unsqueeze(-1)
        x = self.inp(tokens) * (1 - m) + self.mask_emb * m + self.pos
        cond = self.class_emb(class_labels).unsqueeze(1).expand(-1, P.SEQ, -1)
        bias = torch.zeros_like(mask[:1, :1]).view(1, 1, 1, 1)
        for b in self.blocks:
            x, _, _ = b(x, cond, bias)
        return self.out(self.out_ln(x))


class ResBlock(nn.Module):
    def __init__(self, W):
        super().__init__()
        self.ln = nn.LayerNorm(W, eps=1e-6)
        self.mlp = nn.Sequential(nn.Linear(W, W), nn.SiLU(), nn.Linear(W, W))
        self.ada = nn.Sequential(nn.SiLU(), nn.Linear(W, 3 * W))

    def forward(self, h, c):
        shift, scale, gate = self.ada(c).chunk(3, -1)
        return h + gate * self.mlp(self.ln(h) * (1 + scale) + shift)


class Head(nn.Module):
    """MAR SimpleMLPAdaLN: eps of x_t given t and the backbone's z."""

    def __init__(self, width, blocks, zdim):
        super().__init__()
        W = width
        self.W = W
        self.inp = nn.Linear(P.DIM, W)
        self.t_mlp = nn.Sequential(nn.Linear(W, W), nn.SiLU(), nn.Linear(W, W))
        self.z_proj = nn.Linear(zdim, W)
        self.blocks = nn.ModuleList([ResBlock(W) for _ in range(blocks)])
        self.final_ln = PlainLayerNorm(1e-6)
        self.final_ada = nn.Sequential(nn.SiLU(), nn.Linear(W, 2 * W))
        self.out = nn.Linear(W, P.DIM)
        with torch.no_grad():
            for b in self.blocks:
                b.ada[1].weight.zero_(); b.ada[1].bias.zero_()
            self.final_ada[1].weight.zero_(); self.final_ada[1].bias.zero_()
            self.out.weight.zero_(); self.out.bias.zero_()

    def forward(self, x, t, z):
        c = self.t_mlp(time_embedding(t.to(x.dtype) / T_TRAIN, self.W)) + self.z_proj(z)
        h = self.inp(x)
        for b in self.blocks:
            h = b(h, c)
        shift, scale = self.final_ada(c).chunk(2, -1)
        return self.out(self.final_ln(h) * (1 + scale) + shift)


class MAR(nn.Module):
    def __init__(self, width, depth, heads, zdim, head_width, head_blocks):
        super().__init__()
        self.cfg = dict(width=width, depth=depth, heads=heads, zdim=zdim, head_width=head_width, head_blocks=head_blocks)
        self.backbone = Backbone(width, depth, heads, zdim)
        self.head = Head(head_width, head_blocks, zdim)


SIZES = {"mar-mnist": dict(width=128, depth=4, heads=4, zdim=128, head_width=128, head_blocks=3),
         "mar-mnist-draft": dict(width=64, depth=2, heads=4, zdim=64, head_width=64, head_blocks=2)}


def train(m: MAR, budget: float, seed: int, mnist) -> dict:
    xtr, ytr, _, _ = C.load_mnist(mnist)
    ema = MAR(**m.cfg); ema.load_state_dict(m.state_dict())
    opt = torch.optim.AdamW(m.parameters(), lr=6e-4, weight_decay=0.0, betas=(0.9, 0.95))
    g = torch.Generator().manual_seed(seed)
    ab = torch.tensor(cosine_alphas_cumprod(), dtype=torch.float32)
    B, MUL = 64, 4
    t0 = time.time(); step = 0; losses = []
    while time.time() - t0 < budget:
        idx = torch.randint(0, len(xtr), (B,), generator=g)
        tok = P.patchify(C.random_shift(xtr[idx], 1))
        y = ytr[idx].clone(); y[torch.rand(B, generator=g) < 0.1] = C.NUM_CLASSES
        # MAR: mask rate ~ truncnorm(mean 1, std 0.25) on [0.7, 1]; the masked tokens are a random set
        rate = torch.empty(B)
        for i in range(B):
            r = 2.0
            while not (0.7 <= r <= 1.0):
                r = 1.0 + 0.25 * torch.randn((), generator=g).item()
            rate[i] = r
        n_mask = torch.ceil(rate * P.SEQ).long()
        order = torch.argsort(torch.rand(B, P.SEQ, generator=g), 1)
        rank = torch.argsort(order, 1)
        mask = (rank < n_mask.unsqueeze(1)).float()
        z = m.backbone(tok, mask, y)                                   # B,64,Z
        sel = mask.bool()
        x0 = tok[sel].repeat(MUL, 1); zz = z[sel].repeat(MUL, 1)
        t = torch.randint(0, T_TRAIN, (x0.shape[0],), generator=g)
        eps = torch.randn(x0.shape, generator=g)
        a = ab[t].unsqueeze(-1)
        xt = a.sqrt() * x0 + (1 - a).sqrt() * eps
        loss = ((m.head(xt, t, zz) - eps) ** 2).mean()
        C.step_with_ema(opt, m, ema, loss, step, 6e-4)
        losses.append(loss.item()); step += 1
        if step % 200 == 0:
            print(f"[mar] step {step} loss {np.mean(losses[-200:]):.4f} ({time.time() - t0:.0f} s)", flush=True)
    m.load_state_dict(ema.state_dict())
    C.CACHE_DIR.mkdir(parents=True, exist_ok=True)
    torch.save(m.state_dict(), C.CACHE_DIR / ("mar-draft.pt" if m.cfg["width"] < 128 else "mar.pt"))
    return {"steps": step, "seconds": round(time.time() - t0, 1), "batch": B, "diffusion_batch_mul": MUL,
            "final_loss": round(float(np.mean(losses[-200:])), 4),
            "optimizer": "AdamW lr 6e-4 (300-step warm-up), betas (0.9, 0.95), grad clip 1, EMA 0.999 (exported)",
            "masking": "random order per image; mask rate ~ truncated normal (mean 1, std 0.25) on [0.7, 1]",
            "augmentation": "random integer shifts of up to 1 pixel", "class_dropout": 0.1}


# ---------------------------------------------------------------- sampling through the ONNX graphs (numpy)


def space_timesteps(T: int, n: int) -> list[int]:
    """ADM space_timesteps(T, str(n)) with one section: round(i * (T - 1) / (n - 1)), Python rounding."""
    stride = (T - 1) / (n - 1) if n > 1 else 1
    return sorted({round(i * stride) for i in range(n)})


class Ddpm:
    """ADM p_sample on the respaced chain: eps-prediction, fixed variance ('fixedLarge' = beta, 'fixedSmall' = the
    posterior variance), no x0 clipping."""

    def __init__(self, n: int, variance: str = "fixedLarge"):
        ab_full = cosine_alphas_cumprod()
        self.timesteps = space_timesteps(T_TRAIN, n)
        ab = ab_full[self.timesteps]
        prev = np.concatenate([[1.0], ab[:-1]])
        betas = 1 - ab / prev
        post_var = betas * (1 - prev) / (1 - ab)
        self.recip, self.recipm1 = np.sqrt(1 / ab), np.sqrt(1 / ab - 1)
        self.c1 = betas * np.sqrt(prev) / (1 - ab)
        self.c2 = (1 - prev) * np.sqrt(1 - betas) / (1 - ab)
        first = post_var[1] if n > 1 else post_var[0]
        large = np.concatenate([[first], betas[1:]])
        small = np.concatenate([[first], post_var[1:]])
        self.logvar = np.log(large if variance == "fixedLarge" else small)

    def mean(self, k, x, eps):
        # x0 clipped to the token range [-1, 1] (ADM clip_denoised=True; MAR passes False): at t = 999 of the cosine
        # schedule 1/sqrt(alpha_bar) is 2e4, so a small model's eps error would otherwise blow x0 up
        x0 = np.clip(self.recip[k] * x - self.recipm1[k] * eps, -1, 1)
        return self.c1[k] * x0 + self.c2[k] * x


def cosine_mask_lens(num_iter: int, L: int = P.SEQ) -> list[int]:
    lens, m = [], L
    for k in range(num_iter):
        m = max(1, min(m - 1, int(math.floor(L * math.cos(math.pi / 2 * (k + 1) / num_iter)))))
        lens.append(m)
    return lens


def head_eps(head, x, t, z, scale, guided):
    n = x.shape[0] // (2 if guided else 1)
    eps = head.run(None, {"x": x.astype(np.float32), "t": t.astype(np.int64), "z": z.astype(np.float32)})[0]
    if guided:
        g = eps[n:] + scale * (eps[:n] - eps[n:])
        return g
    return eps


def sample_onnx(backbone, head, labels, settings, seed, batch=500):
    rng = np.random.default_rng(seed)
    cfg, temp = settings["cfg_scale"], settings["temperature"]
    K, n = settings["num_iter"], settings["num_sampling_steps"]
    ddpm = Ddpm(n, settings.get("variance", "fixedLarge"))
    lens = cosine_mask_lens(K)
    out = []
    for s in range(0, len(labels), batch):
        lab = labels[s:s + batch].astype(np.int64); B = len(lab)
        guided = cfg != 1.0
        cls = np.concatenate([lab, np.full(B, C.NUM_CLASSES)]) if guided else lab
        canvas = np.zeros((B, P.SEQ, P.DIM), np.float32); mask = np.ones((B, P.SEQ), np.float32)
        orders = np.stack([rng.permutation(P.SEQ) for _ in range(B)])
        before = P.SEQ
        for k in range(K):
            c2 = np.concatenate([canvas, canvas]) if guided else canvas
            m2 = np.concatenate([mask, mask]) if guided else mask
            z = backbone.run(None, {"tokens": c2, "mask": m2, "class_labels": cls})[0]
            keep = 0 if k == K - 1 else lens[k]
            pos = orders[:, keep:before]                                  # B, npred
            npred = pos.shape[1]
            rows = np.arange(B)[:, None]
            zc = z[:B][rows, pos].reshape(B * npred, -1)
            zz = np.concatenate([zc, z[B:][rows, pos].reshape(B * npred, -1)]) if guided else zc
            scale = 1 + (cfg - 1) * (P.SEQ - lens[k]) / P.SEQ
            x = rng.standard_normal((B * npred, P.DIM))
            for i, t in enumerate(reversed(ddpm.timesteps)):
                kk = len(ddpm.timesteps) - 1 - i
                xin = np.concatenate([x, x]) if guided else x
                eps = head_eps(head, xin, np.full(len(xin), t), zz, scale, guided)
                mu = ddpm.mean(kk, x, eps)
                x = mu + (np.exp(0.5 * ddpm.logvar[kk]) * rng.standard_normal(x.shape) * temp if kk > 0 else 0)
            canvas[rows, pos] = x.reshape(B, npred, P.DIM).astype(np.float32)
            mask[rows, pos] = 0
            before = keep
        out.append(P.unpatchify(canvas))
    return np.concatenate(out)


def export(m: MAR, folder: Path) -> dict:
    m.eval()
    B = 3
    tok = torch.randn(B, P.SEQ, P.DIM); mask = (torch.rand(B, P.SEQ) < 0.5).float(); cls = torch.tensor([1, 5, 10])
    C.export_onnx(m.backbone, (tok, mask, cls), folder / "mar_backbone.onnx", ["tokens", "mask", "class_labels"], ["z"],
                  {"tokens": {0: "batch"}, "mask": {0: "batch"}, "class_labels": {0: "batch"}, "z": {0: "batch"}})
    x = torch.randn(7, P.DIM); t = torch.randint(0, T_TRAIN, (7,)); z = torch.randn(7, m.cfg["zdim"])
    C.export_onnx(m.head, (x, t, z), folder / "mar_head.onnx", ["x", "t", "z"], ["eps"],
                  {"x": {0: "n"}, "t": {0: "n"}, "z": {0: "n"}, "eps": {0: "n"}})
    with torch.no_grad():
        want_z = m.backbone(tok, mask, cls).numpy(); want_e = m.head(x, t, z).numpy()
    got_z = C.ort_session(folder / "mar_backbone.onnx").run(None, {"tokens": tok.numpy(), "mask": mask.numpy(), "class_labels": cls.numpy()})[0]
    got_e = C.ort_session(folder / "mar_head.onnx").run(None, {"x": x.numpy(), "t": t.numpy(), "z": z.numpy()})[0]
    return {"backbone": C.check_parity("mar_backbone", {"z": got_z}, {"z": want_z}),
            "head": C.check_parity("mar_head", {"eps": got_e}, {"eps": want_e}), "tolerance": 1e-4}


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--draft", action="store_true")
    ap.add_argument("--from-cache", action="store_true", help="skip training: load tools/models/.cache/mar[-draft].pt")
    ap.add_argument("--budget-seconds", type=float, default=None)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--mnist", default=str(C.default_mnist_dir()))
    ap.add_argument("--per-class", type=int, default=100)
    ap.add_argument("--sweep-per-class", type=int, default=20)
    args = ap.parse_args(argv)
    name = "mar-mnist-draft" if args.draft else "mar-mnist"
    budget = args.budget_seconds or (480 if args.draft else 1380)
    C.setup(args.seed, args.threads)
    folder = C.MODELS_DIR / name
    shutil.rmtree(folder, ignore_errors=True); folder.mkdir(parents=True)
    m = MAR(**SIZES[name])
    cache = C.CACHE_DIR / ("mar-draft" if args.draft else "mar")
    if args.from_cache:  # evaluate the weights of an earlier training again (its record is kept beside them)
        m.load_state_dict(torch.load(cache.with_suffix(".pt")))
        info = {**C.read_json(cache.with_suffix(".json")), "evaluated_from": str(cache.with_suffix(".pt").name)}
    else:
        info = train(m, budget, args.seed, args.mnist)
        C.write_json(cache.with_suffix(".json"), info)
    print(f"[mar] {name} trained {info}", flush=True)
    parity = export(m, folder)
    backbone, head = C.ort_session(folder / "mar_backbone.onnx"), C.ort_session(folder / "mar_head.onnx")
    scorer = E.Scorer(args.mnist)
    sweep = []
    lab = E.labels_for(args.sweep_per_class)
    if args.draft:  # the draft runs at its target's defaults
        defaults = dict(C.read_json(C.MODELS_DIR / "mar-mnist" / "model.json")["defaults"])
    else:
        grid = [dict(num_iter=k, num_sampling_steps=n, cfg_scale=c, temperature=tau, variance=v)
                for k, n, c, tau, v in [(16, 50, 3.0, 1.0, "fixedLarge"), (16, 50, 3.0, 1.0, "fixedSmall"),
                                        (16, 50, 2.0, 1.0, "fixedSmall"), (16, 50, 4.0, 1.0, "fixedSmall"),
                                        (8, 50, 3.0, 1.0, "fixedSmall")]]
        for row in grid:
            t0 = time.time()
            r = scorer.score(sample_onnx(backbone, head, lab, row, 1), lab)
            row = {**row, "samples": len(lab), "class_agreement": r["class_agreement"],
                   "frechet_distance": r["frechet_distance"], "seconds": round(time.time() - t0, 1)}
            print(f"[mar] sweep {row}", flush=True); sweep.append(row)
        best = min(sweep, key=lambda r: r["frechet_distance"])
        defaults = {"cfg_scale": best["cfg_scale"], "temperature": best["temperature"], "top_k": 0, "top_p": 1.0,
                    "num_iter": best["num_iter"], "num_sampling_steps": best["num_sampling_steps"],
                    "variance": best["variance"]}
    labels = E.labels_for(args.per_class)
    t0 = time.time()
    imgs = sample_onnx(backbone, head, labels, defaults, args.seed)
    res = scorer.score(imgs, labels)
    res.update({"samples": len(labels), "samples_per_class": args.per_class, "seed": args.seed, "settings": defaults,
                "generation_seconds": round(time.time() - t0, 1), "classifier": "models/mnist-classifier/classifier.onnx",
                "reference": "classifier features of the 2,000 real test digits",
                "measured_with": "onnxruntime (Python) on the exported graphs",
                "command": f"tools/models/run.sh {'mar-draft' if args.draft else 'mar'}"})
    print(f"[mar] {name} eval {res['class_agreement']} FD {res['frechet_distance']}", flush=True)
    C.save_grid(np.concatenate([imgs[labels == c][:10] for c in range(10)]), folder / "samples.png")
    comparison = {n: {k: C.read_json(C.MODELS_DIR / n / "model.json")["eval"][k] for k in ("class_agreement", "frechet_distance")}
                  for n in ("var-mnist", "llama-mnist")}
    zdim = m.cfg["zdim"]
    man = {
        "name": name, "family": "mar", "version": 1,
        "task": "class-conditional MNIST digit generation, masked autoregression (MAR) with a per-token diffusion head over continuous 4x4 pixel-patch tokens",
        "files": [C.file_entry(folder, f) for f in ("mar_backbone.onnx", "mar_head.onnx", "samples.png")],
        "contract": {
            "graphs": {
                "backbone": {"file": "mar_backbone.onnx",
                             "inputs": {"tokens": {"dtype": "float32", "shape": ["batch", P.SEQ, P.DIM], "note": "values of unknown tokens are ignored"},
                                        "mask": {"dtype": "float32", "shape": ["batch", P.SEQ], "note": "1 = unknown"},
                                        "class_labels": {"dtype": "int64", "shape": ["batch"], "note": "0..9, 10 = null class (CFG)"}},
                             "outputs": {"z": {"dtype": "float32", "shape": ["batch", P.SEQ, zdim]}}},
                "head": {"file": "mar_head.onnx", "z_dim": zdim,
                         "inputs": {"x": {"dtype": "float32", "shape": ["n", P.DIM]},
                                    "t": {"dtype": "int64", "shape": ["n"], "note": "original training timestep 0..999"},
                                    "z": {"dtype": "float32", "shape": ["n", zdim]}},
                         "outputs": {"eps": {"dtype": "float32", "shape": ["n", P.DIM]}}}},
            "tokens": P.contract(), "num_classes": C.NUM_CLASSES, "null_class": C.NUM_CLASSES, "codebook_size": 0,
            "image": {"shape": [1, 32, 32], "range": [0, 1], "note": "28x28 digit padded by 2 pixels"},
            "diffusion": {"beta_schedule": "cosine", "num_train_timesteps": T_TRAIN, "prediction": "epsilon",
                          "clip_denoised": True,
                          "variance": defaults.get("variance", "fixedLarge"),
                          "variance_note": "fixed (no learned sigma): the sweep picks beta (fixedLarge) or the posterior variance (fixedSmall)"},
            "mask_schedule": "cosine"},
        "defaults": defaults,
        "parameters": C.count_params(m),
        "architecture": {**m.cfg, "note": "one bidirectional AdaLN encoder instead of MAR's MAE encoder/decoder; head = SimpleMLPAdaLN; fixed variance (no learned sigma)",
                         "why_tokens": "raw 4x4 pixel patches (no autoencoder): nothing to train or decode, chosen for the time budget"},
        "training": {**info, "command": C.command_line(), "seed": args.seed, "threads": args.threads},
        "data": C.data_source(Path(args.mnist)), "parity": parity, "toolchain": C.toolchain(),
        "sweep": sweep, "comparison": comparison, "eval": res,
    }
    if args.draft:
        man["draft_for"] = "mar-mnist"
    C.write_json(folder / "model.json", man)
    print(f"[mar] wrote {folder}", flush=True)


if __name__ == "__main__":
    main()
