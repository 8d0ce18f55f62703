"""Quality and speed of the shape generators, measured through their exported ONNX graphs (onnxruntime).

    tools/models/run.sh shape-eval

For models/shape-octree (next-scale, 4 forwards per shape) and models/shape-raster (next-token, 512 forwards per shape),
side by side on the same classes and seeds, written into each model's `eval`:
- class agreement: the judge (models/voxel-classifier) gives the requested class, 40 shapes per class;
- valid fraction: non-empty and one main piece (the largest 26-connected component holds >= 95 % of the voxels);
- coverage (COV) and minimum matching distance (MMD) with the distance 1 - voxel IoU, for 113 generated shapes (as
  many as the held-out test split has, class-stratified) against the training split, beside the same figures of the
  held-out test split itself against the training split (the ceiling), and of all generated shapes against the test
  split;
- forwards per shape and ms per shape at batch 1 (median of 8, interleaved).
The temperature and guidance scale of the defaults are picked on class agreement alone (the judge, no real shape)
over {1.0, 0.7, 0.5, 0.3} x {1, 2, 3} with 10 shapes per class, for each generator; the sweep is recorded.
"""
from __future__ import annotations

import time

import numpy as np
from scipy import ndimage

from . import common as C
from . import shape_data as S

PER_CLASS = 40
SWEEP_PER_CLASS = 10
SWEEP = [(t, c) for t in (1.0, 0.7, 0.5, 0.3) for c in (1.0, 2.0, 3.0)]
SEED = 0


def sample(logits: np.ndarray, rng: np.random.Generator, temperature: float = 1.0) -> np.ndarray:
    """Categorical draw over the last axis (Gumbel-max); -inf entries are never drawn."""
    g = rng.gumbel(size=logits.shape)
    return np.argmax(logits / temperature + g, axis=-1)


def guide(logits: np.ndarray, b: int, cfg: float) -> np.ndarray:
    return logits[:b] if cfg == 1 else logits[b:] + (logits[:b] - logits[b:]) * cfg


