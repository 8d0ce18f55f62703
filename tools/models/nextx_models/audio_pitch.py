"""Pitch judge: YIN (de Cheveigné & Kawahara 2002), written so that a TypeScript twin computes the same numbers.

Input x: float mono 16 kHz, length N. Region: samples [800, min(N, 16000)). Frames of W = 1024 start at
region_start + k * 256 while start + W + TAU_MAX <= region_end. A frame is silent (skipped) if
sum(x[s:s+W]^2) < 1e-6 * W. d(tau) = sum_{j<W} (x[s+j] - x[s+j+tau])^2 for tau = 1..TAU_MAX (float64);
d'(tau) = d(tau) * tau / sum_{k=1..tau} d(k) (1 if that sum is 0). The first tau in [TAU_MIN, TAU_MAX] with
d'(tau) < 0.15, then walk right while d'(tau+1) < d'(tau); none: unvoiced frame. Parabolic interpolation when
TAU_MIN < tau < TAU_MAX (den = a - 2b + c, shift = (a - c) / (2 den), 0 if den == 0). f0 = 16000 / tau*. The clip's
f0 is the median over voiced frames (mean of the two middle values for an even count); no voiced frame: -1.
midi = round(69 + 12 log2(f0 / 440)) with Python's round (half to even).
"""
from __future__ import annotations

import math

import numpy as np

SR = 16000
REGION_START, REGION_END = 800, 16000
W, HOP, TAU_MIN, TAU_MAX = 1024, 256, 16, 267
THRESHOLD = 0.15
SPEC = {"algorithm": "YIN", "region": [REGION_START, REGION_END], "window": W, "hop": HOP, "tau_min": TAU_MIN,
        "tau_max": TAU_MAX, "threshold": THRESHOLD, "silence": "sum(x^2) < 1e-6 * W", "aggregate": "median over voiced frames",
        "midi": "round(69 + 12 log2(f0 / 440)), round half to even", "unvoiced": -1}


def f0(x) -> float:
    x = np.asarray(x, dtype=np.float64)
    end = min(len(x), REGION_END)
    f0s = []
    s = REGION_START
    while s + W + TAU_MAX <= end:
        fr = x[s:s + W + TAU_MAX]
        base = fr[:W]
        if float(np.dot(base, base)) >= 1e-6 * W:
            d = np.empty(TAU_MAX + 1)
            d[0] = 0.0
            for tau in range(1, TAU_MAX + 1):
                e = base - fr[tau:tau + W]
                d[tau] = float(np.dot(e, e))
            cs = np.cumsum(d[1:])
            dp = np.ones(TAU_MAX + 1)
            taus = np.arange(1, TAU_MAX + 1)
            nz = cs != 0
            dp[1:][nz] = d[1:][nz] * taus[nz] / cs[nz]
            tau = -1
            for t in range(TAU_MIN, TAU_MAX + 1):
                if dp[t] < THRESHOLD:
                    tau = t
                    break
            if tau > 0:
                while tau + 1 <= TAU_MAX and dp[tau + 1] < dp[tau]:
                    tau += 1
                ts = float(tau)
                if TAU_MIN < tau < TAU_MAX:
                    a, b, c = dp[tau - 1], dp[tau], dp[tau + 1]
                    den = a - 2 * b + c
                    ts = tau + ((a - c) / (2 * den) if den != 0 else 0.0)
                f0s.append(SR / ts)
        s += HOP
    if not f0s:
        return -1.0
    v = sorted(f0s)
    n = len(v)
    return float(v[n // 2]) if n % 2 else 0.5 * (v[n // 2 - 1] + v[n // 2])


def midi(x) -> int:
    f = f0(x)
    if f <= 0:
        return -1
    return int(round(69 + 12 * math.log2(f / 440.0)))


def agreement(clips, targets) -> dict:
    got = np.array([midi(c) for c in clips])
    t = np.asarray(targets)
    voiced = got >= 0
    return {"pitch_agreement_exact": float(np.mean(voiced & (got == t))),
            "pitch_agreement_within_1": float(np.mean(voiced & (np.abs(got - t) <= 1))),
            "unvoiced": int((~voiced).sum()), "n": int(len(t))}, got
