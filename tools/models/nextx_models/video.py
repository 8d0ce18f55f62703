"""NBP / NTP video transformers on Moving-MNIST per-frame VQ tokens.

    tools/models/run.sh vq-video            # per-frame VQ tokenizer -> tools/models/.cache/vq-video.pt
    tools/models/run.sh nbp [--seconds S]   # models/nbp-mmnist
    tools/models/run.sh ntp [--seconds S]   # models/ntp-mmnist
    tools/models/run.sh video               # all of the above + both evals

Layout (block B = one frame = 64 tokens, context C = 4 frames, BOV = K, MBOS = K + 1, K = MM.VOCAB codes):
  nbp: [BOV, f0_0 .. f0_62] token phase (causal, entry k predicts f0_k), [f0_63, MBOS x 63] (predicts frame 1,
       bidirectional in the block), then whole frames f1, f2, ... (fed frame f predicts frame f + 1, entry j
       predicts token j). Block-causal: an entry sees every earlier block and its own block bidirectionally.
  ntp: [BOV, f0_0, f0_1, ...] causal, each entry predicts the next token.
Training windows (70 % / 30 %, CLIP_START_FRACTION): (a) the clip start, 256 entries (nbp: predicts frames 0..3; ntp: the first 256
tokens); (b) from a random frame s >= 1, no BOV, frames s..s+3 as 256 entries predicting frames s+1..s+4 (nbp,
block-causal) or the next token (ntp). position_ids are entry indices counted from the clip's first entry
(position_ids // 64 = frame of the predicted token; the model derives its path hint from it).
"""
from __future__ import annotations

import argparse
import math
import shutil
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from . import common as C
from . import mmnist as MM
from .video_lm import VideoLM, VideoLMConfig, block_mask, contract, export

K = MM.VOCAB
BOV, MBOS = K, K + 1
B_TOK = MM.TOKENS       # 64 tokens per frame = one block
CTX = 4                 # context frames
WIN = CTX * B_TOK       # 256 entries
NAMES = {"nbp": "nbp-mmnist", "ntp": "ntp-mmnist"}
FAMILIES = {"nbp": "nbp", "ntp": "ntp-video"}
TRAIN_CLIPS, EVAL_CLIPS = 20000, 200
CLIP_START_FRACTION = 0.7   # share of clip-start windows (a): frame 0 is sampled token by token and needs the gradient


# ---------------------------------------------------------------- data


def clip_codes(split: str, mnist_dir=None):
    """(codes (n,16,64) int64, digits (n,2), motion (n,2,4)) of the train or eval clips, cached per tokenizer."""
    vq_ck = C.CACHE_DIR / MM.VQ_CACHE
    path = C.CACHE_DIR / f"mmnist-grid8-{split}-codes.npz"   # grid-aligned motion data (mmnist.py)
    stamp = int(vq_ck.stat().st_mtime)
    if path.exists():
        z = np.load(path)
        if int(z["stamp"]) == stamp:
            return z["codes"], z["digits"], z["motion"]
    x, y, xt, yt = MM.mnist28(mnist_dir)
    if split == "train":
        clips, digits, motion, _ = MM.make_clips(x, y, TRAIN_CLIPS, MM.TRAIN_SEED)
    else:
        clips, digits, motion, _ = MM.make_clips(xt, yt, EVAL_CLIPS, MM.EVAL_SEED)
    codes = MM.encode_clips(MM.load_vq(), clips)
    np.savez(path, codes=codes, digits=digits, motion=motion, stamp=stamp)
    return codes, digits, motion


