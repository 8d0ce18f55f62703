"""Quality of the generators, measured through the exported ONNX graphs with onnxruntime (Python).

    tools/models/run.sh eval [llama-mnist|llama-mnist-draft|var-mnist ...] [--per-class 100] [--mnist PATH]
    (nbp-mmnist / ntp-mmnist are handed to nextx_models/video_eval.py)

For each generator: 100 samples per class at the default sampling settings in its model.json, scored by
models/mnist-classifier: class agreement (share of samples of class c classified as c) and the Fréchet distance
between classifier features of the samples and of the 2,000 real test digits. Rewrites `eval` in model.json and
samples.png (10x10, one row per class).
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from . import common as C

# ---------------------------------------------------------------- sampling (numpy, mirrors the official loops)


def process_logits(logits: np.ndarray, rng: np.random.Generator, temperature=1.0, top_k=0, top_p=1.0,
                   allowed: int | None = None) -> np.ndarray:
    """logits (N, V) -> sampled ids (N,). LlamaGen order: /temperature, top-k, top-p, multinomial.
    `allowed`: only ids < allowed may be sampled (suppresses class / null tokens)."""
    x = logits.astype(np.float64)
    if allowed is not None:
        x = x[:, :allowed]
    x = x / max(temperature, 1e-5)
    V = x.shape[1]
    if top_k and top_k < V:
        kth = np.partition(x, V - top_k, axis=1)[:, V - top_k][:, None]
        x = np.where(x < kth, -np.inf, x)
    if top_p < 1.0:
        order = np.argsort(-x, axis=1)
        sx = np.take_along_axis(x, order, 1)
        p = np.exp(sx - sx[:, :1]); p /= p.sum(1, keepdims=True)
        cum = np.cumsum(p, 1)
        remove = cum - p > top_p  # keep the smallest prefix whose mass reaches top_p (always keeps the first)
        sx = np.where(remove, -np.inf, sx)
        x = np.full_like(x, -np.inf)
        np.put_along_axis(x, order, sx, 1)
    p = np.exp(x - x.max(1, keepdims=True)); p /= p.sum(1, keepdims=True)
    u = rng.random((p.shape[0], 1))
    ids = (np.cumsum(p, 1) < u).sum(1)
    return np.minimum(ids, p.shape[1] - 1)


def empty_past(n_layers, batch, heads, head_dim, prefix="past_key_values"):
    z = np.zeros((batch, heads, 0, head_dim), np.float32)
    return {f"{prefix}.{i}.{t}": z for i in range(n_layers) for t in ("key", "value")}


def next_past(outs: dict, n_layers):
    return {f"past_key_values.{i}.{t}": outs[f"present.{i}.{t}"] for i in range(n_layers) for t in ("key", "value")}


def cached_steps(sess, ids: np.ndarray, n_layers, heads, head_dim, output: str = "logits") -> np.ndarray:
    """`output` of an Optimum decoder fed `ids` [B, T] one token per call through its KV cache, stacked to
    [B, T, ...]: what the parity checks compare with a full-sequence forward."""
    names = [o.name for o in sess.get_outputs()]
    B, T = ids.shape
    past, steps = empty_past(n_layers, B, heads, head_dim), []
    for t in range(T):
        o = dict(zip(names, sess.run(None, {"input_ids": ids[:, t:t + 1], "attention_mask": np.ones((B, t + 1), np.int64),
                                            "position_ids": np.full((B, 1), t, np.int64), **past})))
        steps.append(o[output][:, 0])
        past = next_past(o, n_layers)
    return np.stack(steps, 1)


def generate_raster(folder: Path, labels: np.ndarray, settings: dict, seed: int, onnx_file="onnx/model.onnx",
                    decoder: Path | None = None, batch: int = 500, return_codes: bool = False):
    """LlamaGen c2i loop: prefill [class; null] for the CFG batch, then one code per step; CFG u + (c-u)*s."""
    man = C.read_json(folder / "model.json")
    ct = man["contract"]
    g = ct["graphs"]["decoder_lm"]
    L, H, D = g["num_layers"], g["num_heads"], g["head_dim"]
    lay = ct["token_layout"]
    sess = C.ort_session(folder / onnx_file)
    dec = C.ort_session(decoder or (folder / ct["graphs"]["decoder"]["file"]))
    rng = np.random.default_rng(seed)
    n_tok = lay["image_tokens"]
    imgs, all_codes = [], []
    for s in range(0, len(labels), batch):
        lab = labels[s:s + batch]
        B = len(lab)
        cfg = settings["cfg_scale"]
        use_cfg = cfg != 1.0
        ids = lab + lay["class_token_offset"]
        if use_cfg:
            ids = np.concatenate([ids, np.full(B, lay["null_class_token"])])
        ids = ids[:, None].astype(np.int64)
        NB = ids.shape[0]
        past = empty_past(L, NB, H, D)
        codes = np.zeros((B, n_tok), np.int64)
        for t in range(n_tok):
            feed = {"input_ids": ids, "attention_mask": np.ones((NB, t + 1), np.int64),
                    "position_ids": np.full((NB, 1), t, np.int64), **past}
            outs = dict(zip([o.name for o in sess.get_outputs()], sess.run(None, feed)))
            logits = outs["logits"][:, -1]
            if use_cfg:
                c, u = logits[:B], logits[B:]
                logits = u + (c - u) * cfg
            nxt = process_logits(logits, rng, settings["temperature"], settings["top_k"], settings["top_p"],
                                 allowed=lay["codebook_size"])
            codes[:, t] = nxt
            ids = np.concatenate([nxt, nxt])[:, None] if use_cfg else nxt[:, None]
            ids = ids.astype(np.int64) + lay["code_token_offset"]
            past = next_past(outs, L)
        imgs.append(dec.run(None, {"codes": codes})[0])
        all_codes.append(codes)
    if return_codes:
        return np.concatenate(imgs), np.concatenate(all_codes)
    return np.concatenate(imgs)


def generate_var(folder: Path, labels: np.ndarray, settings: dict, seed: int, batch: int = 500):
    """VAR autoregressive_infer_cfg: one forward per scale over the whole token map, CFG ramp t = cfg*si/(n-1),
    guided = (1+t)*cond - t*uncond, top-k/top-p, f_hat accumulation via var_scale_update.onnx."""
    man = C.read_json(folder / "model.json")
    ct = man["contract"]
    g = ct["graphs"]["step"]
    L, H, D = g["num_layers"], g["num_heads"], g["head_dim"]
    scales = ct["scales"]
    cvae = ct["latent_channels"]
    step = C.ort_session(folder / g["file"])
    upd = C.ort_session(folder / ct["graphs"]["scale_update"]["file"])
    dec = C.ort_session(folder / ct["graphs"]["decoder"]["file"])
    rng = np.random.default_rng(seed)
    names = [o.name for o in step.get_outputs()]
    imgs = []
    for s in range(0, len(labels), batch):
        lab = labels[s:s + batch].astype(np.int64)
        B = len(lab)
        cls = np.concatenate([lab, np.full(B, ct["null_class"], np.int64)])
        past = empty_past(L, 2 * B, H, D)
        x = np.zeros((2 * B, 1, cvae), np.float32)
        f_hat = np.zeros((B, cvae, scales[-1], scales[-1]), np.float32)
        for si, pn in enumerate(scales):
            outs = dict(zip(names, step.run(None, {"inputs_embeds": x, "class_labels": cls, **past})))
            logits = outs["logits"]
            t = settings["cfg_scale"] * si / (len(scales) - 1)
            guided = (1 + t) * logits[:B] - t * logits[B:]
            idx = process_logits(guided.reshape(B * pn * pn, -1), rng, settings["temperature"], settings["top_k"],
                                 settings["top_p"]).reshape(B, pn * pn).astype(np.int64)
            f_hat, nxt = upd.run(None, {"f_hat": f_hat, "indices": idx, "scale_index": np.array(si, np.int64)})
            x = np.concatenate([nxt, nxt]).astype(np.float32)
            past = next_past(outs, L)
        imgs.append(dec.run(None, {"f_hat": f_hat})[0])
    return np.concatenate(imgs)


def full_logits(sess, seqs: np.ndarray, n_layers, heads, head_dim) -> np.ndarray:
    B, T = seqs.shape
    feed = {"input_ids": seqs, "attention_mask": np.ones((B, T), np.int64),
            "position_ids": np.tile(np.arange(T), (B, 1)), **empty_past(n_layers, B, heads, head_dim)}
    return sess.run(["logits"], feed)[0]


def softmax(x):
    e = np.exp(x - x.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def speculative_stats(target: str = "llama-mnist", draft: str = "llama-mnist-draft", per_class: int = 20, seed: int = 0,
                      k: int = 16, delta: float = 0.1) -> dict:
    """Acceptance of draft tokens along sequences sampled from the target at its default settings (both models
    with the same CFG scale): standard speculative sampling accepts with probability sum_x min(p, q); LANTERN
    (evaluate_posterior) with sum_x min(q(x), p~(x)), p~(x) = p(x) + sum of p over the first m* latent neighbours of
    x, m* = max{m <= k : sum_{i<=m} p(n_i(x)) <= delta}."""
    tf, df = C.MODELS_DIR / target, C.MODELS_DIR / draft
    tman, dman = C.read_json(tf / "model.json"), C.read_json(df / "model.json")
    st = tman["defaults"]
    lay = tman["contract"]["token_layout"]
    K = lay["codebook_size"]
    labels = labels_for(per_class)
    _, codes = generate_raster(tf, labels, st, seed, return_codes=True)
    cond = np.concatenate([(labels + lay["class_token_offset"])[:, None], codes], 1).astype(np.int64)
    unc = cond.copy(); unc[:, 0] = lay["null_class_token"]
    both = np.concatenate([cond, unc])[:, :-1]
    probs = []
    for folder, man in ((tf, tman), (df, dman)):
        g = man["contract"]["graphs"]["decoder_lm"]
        lg = full_logits(C.ort_session(folder / g["file"]), both, g["num_layers"], g["num_heads"], g["head_dim"])[..., :K]
        c, u = lg[:len(labels)], lg[len(labels):]
        probs.append(softmax((u + (c - u) * st["cfg_scale"]) / st["temperature"]).reshape(-1, K))
    p, q = probs
    std_acc = np.minimum(p, q).sum(1)
    nb = np.array(C.read_json(tf / "neighbours.json")["neighbours"])[:, :k]           # K,k
    pn = p[:, nb]                                                                      # N,K,k
    cum = np.cumsum(pn, -1)
    ok = cum <= delta
    m_star = ok.sum(-1)                                                                # cum is increasing
    extra = np.where(m_star > 0, np.take_along_axis(cum, np.maximum(m_star - 1, 0)[..., None], -1)[..., 0], 0.0)
    p_tilde = p + extra
    lan_acc = np.minimum(q, p_tilde).sum(1)
    return {"positions": int(p.shape[0]), "sequences": int(len(labels)), "settings": st,
            "standard_acceptance": round(float(std_acc.mean()), 4),
            "lantern_acceptance": round(float(lan_acc.mean()), 4), "lantern_k": k, "lantern_delta": delta,
            "note": "mean per-token acceptance probability of a draft token, on sequences sampled from the target"}


# ---------------------------------------------------------------- scoring


class Scorer:
    def __init__(self, mnist_dir=None):
        self.sess = C.ort_session(C.MODELS_DIR / "mnist-classifier" / "classifier.onnx")
        _, _, xte, _ = C.load_mnist(mnist_dir)
        self.real_feats = self.features(xte.numpy())[1]

    def features(self, imgs):
        outs = [self.sess.run(None, {"image": imgs[i:i + 500].astype(np.float32)}) for i in range(0, len(imgs), 500)]
        return np.concatenate([o[0] for o in outs]), np.concatenate([o[1] for o in outs])

    def score(self, imgs, labels) -> dict:
        logits, feats = self.features(imgs)
        pred = logits.argmax(1)
        per = [float((pred[labels == c] == c).mean()) for c in range(10)]
        return {"class_agreement": round(float((pred == labels).mean()), 4),
                "class_agreement_per_class": [round(p, 3) for p in per],
                "frechet_distance": round(C.frechet_distance(feats, self.real_feats), 3)}


def labels_for(per_class: int) -> np.ndarray:
    return np.repeat(np.arange(10), per_class)


def run(name: str, scorer: Scorer, per_class=100, seed=0, settings=None, write=True) -> dict:
    folder = C.MODELS_DIR / name
    man = C.read_json(folder / "model.json")
    settings = settings or man["defaults"]
    labels = labels_for(per_class)
    t0 = time.time()
    if man["family"] == "var":
        imgs = generate_var(folder, labels, settings, seed)
    else:
        kw = {}
        if man.get("decoder_from"):
            kw["decoder"] = (folder / man["decoder_from"]).resolve()
        imgs = generate_raster(folder, labels, settings, seed, **kw)
    secs = time.time() - t0
    res = scorer.score(imgs, labels)
    res.update({"samples": int(len(labels)), "samples_per_class": per_class, "seed": seed, "settings": settings,
                "generation_seconds": round(secs, 1), "classifier": "models/mnist-classifier/classifier.onnx",
                "reference": "classifier features of the 2,000 real test digits",
                "measured_with": "onnxruntime (Python) on the exported graphs",
                "command": f"tools/models/run.sh eval {name}"})
    print(f"[eval] {name} {settings}: agreement {res['class_agreement']:.4f} FD {res['frechet_distance']:.3f} "
          f"({secs:.0f} s)", flush=True)
    if man.get("draft_for"):
        sp = man["defaults"].get("speculative", {})
        res["speculative"] = speculative_stats(man["draft_for"], name, seed=seed, k=sp.get("lantern_k", 16),
                                               delta=sp.get("lantern_delta", 0.1))
        print(f"[eval] {name} acceptance standard {res['speculative']['standard_acceptance']} "
              f"LANTERN {res['speculative']['lantern_acceptance']}", flush=True)
    if write:
        grid = np.concatenate([imgs[labels == c][:10] for c in range(10)])
        C.save_grid(grid, folder / "samples.png")
        man["eval"] = res
        C.write_json(folder / "model.json", man)
    return res


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("names", nargs="*", default=["llama-mnist", "llama-mnist-draft", "var-mnist"])
    ap.add_argument("--mnist", default=str(C.default_mnist_dir()))
    ap.add_argument("--per-class", type=int, default=100)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    C.setup(0)
    video = [n for n in args.names if C.read_json(C.MODELS_DIR / n / "model.json")["family"] in ("nbp", "ntp-video")]
    if video:  # Moving-MNIST video models: nextx_models/video_eval.py (200 clips, 16 frames)
        from . import video_eval
        video_eval.main(video + ["--mnist", args.mnist])
    rest = [n for n in args.names if n not in video]
    scorer = Scorer(args.mnist) if rest else None
    for n in rest:
        run(n, scorer, args.per_class, args.seed)


if __name__ == "__main__":
    main()
