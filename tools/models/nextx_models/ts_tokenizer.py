"""The chronos model's tokenizer: Chronos MeanScaleUniformBins with a location, in float64 numpy.

This is the arithmetic the TypeScript side reimplements (model.json `tokenizer` spells out the same formulas):

    context  = the last min(n, CONTEXT_LENGTH) observations
    loc      = mean(context)
    scale    = mean(|context - loc|);  scale = 1 if not (scale > 0)
    z        = (x - loc) / scale
    centre_j = LOW + j * (HIGH - LOW) / (N_BINS - 1),        j = 0 .. N_BINS - 1
    edge_j   = (centre_j + centre_{j+1}) / 2,                j = 0 .. N_BINS - 2
    token    = N_SPECIAL + #{ j : edge_j <= z }               (torch.bucketize(right=True) over the edges)
    value    = loc + scale * centre_{token - N_SPECIAL}       (tokens < N_SPECIAL are never sampled)

Chronos uses loc = 0 (scale = mean |context|). With loc = 0 a level-dominated series such as Mauna Loa CO2
(~400 ppm, a few ppm of movement) lands in a handful of bins at any affordable vocabulary size; centring first
gives the same resolution to every series (measured in model.json `tokenizer.round_trip`).
"""
from __future__ import annotations

import numpy as np

PAD, EOS, N_SPECIAL = 0, 1, 2
N_BINS = 1024
LOW, HIGH = -10.0, 10.0
VOCAB = N_SPECIAL + N_BINS
CONTEXT_LENGTH = 256
MAX_HORIZON = 64

CENTRES = LOW + np.arange(N_BINS, dtype=np.float64) * ((HIGH - LOW) / (N_BINS - 1))
EDGES = (CENTRES[1:] + CENTRES[:-1]) / 2


def loc_scale(context: np.ndarray) -> tuple[float, float]:
    c = np.asarray(context, np.float64)
    loc = float(np.mean(c))
    scale = float(np.mean(np.abs(c - loc)))
    if not scale > 0:
        scale = 1.0
    return loc, scale


def encode(x: np.ndarray, loc: float, scale: float) -> np.ndarray:
    z = (np.asarray(x, np.float64) - loc) / scale
    return (N_SPECIAL + np.searchsorted(EDGES, z, side="right")).astype(np.int64)


def decode(tokens: np.ndarray, loc: float, scale: float) -> np.ndarray:
    j = np.clip(np.asarray(tokens) - N_SPECIAL, 0, N_BINS - 1)
    return loc + scale * CENTRES[j]


def spec() -> dict:
    return {
        "type": "Chronos MeanScaleUniformBins with a location (centred mean-absolute scaling)",
        "pad_token_id": PAD, "eos_token_id": EOS, "n_special_tokens": N_SPECIAL, "n_bins": N_BINS,
        "vocab_size": VOCAB, "low_limit": LOW, "high_limit": HIGH, "arithmetic": "float64 (IEEE double, as JavaScript numbers)",
        "context": f"the last min(n, {CONTEXT_LENGTH}) observations",
        "loc": "mean(context)",
        "scale": "mean(|context - loc|); 1 when that is not > 0 (constant context)",
        "centres": "centre_j = low_limit + j * (high_limit - low_limit) / (n_bins - 1), j = 0..n_bins-1",
        "edges": "edge_j = (centre_j + centre_{j+1}) / 2, j = 0..n_bins-2",
        "encode": "z = (x - loc) / scale; token = n_special_tokens + (number of edges e with e <= z)  (torch.bucketize right=True; values past the range land in the first/last bin)",
        "decode": "value = loc + scale * centre_{token - n_special_tokens}",
        "special_ids": "PAD (0) fills left padding (attention_mask 0); EOS (1) is reserved and never fed or sampled; the sampler sets the logits of ids 0 and 1 to -inf",
        "padding": "rows of a batch with shorter contexts are left-padded with PAD, attention_mask 0 and position_ids 0 on the padded columns; real tokens have position_ids 0..n-1 counted from the row's first real token",
        "reference": "amazon-science/chronos-forecasting src/chronos/chronos.py MeanScaleUniformBins (loc = 0 there, 4093 bins on [-15, 15])",
    }