class Octree:
    forwards = S.LEVELS

    def __init__(self):
        self.sess = C.ort_session(C.MODELS_DIR / "shape-octree" / "scale_model.onnx")
        self.par, self.cid = S.parent_index()

    def generate(self, labels: np.ndarray, cfg: float, rng, temperature: float = 1.0) -> np.ndarray:
        b = len(labels)
        rows = b if cfg == 1 else 2 * b
        tok = np.zeros((b, S.SEQ), np.int64)
        ids = np.zeros((rows, S.SEQ), np.int64)
        ids[:b, 0] = 2048 + labels
        ids[b:, 0] = 2048 + len(S.CLASSES)
        for k in range(S.LEVELS):
            s, e = S.LEVEL_START[k], S.LEVEL_START[k] + S.LEVEL_LEN[k]
            logits = self.sess.run(["logits"], {"input_ids": ids[:, :e]})[0][:, s:e].astype(np.float64)
            g = guide(logits, b, cfg)
            occ = np.ones((b, e - s), bool) if k == 0 else ((tok[:, self.par[s:e]] >> self.cid[s:e]) & 1).astype(bool)
            g[..., 0] = np.where(occ, -np.inf, g[..., 0])
            g[..., 1:] = np.where(occ[..., None], g[..., 1:], -np.inf)
            tok[:, s:e] = sample(g, rng, temperature)
            if k + 1 < S.LEVELS:
                s2, e2 = S.LEVEL_START[k + 1], S.LEVEL_START[k + 1] + S.LEVEL_LEN[k + 1]
                nxt = tok[:, self.par[s2:e2]] * 8 + self.cid[s2:e2]
                ids[:, s2:e2] = np.concatenate([nxt] * (rows // b))
        return S.level3_to_voxels(tok[:, S.LEVEL_START[3]:])


class Raster:
    forwards = 512

    def __init__(self):
        self.sess = C.ort_session(C.MODELS_DIR / "shape-raster" / "onnx" / "model.onnx")
        self.past_names = [i.name for i in self.sess.get_inputs() if i.name.startswith("past")]
        shape = self.sess.get_inputs()[3].shape
        self.heads, self.dim = shape[1], shape[3]

    def generate(self, labels: np.ndarray, cfg: float, rng, temperature: float = 1.0) -> np.ndarray:
        b = len(labels)
        rows = b if cfg == 1 else 2 * b
        first = np.concatenate([labels + 256, np.full(rows - b, 256 + len(S.CLASSES))])[:, None]
        past = {n: np.zeros((rows, self.heads, 0, self.dim), np.float32) for n in self.past_names}
        feed, codes = first, np.zeros((b, 512), np.int64)
        for t in range(512):
            out = self.sess.run(None, {"input_ids": feed, "attention_mask": np.ones((rows, t + 1), np.int64),
                                       "position_ids": np.full((rows, 1), t), **past})
            past = dict(zip(self.past_names, out[1:]))
            g = guide(out[0][:, -1].astype(np.float64), b, cfg)
            g[:, 256:] = -np.inf
            codes[:, t] = sample(g, rng, temperature)
            feed = np.concatenate([codes[:, t]] * (rows // b))[:, None]
        return S.level3_to_voxels(codes)


def batched(gen, labels, cfg, rng, temperature=1.0, bs=32):
    return np.concatenate([gen.generate(labels[i:i + bs], cfg, rng, temperature) for i in range(0, len(labels), bs)])


def judge_labels(vox: np.ndarray) -> np.ndarray:
    sess = C.ort_session(C.MODELS_DIR / "voxel-classifier" / "classifier.onnx")
    x = vox.astype(np.float32)[:, None]
    return np.concatenate([sess.run(["logits"], {"voxels": x[i:i + 64]})[0].argmax(1) for i in range(0, len(x), 64)])


def valid(v: np.ndarray) -> bool:
    lab, n = ndimage.label(v, structure=np.ones((3, 3, 3)))
    if n == 0:
        return False
    sizes = np.bincount(lab.ravel())[1:]
    return sizes.max() >= 0.95 * sizes.sum()


def cov_mmd(gen: np.ndarray, ref: np.ndarray) -> dict:
    g = gen.reshape(len(gen), -1).astype(np.float32)
    r = ref.reshape(len(ref), -1).astype(np.float32)
    inter = g @ r.T
    union = g.sum(1)[:, None] + r.sum(1)[None] - inter
    d = 1 - np.where(union > 0, inter / np.maximum(union, 1), 0)
    return {"coverage": round(float(len(set(d.argmin(1))) / len(ref)), 4), "mmd": round(float(d.min(0).mean()), 4),
            "generated": len(gen), "reference": len(ref)}


def stratified(labels: np.ndarray, n: int, rng) -> np.ndarray:
    per = {c: np.flatnonzero(labels == c) for c in range(len(S.CLASSES))}
    idx = np.concatenate([rng.permutation(v)[: int(round(n / len(per)))] for v in per.values()])
    return np.sort(idx[:n])


def main():
    C.setup(SEED)
    d = S.load()
    vox, lab, test = d["vox"], d["labels"].astype(np.int64), d["test"].astype(bool)
    train_v, test_v = vox[~test], vox[test]
    ceiling = cov_mmd(test_v, train_v)
    print(f"[shape-eval] ceiling (test split vs train split): {ceiling}", flush=True)
    gens = {"shape-octree": Octree(), "shape-raster": Raster()}
    sweeps, picks = {}, {}
    for n, g in gens.items():
        sweeps[n] = []
        for temperature, cfg in SWEEP:
            labels = np.repeat(np.arange(len(S.CLASSES)), SWEEP_PER_CLASS)
            v = batched(g, labels, cfg, np.random.default_rng(SEED), temperature)
            acc = float((judge_labels(v) == labels).mean())
            sweeps[n].append({"temperature": temperature, "cfg_scale": cfg, "class_agreement": round(acc, 4),
                              "shapes": len(labels)})
            print(f"[shape-eval] {n} temperature {temperature} cfg {cfg}: class agreement {acc:.3f}", flush=True)
        pick = max(sweeps[n], key=lambda r: r["class_agreement"])
        picks[n] = (pick["cfg_scale"], pick["temperature"])
    # Speed at batch 1, interleaved.
    times = {n: [] for n in gens}
    for i in range(8):
        for n, g in gens.items():
            t0 = time.perf_counter()
            g.generate(np.array([i % len(S.CLASSES)]), *picks[n][:1], np.random.default_rng(i), picks[n][1])
            times[n].append(1000 * (time.perf_counter() - t0))
    labels = np.repeat(np.arange(len(S.CLASSES)), PER_CLASS)
    results = {}
    for n, g in gens.items():
        best, temp = picks[n]
        t0 = time.time()
        v = batched(g, labels, best, np.random.default_rng(SEED + 1), temp)
        pred = judge_labels(v)
        per_class = {S.CLASSES[c]: round(float((pred[labels == c] == c).mean()), 4) for c in range(len(S.CLASSES))}
        sub = stratified(labels, len(test_v), np.random.default_rng(SEED))
        ok = np.array([valid(x) for x in v])
        results[n] = {
            "command": "tools/models/run.sh shape-eval",
            "samples": len(labels),
            "per_class_samples": PER_CLASS,
            "cfg_scale": best,
            "sampling": f"temperature {temp}, top_k 0 (off), top_p 1.0; octree: occupancy-consistency mask",
            "temperature": temp,
            "class_agreement": round(float((pred == labels).mean()), 4),
            "class_agreement_per_class": per_class,
            "valid_fraction": round(float(ok.mean()), 4),
            "valid_rule": "non-empty and the largest 26-connected component holds >= 95 % of the voxels",
            "mean_occupied_voxels": round(float(v.reshape(len(v), -1).sum(1).mean()), 1),
            "vs_train_split": cov_mmd(v[sub], train_v),
            "vs_test_split": cov_mmd(v, test_v),
            "ceiling_test_vs_train": ceiling,
            "distance": "1 - voxel IoU at 16^3",
            "forwards_per_shape": g.forwards,
            "ms_per_shape_batch1_median": round(float(np.median(times[n])), 2),
            "eval_seconds": round(time.time() - t0, 1),
            "judge": "models/voxel-classifier",
        }
        print(f"[shape-eval] {n}: {results[n]}", flush=True)
    for n, r in results.items():
        folder = C.MODELS_DIR / n
        man = C.read_json(folder / "model.json")
        r["speed_up_vs_next_token"] = round(results["shape-raster"]["ms_per_shape_batch1_median"]
                                            / results["shape-octree"]["ms_per_shape_batch1_median"], 2)
        man["eval"] = dict(r, sweep=sweeps[n])
        man["defaults"]["cfg_scale"], man["defaults"]["temperature"] = picks[n]
        C.write_json(folder / "model.json", man)


if __name__ == "__main__":
    main()
