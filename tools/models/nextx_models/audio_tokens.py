"""Shared pieces of the two audio token generators (musicgen-notes, magnet-notes): the codec tokens of the notes
(encoded once through models/fluid-codec/codec_encoder.onnx and cached per encoder file), the condition embedding
and a pre-LayerNorm transformer block with an optional KV cache."""
from __future__ import annotations

import hashlib

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from . import audio_data as D
from . import common as C

K, CODES, SPECIAL = 4, 256, 256
NULL_FAMILY, NULL_PITCH = 10, 25
NEG = -1e9


def encoder_path():
    return C.MODELS_DIR / "fluid-codec" / "codec_encoder.onnx"


def note_tokens():
    """dict: codes (2500, 4, 100) int64, family, pitch_id, train (bool), encoder_sha256."""
    enc = encoder_path()
    sha = hashlib.sha256(enc.read_bytes()).hexdigest()
    path = C.CACHE_DIR / f"audio-tokens-{sha[:16]}.npz"
    if not path.exists():
        d = D.load()
        sess = C.ort_session(enc)
        codes = np.concatenate([sess.run(None, {"audio": d["audio"][i:i + 50]})[0] for i in range(0, len(d["audio"]), 50)])
        np.savez(path, codes=codes, family=d["family"], pitch_id=d["pitch"] - D.PITCH_MIN,
                 train=d["velocity"] != D.TEST_VELOCITY)
    z = np.load(path)
    return {"codes": z["codes"], "family": z["family"], "pitch_id": z["pitch_id"], "train": z["train"],
            "encoder_sha256": sha}


class CondEmbed(nn.Module):
    def __init__(self, d):
        super().__init__()
        self.family = nn.Embedding(NULL_FAMILY + 1, d)
        self.pitch = nn.Embedding(NULL_PITCH + 1, d)

    def forward(self, condition):             # [B, 2] -> [B, 1, d]
        return (self.family(condition[:, 0]) + self.pitch(condition[:, 1])).unsqueeze(1)


def drop_condition(cond: torch.Tensor, p: float, gen) -> torch.Tensor:
    drop = torch.rand(cond.shape[0], generator=gen) < p
    out = cond.clone()
    out[drop, 0] = NULL_FAMILY
    out[drop, 1] = NULL_PITCH
    return out


class Block(nn.Module):
    def __init__(self, d, heads, mlp=4):
        super().__init__()
        self.h, self.hd = heads, d // heads
        self.ln1, self.ln2 = nn.LayerNorm(d), nn.LayerNorm(d)
        self.qkv = nn.Linear(d, 3 * d)
        self.proj = nn.Linear(d, d)
        self.fc1, self.fc2 = nn.Linear(d, mlp * d), nn.Linear(mlp * d, d)

    def forward(self, x, mask, pk=None, pv=None):
        B, S, Dd = x.shape
        q, k, v = self.qkv(self.ln1(x)).view(B, S, 3, self.h, self.hd).permute(2, 0, 3, 1, 4)
        if pk is not None:
            k = torch.cat([pk, k], 2); v = torch.cat([pv, v], 2)
        att = (q @ k.transpose(-1, -2)) / (self.hd ** 0.5)
        if mask is not None:
            att = att + mask
        y = (att.softmax(-1) @ v).transpose(1, 2).reshape(B, S, Dd)
        x = x + self.proj(y)
        x = x + self.fc2(F.gelu(self.fc1(self.ln2(x))))
        return x, k, v


def init_weights(m):
    if isinstance(m, (nn.Linear, nn.Embedding)):
        nn.init.normal_(m.weight, std=0.02)
        if isinstance(m, nn.Linear) and m.bias is not None:
            nn.init.zeros_(m.bias)


def condition_spec():
    return {"families": D.FAMILIES, "pitch_min": D.PITCH_MIN, "pitch_max": D.PITCH_MAX,
            "null_family": NULL_FAMILY, "null_pitch": NULL_PITCH}


def generator_main(name: str, kind: str, train, write_model, argv=None, seconds: float = 600) -> None:
    """The command line both token generators share (`run.sh musicgen`, `run.sh magnet`): train within the budget,
    export and check, then measure through the ONNX graphs. The defaults are the settings the committed models
    were built with."""
    import argparse
    import os
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=seconds)
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=None)
    ap.add_argument("--width", type=int, default=192)
    ap.add_argument("--layers", type=int, default=4)
    ap.add_argument("--heads", type=int, default=6)
    ap.add_argument("--skip-eval", action="store_true")
    ap.add_argument("--n-per", type=int, default=2)
    a = ap.parse_args(argv)
    threads = a.threads or int(os.environ.get("NEXTX_THREADS", "2"))
    m, tr = train(a.seconds, a.batch, a.lr, a.seed, threads, a.width, a.layers, a.heads)
    write_model(m, tr, a, threads)
    if not a.skip_eval:
        from . import audio_eval
        audio_eval.run(kind, a.n_per, sweep=False)
    print(f"[{name}] wrote {C.MODELS_DIR / name}", flush=True)