def windows(mode: str, codes: torch.Tensor, start: torch.Tensor):
    """codes (B,16,64); start (B,) 0 = clip start window (a), s >= 1 = window (b) from frame s.
    Returns ids, targets, position_ids, spatial_ids, block_ids, each (B, 256)."""
    Bn = codes.shape[0]
    e = torch.arange(WIN)
    ids = torch.empty(Bn, WIN, dtype=torch.long)
    tgt = torch.empty(Bn, WIN, dtype=torch.long)
    spa = torch.empty(Bn, WIN, dtype=torch.long)
    blk = torch.empty(Bn, WIN, dtype=torch.long)
    for i in range(Bn):
        s = int(start[i])
        if s == 0:
            f = codes[i, :CTX]                                    # 4,64
            flat = f.reshape(-1)
            tgt[i] = flat
            if mode == "nbp":
                ids[i] = torch.cat([torch.tensor([BOV]), f[0, :63], f[0, 63:64], torch.full((63,), MBOS),
                                    f[1], f[2]])
                spa[i] = e % B_TOK
                blk[i] = torch.where(e < B_TOK, e, B_TOK + e // B_TOK - 1)
            else:
                ids[i] = torch.cat([torch.tensor([BOV]), flat[:-1]])
                spa[i] = e % B_TOK
                blk[i] = e
        else:
            f = codes[i, s:s + CTX + 1].reshape(-1)               # 5 frames
            ids[i] = f[:WIN]
            if mode == "nbp":
                tgt[i] = f[B_TOK:B_TOK + WIN]
                spa[i] = e % B_TOK
                blk[i] = e // B_TOK
            else:
                tgt[i] = f[1:WIN + 1]
                spa[i] = (e + 1) % B_TOK
                blk[i] = e
    # entry index in the whole clip: nbp's frame 0 owns 128 entries, so fed frame s starts at (s + 1) * 64; in ntp the
    # BOV comes first, so token s * 64 is entry s * 64 + 1
    first = torch.where(start == 0, 0, (start + 1) * B_TOK if mode == "nbp" else start * B_TOK + 1)
    pos = first.unsqueeze(1) + e.unsqueeze(0)
    return ids, tgt, pos, spa, blk


def sample_batch(mode, codes, digits, motion, bs, gen):
    idx = torch.randint(0, len(codes), (bs,), generator=gen)
    start = torch.where(torch.rand(bs, generator=gen) < CLIP_START_FRACTION, torch.zeros(bs, dtype=torch.long),
                        torch.randint(1, MM.FRAMES - CTX, (bs,), generator=gen))   # s in 1..11
    ids, tgt, pos, spa, blk = windows(mode, codes[idx], start)
    return ids, tgt, pos, spa, blk, digits[idx], motion[idx], start


def loss_of(m: VideoLM, batch):
    ids, tgt, pos, spa, blk, dg, mo, start = batch
    logits, _ = m(ids, pos, spa, dg, mo, block_mask(blk))
    return F.cross_entropy(logits.reshape(-1, K), tgt.reshape(-1), reduction="none").view(tgt.shape)


def make_model(mode: str) -> VideoLM:
    return VideoLM(VideoLMConfig(mode=mode, codebook_size=K))


def ckpt_path(mode):
    return C.CACHE_DIR / f"{NAMES[mode]}.pt"


def train(mode: str, seconds: float, bs: int, lr: float, seed: int, threads: int, mnist_dir, resume: bool,
          steps: int | None = None):
    C.setup(seed, threads)
    timer = C.Timer()
    codes, digits, motion = (torch.from_numpy(a) for a in clip_codes("train", mnist_dir))
    ecodes, edigits, emotion = (torch.from_numpy(a) for a in clip_codes("eval", mnist_dir))
    m = make_model(mode)
    name = NAMES[mode]
    print(f"[{name}] {C.count_params(m)} parameters, {len(codes)} train clips", flush=True)
    decay = [p for n, p in m.named_parameters() if p.dim() >= 2]
    other = [p for n, p in m.named_parameters() if p.dim() < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.05}, {"params": other, "weight_decay": 0.0}],
                            lr=lr, betas=(0.9, 0.95))
    gen = torch.Generator().manual_seed(seed)
    egen = torch.Generator().manual_seed(seed + 1)
    ebatch = sample_batch(mode, ecodes, edigits, emotion, 64, egen)
    step, spent, log = 0, 0.0, []
    if resume and ckpt_path(mode).exists():
        ck = torch.load(ckpt_path(mode))
        m.load_state_dict(ck["state"]); opt.load_state_dict(ck["opt"])
        step, spent, log = ck["step"], ck["seconds"], ck.get("log", [])
        gen.manual_seed(seed + step)
        print(f"[{name}] resumed at step {step} ({spent:.0f} s)", flush=True)
    warm = 100
    t0 = time.time() - spent
    tot = 0.0
    n_tot = 0
    last_save = time.time()
    while True:
        el = time.time() - t0
        prog = el / seconds if steps is None else step / steps
        if prog >= 1:
            break
        cur = lr * min(1.0, (step + 1) / warm) * (0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * prog)))
        for g in opt.param_groups:
            g["lr"] = cur
        m.train()
        loss = loss_of(m, sample_batch(mode, codes, digits, motion, bs, gen)).mean()
        opt.zero_grad(); loss.backward()
        torch.nn.utils.clip_grad_norm_(m.parameters(), 1.0)
        opt.step(); step += 1
        tot += loss.item(); n_tot += 1
        if step % 50 == 0:
            m.eval()
            with torch.no_grad():
                el_ = loss_of(m, ebatch)
                a = el_[ebatch[-1] == 0].mean().item(); b = el_[ebatch[-1] > 0].mean().item()
            el = time.time() - t0
            print(f"[{name}] step {step} lr {cur:.2e} train {tot / n_tot:.4f} eval (a) {a:.4f} (b) {b:.4f} "
                  f"({el:.0f} s, {step * bs / el:.1f} windows/s)", flush=True)
            log.append({"step": step, "seconds": round(el, 1), "train_loss": round(tot / n_tot, 4),
                        "eval_loss_clip_start": round(a, 4), "eval_loss_later_windows": round(b, 4)})
            tot, n_tot = 0.0, 0
            if time.time() - last_save > 120:
                torch.save({"state": m.state_dict(), "opt": opt.state_dict(), "step": step, "seconds": round(el, 1),
                            "log": log, "done": False, "batch": bs, "lr": lr, "threads": threads, "seed": seed,
                            "budget_seconds": seconds}, ckpt_path(mode))
                last_save = time.time()
    el = time.time() - t0
    torch.save({"state": m.state_dict(), "opt": opt.state_dict(), "step": step, "seconds": round(el, 1), "log": log,
                "done": True, "batch": bs, "lr": lr, "threads": threads, "seed": seed,
                "budget_seconds": seconds}, ckpt_path(mode))
    print(f"[{name}] trained {step} steps in {el:.0f} s", flush=True)
    return m


