"""VQ tokenizers on an 8x8 latent grid for 32x32 digits.

mode "raster": one codebook, one 8x8 token map (LlamaGen-style tokenizer).
mode "var":    VAR's multi-scale residual quantizer (models/quant.py VectorQuantizer2): one shared codebook,
               scales (1,2,3,4,6,8), area-downsampled residuals, bicubic upsampling, partially shared phi convs
               (4 convs, ticks linspace(1/12, 11/12, 4), phi(h) = 0.5 h + 0.5 conv3x3(h)).

    python -m nextx_models.vq --mode raster|var [--mnist PATH]
Writes the trained tokenizer to tools/models/.cache/vq-<mode>.pt (the generator commands export it).
"""
from __future__ import annotations

import argparse

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from . import common as C

LATENT = 8
VAR_SCALES = (1, 2, 3, 4, 6, 8)
RESI = 0.5


class ResBlock(nn.Module):
    def __init__(self, ch):
        super().__init__()
        self.c1 = nn.Conv2d(ch, ch, 3, padding=1)
        self.c2 = nn.Conv2d(ch, ch, 3, padding=1)

    def forward(self, x):
        return x + self.c2(F.silu(self.c1(F.silu(x))))


class Encoder(nn.Module):
    def __init__(self, cvae):
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv2d(1, 32, 3, padding=1), nn.SiLU(),
            nn.Conv2d(32, 64, 4, stride=2, padding=1), nn.SiLU(),
            nn.Conv2d(64, 96, 4, stride=2, padding=1),
            ResBlock(96), ResBlock(96), nn.SiLU(),
            nn.Conv2d(96, cvae, 1),  # quant_conv
        )

    def forward(self, x):
        return self.net(x)


class Decoder(nn.Module):
    def __init__(self, cvae):
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv2d(cvae, 96, 3, padding=1),  # post_quant_conv
            ResBlock(96), ResBlock(96), nn.SiLU(),
            nn.ConvTranspose2d(96, 64, 4, stride=2, padding=1), nn.SiLU(),
            nn.ConvTranspose2d(64, 32, 4, stride=2, padding=1), nn.SiLU(),
            nn.Conv2d(32, 1, 3, padding=1),
        )

    def forward(self, f):
        return self.net(f)


def nearest(z_NC: torch.Tensor, emb: torch.Tensor) -> torch.Tensor:
    d = z_NC.square().sum(1, keepdim=True) + emb.square().sum(1) - 2 * z_NC @ emb.t()
    return d.argmin(1)


class Phi(nn.Conv2d):
    def __init__(self, c):
        super().__init__(c, c, 3, padding=1)

    def forward(self, h):
        return h * (1 - RESI) + super().forward(h) * RESI


PHI_TICKS = np.linspace(1 / 3 / 4, 1 - 1 / 3 / 4, 4)


def phi_index(si: int, n: int) -> int:
    """VAR PhiPartiallyShared: the conv whose tick is nearest to si/(n-1)."""
    return int(np.argmin(np.abs(PHI_TICKS - si / (n - 1))))


class VQModel(nn.Module):
    def __init__(self, mode: str, vocab: int = 256, cvae: int = 16, beta: float = 0.25):
        super().__init__()
        self.mode, self.vocab, self.cvae, self.beta = mode, vocab, cvae, beta
        self.scales = VAR_SCALES if mode == "var" else (LATENT,)
        self.encoder = Encoder(cvae)
        self.decoder = Decoder(cvae)
        self.embedding = nn.Embedding(vocab, cvae)
        nn.init.uniform_(self.embedding.weight, -1 / vocab, 1 / vocab)
        self.phis = nn.ModuleList([Phi(cvae) for _ in range(4)]) if mode == "var" else None
        self.register_buffer("usage", torch.zeros(vocab))

    # ---- quantisation (VAR quant.py semantics) ----
    def phi(self, si: int, h):
        return self.phis[phi_index(si, len(self.scales))](h) if self.phis is not None else h

    def quantize(self, f):
        """Returns f_hat (straight-through), vq loss, list of idx (B, pn*pn) per scale."""
        B, Cc, H, W = f.shape
        f_no_grad = f.detach()
        f_rest = f_no_grad.clone()
        f_hat = torch.zeros_like(f_rest)
        loss = 0.0
        idxs = []
        SN = len(self.scales)
        for si, pn in enumerate(self.scales):
            rest = F.interpolate(f_rest, size=(pn, pn), mode="area") if si != SN - 1 else f_rest
            idx = nearest(rest.permute(0, 2, 3, 1).reshape(-1, Cc), self.embedding.weight.detach())
            if self.training:
                self.usage.mul_(0.99).index_add_(0, idx, torch.full_like(idx, 0.01, dtype=torch.float))
            idx_Bhw = idx.view(B, pn, pn)
            h = self.embedding(idx_Bhw).permute(0, 3, 1, 2)
            if si != SN - 1:
                h = F.interpolate(h, size=(H, W), mode="bicubic")
            h = self.phi(si, h)
            f_hat = f_hat + h
            f_rest = f_rest - h
            loss = loss + F.mse_loss(f_hat.data, f) * self.beta + F.mse_loss(f_hat, f_no_grad)
            idxs.append(idx.view(B, pn * pn))
        loss = loss / SN
        f_hat = (f_hat.data - f_no_grad) + f
        return f_hat, loss, idxs

    @torch.no_grad()
    def encode(self, x01):
        """x in [0,1] -> list of idx per scale."""
        f = self.encoder(x01 * 2 - 1)
        return self.quantize(f)[2]

    def idx_to_fhat(self, idxs):
        """Multi-scale token maps -> f_hat (B,C,8,8), all scales upsampled to 8x8 (VAR embed_to_fhat)."""
        B = idxs[0].shape[0]
        f_hat = torch.zeros(B, self.cvae, LATENT, LATENT)
        SN = len(self.scales)
        for si, pn in enumerate(self.scales):
            h = self.embedding(idxs[si]).transpose(1, 2).reshape(B, self.cvae, pn, pn)
            if si != SN - 1:
                h = F.interpolate(h, size=(LATENT, LATENT), mode="bicubic")
            f_hat = f_hat + self.phi(si, h)
        return f_hat

    def fhat_to_img(self, f_hat):
        """VAR fhat_to_img, de-normalised: clamp(decoder(f_hat), -1, 1) * 0.5 + 0.5 -> [0,1]."""
        return self.decoder(f_hat).clamp(-1, 1) * 0.5 + 0.5

    def forward(self, x01):
        f = self.encoder(x01 * 2 - 1)
        f_hat, vq_loss, _ = self.quantize(f)
        return self.decoder(f_hat), vq_loss

    @torch.no_grad()
    def restart_dead_codes(self, x01, threshold=1e-3):
        dead = (self.usage < threshold).nonzero().flatten()
        if len(dead) == 0:
            return 0
        f = self.encoder(x01 * 2 - 1).permute(0, 2, 3, 1).reshape(-1, self.cvae)
        if self.mode == "var":  # residual scales use small vectors too; mix scales
            f = torch.cat([f, f * 0.3])
        pick = f[torch.randint(0, len(f), (len(dead),))]
        self.embedding.weight.data[dead] = pick + 0.01 * torch.randn_like(pick)
        self.usage[dead] = 0.05
        return len(dead)


