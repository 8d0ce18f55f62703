"""Acceptance of continuous speculative decoding (CSpD) of mar-mnist with mar-mnist-draft, through the ONNX graphs.

    tools/models/run.sh mar-cspd [--per-class 20]     # writes eval.speculative into models/mar-mnist-draft/model.json

The exact per-round rule the engine runs (libs/engine ContinuousSpeculativeSampler): in every MAR round the draft's
backbone and head draw the round's tokens along a denoising path x_T -> ... -> x_1; the target's head scores every state
of that path in one batched call, and a token is kept with probability min(1, p(path) / q(path)), p and q being the
products of the Gaussian step densities (same fixed variance, temperature-scaled). Recorded: the mean acceptance
probability per drafted token, over the rounds of generations at the target's defaults (the canvas advances with the
target's own draws, so every round is scored on canvases the target would produce).
"""
from __future__ import annotations

import argparse
import time

import numpy as np

from . import common as C
from . import eval as E
from . import mar as M
from . import patch_tokens as P


def path_log_density(ddpm, states, eps_list, temp):
    """Sum over noisy steps of log N(states[i+1]; mean_i(states[i], eps_i), sigma_i^2 temp^2), constants dropped."""
    total = np.zeros(states[0].shape[0])
    n = len(ddpm.timesteps)
    for i in range(n - 1):
        k = n - 1 - i
        mu = ddpm.mean(k, states[i], eps_list[i])
        var = np.exp(ddpm.logvar[k]) * temp * temp
        total -= ((states[i + 1] - mu) ** 2).sum(-1) / (2 * var)
    return total


def head_eps_from(eps, scale, guided):
    """CFG fold of a raw eps block laid out [cond; uncond] (as mar.head_eps does after its run)."""
    if not guided:
        return eps
    n = eps.shape[0] // 2
    return eps[n:] + scale * (eps[:n] - eps[n:])


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--per-class", type=int, default=20)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    C.setup(args.seed, 1)
    tf, df = C.MODELS_DIR / "mar-mnist", C.MODELS_DIR / "mar-mnist-draft"
    st = C.read_json(tf / "model.json")["defaults"]
    tb, th = C.ort_session(tf / "mar_backbone.onnx"), C.ort_session(tf / "mar_head.onnx")
    db, dh = C.ort_session(df / "mar_backbone.onnx"), C.ort_session(df / "mar_head.onnx")
    rng = np.random.default_rng(args.seed)
    labels = E.labels_for(args.per_class).astype(np.int64)
    B = len(labels)
    cfg, temp, K, n = st["cfg_scale"], st["temperature"], st["num_iter"], st["num_sampling_steps"]
    ddpm = M.Ddpm(n, st.get("variance", "fixedLarge"))
    lens = M.cosine_mask_lens(K)
    guided = cfg != 1.0
    cls = np.concatenate([labels, np.full(B, C.NUM_CLASSES)]) if guided else labels
    canvas = np.zeros((B, P.SEQ, P.DIM), np.float32); mask = np.ones((B, P.SEQ), np.float32)
    orders = np.stack([rng.permutation(P.SEQ) for _ in range(B)])
    before = P.SEQ
    probs, log_ratios = [], []
    timing = {"draft_round_s": 0.0, "target_round_s": 0.0}
    for k in range(K):
        c2 = np.concatenate([canvas, canvas]) if guided else canvas
        m2 = np.concatenate([mask, mask]) if guided else mask
        t0 = time.time()
        zt = tb.run(None, {"tokens": c2, "mask": m2, "class_labels": cls})[0]
        t1 = time.time()
        zd = db.run(None, {"tokens": c2, "mask": m2, "class_labels": cls})[0]
        t2 = time.time()
        keep = 0 if k == K - 1 else lens[k]
        pos = orders[:, keep:before]; npred = pos.shape[1]; rows = np.arange(B)[:, None]
        pick = lambda z: np.concatenate([z[:B][rows, pos].reshape(B * npred, -1), z[B:][rows, pos].reshape(B * npred, -1)]) if guided \
            else z[rows, pos].reshape(B * npred, -1)
        zzt, zzd = pick(zt), pick(zd)
        scale = 1 + (cfg - 1) * (P.SEQ - lens[k]) / P.SEQ
        ts = list(reversed(ddpm.timesteps))
        # the draft's path, and the target's own draw (which advances the canvas)
        paths = {}
        for name, head, zz in (("draft", dh, zzd), ("target", th, zzt)):
            x = rng.standard_normal((B * npred, P.DIM)); states, eps_l = [], []
            ts0 = time.time()
            for i, t in enumerate(ts):
                kk = len(ts) - 1 - i
                states.append(x)
                eps = M.head_eps(head, np.concatenate([x, x]) if guided else x, np.full(x.shape[0] * (2 if guided else 1), t), zz, scale, guided)
                eps_l.append(eps)
                mu = ddpm.mean(kk, x, eps)
                x = mu + (np.exp(0.5 * ddpm.logvar[kk]) * rng.standard_normal(x.shape) * temp if kk > 0 else 0)
            timing[f"{name}_round_s"] += time.time() - ts0
            paths[name] = (states, eps_l, x)
        timing["target_round_s"] += t1 - t0; timing["draft_round_s"] += t2 - t1
        states, eps_q, _ = paths["draft"]
        # the target scores every state of the draft's path in one call
        xs = np.concatenate([np.concatenate([s, s]) if guided else s for s in states])
        tt = np.concatenate([np.full(states[0].shape[0] * (2 if guided else 1), t) for t in ts])
        zz_all = np.concatenate([zzt] * len(ts))
        raw = th.run(None, {"x": xs.astype(np.float32), "t": tt.astype(np.int64), "z": zz_all.astype(np.float32)})[0]
        per = states[0].shape[0] * (2 if guided else 1)
        eps_p = [head_eps_from(raw[i * per:(i + 1) * per], scale, guided) for i in range(len(ts))]
        lr = path_log_density(ddpm, states, eps_p, temp) - path_log_density(ddpm, states, eps_q, temp)
        log_ratios.append(lr); probs.append(np.minimum(1.0, np.exp(np.minimum(0, lr))))
        canvas[rows, pos] = paths["target"][2].reshape(B, npred, P.DIM).astype(np.float32)
        mask[rows, pos] = 0
        before = keep
    p = np.concatenate(probs); lr = np.concatenate(log_ratios)
    res = {"method": "exact per-round CSpD on denoising paths (libs/engine ContinuousSpeculativeSampler)",
           "images": int(B), "drafted_tokens": int(p.size), "settings": st,
           "acceptance_probability_mean": round(float(p.mean()), 4),
           "log_ratio_median": round(float(np.median(lr)), 3),
           "round_seconds": {k: round(v, 2) for k, v in timing.items()},
           "command": "tools/models/run.sh mar-cspd", "measured_with": "onnxruntime (Python) on the exported graphs"}
    man = C.read_json(df / "model.json")
    man.setdefault("eval", {})["speculative"] = res
    C.write_json(df / "model.json", man)
    print(f"[mar-cspd] {res}", flush=True)


if __name__ == "__main__":
    main()