def bench(mode, threads, bs=16, n=4):
    C.setup(0, threads)
    codes = torch.randint(0, K, (64, 16, 64)); dg = torch.randint(0, 11, (64, 2)); mo = torch.rand(64, 2, 4)
    m = make_model(mode)
    opt = torch.optim.AdamW(m.parameters(), lr=1e-4)
    gen = torch.Generator().manual_seed(0)
    ts = []
    for i in range(n + 1):
        t = time.time()
        loss = loss_of(m, sample_batch(mode, codes, dg, mo, bs, gen)).mean()
        opt.zero_grad(); loss.backward(); opt.step()
        ts.append(time.time() - t)
    s = float(np.mean(ts[1:]))
    print(f"[bench] {mode} threads {threads} batch {bs}: {s:.3f} s/step, {bs / s:.1f} windows/s", flush=True)


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", choices=["nbp", "ntp"])
    ap.add_argument("--mnist", default=str(C.default_mnist_dir()))
    ap.add_argument("--seconds", type=float, default=4800)
    ap.add_argument("--steps", type=int, default=None)
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=None)
    ap.add_argument("--resume", action="store_true", help="continue an interrupted run from tools/models/.cache")
    ap.add_argument("--reuse", action="store_true", help="export the last trained weights without training")
    ap.add_argument("--bench", action="store_true")
    ap.add_argument("--skip-eval", action="store_true")
    args = ap.parse_args(argv)
    threads = args.threads or int(__import__("os").environ.get("NEXTX_THREADS", "2"))
    if args.bench:
        bench(args.mode, threads, args.batch)
        return
    if not (C.CACHE_DIR / MM.VQ_CACHE).exists():
        MM.train_vq(["--mnist", args.mnist])
    if not args.reuse:
        train(args.mode, args.seconds, args.batch, args.lr, args.seed, threads, args.mnist, args.resume, args.steps)
    from . import video_export
    video_export.write_model(args.mode, args.mnist, skip_eval=args.skip_eval)


if __name__ == "__main__":
    main()