def cache_path(mode: str):
    return C.CACHE_DIR / f"vq-{mode}.pt"


def load(mode: str) -> VQModel:
    ck = torch.load(cache_path(mode))
    m = VQModel(mode, **ck["config"])
    m.load_state_dict(ck["state"])
    m.eval()
    return m


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--mode", choices=["raster", "var"], required=True)
    ap.add_argument("--mnist", default=str(C.default_mnist_dir()))
    ap.add_argument("--epochs", type=int, default=8)
    ap.add_argument("--vocab", type=int, default=256)
    ap.add_argument("--cvae", type=int, default=16)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    C.setup(args.seed)
    timer = C.Timer()
    xtr, ytr, xte, yte = C.load_mnist(args.mnist)
    cfg = {"vocab": args.vocab, "cvae": args.cvae}
    model = VQModel(args.mode, **cfg)
    opt = torch.optim.AdamW(model.parameters(), lr=2e-3, weight_decay=0.0, betas=(0.9, 0.95))
    bs = 64
    steps = args.epochs * (len(xtr) // bs)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=2e-3, total_steps=steps, pct_start=0.1)
    # codebook initialised from encoder outputs of the first batch
    with torch.no_grad():
        f = model.encoder(xtr[torch.randperm(len(xtr))[:256]] * 2 - 1).permute(0, 2, 3, 1).reshape(-1, args.cvae)
        model.embedding.weight.data.copy_(f[torch.randperm(len(f))[:args.vocab]])
    step = 0
    for ep in range(args.epochs):
        model.train()
        perm = torch.randperm(len(xtr))
        tot = [0.0, 0.0]
        for i in range(0, len(xtr) - bs + 1, bs):
            x = C.random_shift(xtr[perm[i:i + bs]], 2)
            rec, vq_loss = model(x)
            tgt = x * 2 - 1
            rec_loss = F.mse_loss(rec, tgt) + 0.5 * F.l1_loss(rec, tgt)
            loss = rec_loss + vq_loss
            opt.zero_grad(); loss.backward(); opt.step(); sched.step(); step += 1
            tot[0] += rec_loss.item(); tot[1] += vq_loss.item()
            if step % 50 == 0 and step < steps * 0.8:
                model.restart_dead_codes(x)
        n = len(xtr) // bs
        used = int((model.usage > 1e-3).sum())
        print(f"[vq-{args.mode}] epoch {ep + 1}/{args.epochs} rec {tot[0] / n:.4f} vq {tot[1] / n:.4f} codes used {used} ({timer()} s)", flush=True)
    model.eval()
    with torch.no_grad():
        rec = model.fhat_to_img(model.idx_to_fhat(model.encode(xte)))
        mse = float(F.mse_loss(rec, xte))
        codes = torch.cat([torch.cat(model.encode(xte[i:i + 500]), 1) for i in range(0, len(xte), 500)])
        used = int(torch.unique(codes).numel())
    print(f"[vq-{args.mode}] test reconstruction mse (0..1 pixels) {mse:.5f}, codes used on test {used}/{args.vocab}")
    C.CACHE_DIR.mkdir(parents=True, exist_ok=True)
    torch.save({"config": cfg, "state": model.state_dict(), "seed": args.seed, "epochs": args.epochs,
                "seconds": timer(), "test_mse": mse, "codes_used_test": used}, cache_path(args.mode))


if __name__ == "__main__":
    main()
