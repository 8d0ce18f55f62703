"""Instrument-family judge for the audio generators (models/note-classifier, family audio-classifier).

    tools/models/run.sh note-classifier [--seconds S]

classifier.onnx: audio float32 [batch, samples] (samples >= 4,000) -> logits [batch, 10], features [batch, 128].
The log-mel frontend is inside the graph: a conv1d whose fixed weights are the Hann-windowed DFT (n_fft 512, hop 160,
no padding), power = re^2 + im^2, a fixed 64-band mel matrix (HTK mel, 0..8 kHz), log(1e-5 + mel). Then a small CNN
and a global average over frequency and time; features = the 128-d penultimate layer (after ReLU).
"""
from __future__ import annotations

import argparse
import math
import shutil
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from . import audio_data as D
from . import audio_pitch as P
from . import common as C

NAME = "note-classifier"
N_FFT, HOP, N_MELS = 512, 160, 64
FEAT = 128
MIN_SAMPLES = 4000


def mel_matrix(n_mels=N_MELS, n_fft=N_FFT, sr=D.SR, fmin=0.0, fmax=None) -> np.ndarray:
    fmax = fmax or sr / 2
    hz2mel = lambda f: 2595.0 * np.log10(1.0 + f / 700.0)
    mel2hz = lambda m: 700.0 * (10 ** (m / 2595.0) - 1.0)
    pts = mel2hz(np.linspace(hz2mel(fmin), hz2mel(fmax), n_mels + 2))
    freqs = np.arange(n_fft // 2 + 1) * sr / n_fft
    m = np.zeros((n_mels, len(freqs)), np.float32)
    for i in range(n_mels):
        lo, c, hi = pts[i], pts[i + 1], pts[i + 2]
        up = (freqs - lo) / max(c - lo, 1e-9)
        down = (hi - freqs) / max(hi - c, 1e-9)
        m[i] = np.maximum(0, np.minimum(up, down))
    return m


class LogMel(nn.Module):
    def __init__(self):
        super().__init__()
        n = np.arange(N_FFT)
        win = 0.5 - 0.5 * np.cos(2 * np.pi * n / N_FFT)           # periodic Hann
        k = np.arange(N_FFT // 2 + 1)[:, None]
        ang = 2 * np.pi * k * n[None, :] / N_FFT
        w = np.concatenate([np.cos(ang) * win, -np.sin(ang) * win]).astype(np.float32)
        self.register_buffer("dft", torch.from_numpy(w).unsqueeze(1))          # [514, 1, 512]
        self.register_buffer("mel", torch.from_numpy(mel_matrix()))             # [64, 257]

    def forward(self, audio):                                                    # [B, N]
        y = F.conv1d(audio.unsqueeze(1), self.dft, stride=HOP)                   # [B, 514, frames]
        nb = N_FFT // 2 + 1
        power = y[:, :nb] ** 2 + y[:, nb:] ** 2
        mel = torch.matmul(self.mel, power)                                      # [B, 64, frames]
        return torch.log(1e-5 + mel)


def block(cin, cout):
    return nn.Sequential(nn.Conv2d(cin, cout, 3, padding=1), nn.BatchNorm2d(cout), nn.ReLU(),
                         nn.Conv2d(cout, cout, 3, padding=1), nn.BatchNorm2d(cout), nn.ReLU())


class NoteClassifier(nn.Module):
    def __init__(self, width=32):
        super().__init__()
        self.frontend = LogMel()
        self.norm = nn.BatchNorm2d(1)
        self.b1, self.b2, self.b3 = block(1, width), block(width, 2 * width), block(2 * width, 4 * width)
        self.fc = nn.Linear(4 * width, FEAT)
        self.out = nn.Linear(FEAT, 10)

    def forward(self, audio):
        x = self.norm(self.frontend(audio).unsqueeze(1))                         # [B,1,64,T]
        x = F.max_pool2d(self.b1(x), 2)
        x = F.max_pool2d(self.b2(x), 2)
        x = self.b3(x)
        x = x.mean(dim=(2, 3))
        feats = F.relu(self.fc(x))
        return self.out(feats), feats


def crop_batch(audio, fam, bs, gen):
    idx = torch.randint(0, len(audio), (bs,), generator=gen)
    n = int(torch.randint(8000, 32001, (1,), generator=gen))
    gain = 0.3 + 0.7 * torch.rand(bs, 1, generator=gen)
    return augment(audio[idx, :n] * gain, gen), fam[idx]


def _uniform(lo, hi, n, gen):
    return lo + (hi - lo) * torch.rand(n, generator=gen)


def augment(xb, gen):
    """Perturbations that change no instrument: a judge trained on clean renders alone hears a -40 dB hiss, a 4 kHz
    low-pass or new STFT phases as another family (accuracy 0.976 -> about 0.5 on held-out notes), so it would
    score a codec's artefacts, not its timbre. Per note, independently: an equaliser (tilt of -6..+6 dB over
    0..8 kHz and a soft low-pass at 2.8..8 kHz) with probability 1/2; new STFT phases (FFT 512, hop 128, magnitudes
    kept) with probability 1/4; white noise at an SNR of 20..50 dB with probability 1/2."""
    B, n = xb.shape
    spec = torch.fft.rfft(xb)
    f = torch.linspace(0, 1, spec.shape[1]).unsqueeze(0)
    tilt = _uniform(-6, 6, B, gen).unsqueeze(1); cut = _uniform(0.35, 1.0, B, gen).unsqueeze(1)
    eq = torch.pow(10.0, tilt * f / 20) * torch.sigmoid((cut - f) * 60)
    use = (torch.rand(B, generator=gen) < 0.5).unsqueeze(1)
    xb = torch.fft.irfft(torch.where(use, spec * eq, spec), n)
    win = torch.hann_window(512)
    st = torch.stft(xb, 512, hop_length=128, window=win, return_complex=True)
    phase = torch.exp(1j * (2 * math.pi) * torch.rand(st.shape, generator=gen))
    rp = torch.istft(st.abs() * phase, 512, hop_length=128, window=win, length=n)
    xb = torch.where((torch.rand(B, generator=gen) < 0.25).unsqueeze(1), rp, xb)
    rms = xb.pow(2).mean(1, keepdim=True).sqrt()
    snr = _uniform(20, 50, B, gen).unsqueeze(1)
    noise = torch.randn(xb.shape, generator=gen) * rms * torch.pow(10.0, -snr / 20)
    return xb + noise * (torch.rand(B, generator=gen) < 0.5).unsqueeze(1)


def robustness(sess, audio, family, seed=7) -> dict:
    """Held-out accuracy of the exported judge under fixed perturbations it was not shown in this form."""
    rng = np.random.default_rng(seed)

    def acc(a):
        lg = np.concatenate([sess.run(None, {"audio": np.ascontiguousarray(a[i:i + 100], dtype=np.float32)})[0]
                             for i in range(0, len(a), 100)])
        return round(float((lg.argmax(1) == family).mean()), 4)

    peak = np.abs(audio).max(1, keepdims=True)
    noisy = audio + rng.normal(0, 1, audio.shape).astype(np.float32) * 0.01 * peak
    x = torch.from_numpy(audio)
    st = torch.stft(x, 640, hop_length=160, window=torch.hann_window(640), return_complex=True)
    ph = torch.exp(1j * torch.from_numpy(rng.uniform(0, 2 * np.pi, st.shape)).to(torch.float32))
    rand_phase = torch.istft(st.abs() * ph, 640, hop_length=160, window=torch.hann_window(640), length=audio.shape[1]).numpy()
    spec = np.fft.rfft(audio, axis=1); spec[:, np.fft.rfftfreq(audio.shape[1], 1 / D.SR) > 4000] = 0
    return {"clean": acc(audio), "white_noise_peak_minus_40_db": acc(noisy),
            "random_stft_phase_fft_640_hop_160": acc(rand_phase), "low_pass_4_khz": acc(np.fft.irfft(spec, audio.shape[1], axis=1)),
            "crop": "first 16,000 samples (1.0 s) of each held-out note", "seed": seed}


def train(seconds, bs, lr, seed, threads):
    C.setup(seed, threads)
    tr = D.load("train"); te = D.load("test")
    x, y = torch.from_numpy(tr["audio"]), torch.from_numpy(tr["family"]).long()
    xt, yt = torch.from_numpy(te["audio"][:, :16000]), torch.from_numpy(te["family"]).long()
    m = NoteClassifier()
    opt = torch.optim.AdamW(m.parameters(), lr=lr, weight_decay=1e-4)
    gen = torch.Generator().manual_seed(seed)
    t0 = time.time(); step = 0; log = []
    while time.time() - t0 < seconds:
        prog = (time.time() - t0) / seconds
        for g in opt.param_groups:
            g["lr"] = lr * min(1.0, (step + 1) / 50) * 0.5 * (1 + math.cos(math.pi * prog))
        m.train()
        xb, yb = crop_batch(x, y, bs, gen)
        loss = F.cross_entropy(m(xb)[0], yb)
        opt.zero_grad(); loss.backward(); opt.step(); step += 1
        if step % 50 == 0:
            acc = accuracy(m, xt, yt)
            print(f"[{NAME}] step {step} loss {loss.item():.4f} test acc (1 s) {acc:.4f} ({time.time() - t0:.0f} s)", flush=True)
            log.append({"step": step, "seconds": round(time.time() - t0, 1), "loss": round(loss.item(), 4), "test_accuracy": acc})
    el = round(time.time() - t0, 1)
    torch.save({"state": m.state_dict(), "step": step, "seconds": el, "log": log}, C.CACHE_DIR / f"{NAME}.pt")
    return m, {"steps": step, "seconds": el, "log": log[-5:]}


@torch.no_grad()
def accuracy(m, xt, yt):
    m.eval()
    logits = torch.cat([m(xt[i:i + 100])[0] for i in range(0, len(xt), 100)])
    return round(float((logits.argmax(1) == yt).float().mean()), 4)


def contract() -> dict:
    return {"graphs": {"classifier": {
        "file": "classifier.onnx",
        "inputs": {"audio": {"dtype": "float32", "shape": ["batch", "samples"],
                             "note": "16 kHz mono, samples >= 4000; the judge is measured on the first 16,000 samples (1.0 s)",
                             "warmup_shape": [1, 16000]}},
        "outputs": {"logits": {"dtype": "float32", "shape": ["batch", 10], "note": "families in audio.families order"},
                    "features": {"dtype": "float32", "shape": ["batch", FEAT], "note": "penultimate layer, for the Fréchet distance"}}}}}


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=600)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=None)
    ap.add_argument("--pitch-notes", type=int, default=500, help="held-out notes for the YIN ceiling")
    a = ap.parse_args(argv)
    threads = a.threads or int(__import__("os").environ.get("NEXTX_THREADS", "2"))
    m, tr = train(a.seconds, a.batch, a.lr, a.seed, threads)
    m.eval()
    out = C.MODELS_DIR / NAME
    shutil.rmtree(out, ignore_errors=True); out.mkdir(parents=True)
    C.export_onnx(m, (torch.randn(2, 16000),), out / "classifier.onnx", ["audio"], ["logits", "features"],
                  {"audio": {0: "batch", 1: "samples"}, "logits": {0: "batch"}, "features": {0: "batch"}})
    te = D.load("test")
    sess = C.ort_session(out / "classifier.onnx")
    parity = {}
    for n in (4000, 16000, 32000):
        xb = torch.from_numpy(te["audio"][:3, :n])
        with torch.no_grad():
            lg, ft = m(xb)
        o = sess.run(None, {"audio": xb.numpy()})
        parity[f"onnx_vs_pytorch_{n}_samples"] = C.check_parity(f"classifier {n} samples", {"l": o[0], "f": o[1]},
                                                                 {"l": lg.numpy(), "f": ft.numpy()})
    parity["tolerance"] = 1e-4
    xt = te["audio"][:, :16000]
    logits = np.concatenate([sess.run(None, {"audio": xt[i:i + 100]})[0] for i in range(0, len(xt), 100)])
    pred = logits.argmax(1)
    acc = float((pred == te["family"]).mean())
    robust = robustness(sess, np.ascontiguousarray(xt, dtype=np.float32), te["family"])
    print(f"[{NAME}] robustness {robust}", flush=True)
    per_family = {D.FAMILIES[f]: float((pred[te["family"] == f] == f).mean()) for f in range(10)}
    t = C.Timer()
    k = min(a.pitch_notes, len(xt))
    pj, _ = P.agreement(xt[:k], te["pitch"][:k])
    pj.update({"crop": "first 16,000 samples (1.0 s)", "seconds": t(), "judge": P.SPEC})
    print(f"[{NAME}] test accuracy {acc:.4f}; YIN on real held-out {pj}", flush=True)
    manifest = {
        "name": NAME, "family": "audio-classifier", "version": 1,
        "task": "instrument-family classifier of 16 kHz mono notes: judge (family agreement, Fréchet features) for the audio generators",
        "files": [C.file_entry(out, "classifier.onnx")],
        "contract": contract(),
        "audio": {"sample_rate": D.SR, "families": D.FAMILIES, "min_samples": MIN_SAMPLES},
        "frontend": {"n_fft": N_FFT, "hop": HOP, "window": "periodic Hann", "padding": "none (frames = 1 + (samples - 512) // 160)",
                     "mel_bins": N_MELS, "mel_scale": "HTK 2595 log10(1 + f/700), 0..8000 Hz, triangular, unnormalised",
                     "log": "log(1e-5 + mel power)", "implementation": "conv1d with fixed DFT weights inside the graph"},
        "architecture": {"cnn": "BatchNorm(1) on log-mel, 3 blocks of 2x (conv3x3 + BatchNorm + ReLU) with widths 32/64/128, "
                                "max-pool 2 after blocks 1 and 2, mean over frequency and time, Linear 128->128 + ReLU (features), Linear 128->10"},
        "parameters": C.count_params(m),
        "training": {"command": "tools/models/run.sh note-classifier", "seed": a.seed, "steps": tr["steps"], "batch": a.batch, "lr": a.lr,
                     "optimizer": "AdamW, weight decay 1e-4", "schedule": "50-step warm-up, cosine over the time budget",
                     "budget_seconds": a.seconds, "seconds": tr["seconds"], "threads": threads,
                     "crops": "train notes, crops from sample 0 of one random length in [0.5, 2.0] s per batch, gain uniform in [0.3, 1.0]",
                     "augmentation": " ".join((augment.__doc__ or "").split("Per note, independently: ")[-1].split()),
                     "log": tr["log"]},
        "data": D.provenance(),
        "parity": parity,
        "eval": {"test_accuracy": acc, "test_notes": int(len(xt)), "crop": "first 16,000 samples (1.0 s) of each held-out note",
                 "per_family_accuracy": per_family, "pitch_judge_on_real": pj, "robustness": robust},
        "toolchain": C.toolchain(),
    }
    C.write_json(out / "model.json", manifest)
    print(f"[{NAME}] wrote {out}", flush=True)


if __name__ == "__main__":
    main()
