"""Quality of the video models through their exported ONNX graphs (onnxruntime, Python).

    tools/models/run.sh eval nbp-mmnist ntp-mmnist   (or python -m nextx_models.video_eval NAME ...)

Generation implements the inference loop of model.json "video.inference" (the loop of libs/engine's
NextBlockVideoGenerator / NextTokenVideoGenerator: whole frames leave the front of the KV cache, nbp keeps the fed
frame + 2 earlier ones, ntp 4 frames; position ids keep increasing). 200 eval clips (conditions of the Moving-MNIST
test clips, seed 0 for sampling), 16 frames each (4x the context). Metrics per (digit, frame) on the straight
bouncing path of the conditions:
  class agreement  the 28x28 box at the expected position, padded to 32x32, classified by models/mnist-classifier
                   as the conditioned class; boxes overlapping the other digit's box by > 25 % of their area excluded
  motion           intensity centroid inside the 40x40 window around the expected box (box +- 6 px, clipped to the
                   frame; pixels inside the other digit's expected box ignored) vs the expected box centre (x + 13.5, y + 13.5): mean distance in px and the share within
                   3 px (same exclusions; an empty window counts as 20 px)
The same metrics on the real test clips and on their VQ reconstructions are the ceiling.
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from . import common as C
from . import mmnist as MM
from .eval import empty_past, next_past, process_logits

WIN_PAD = 6
TARGET = 0.85   # class agreement goal
EMPTY_ERROR = 20.0


class Generator:
    def __init__(self, folder: Path):
        self.man = C.read_json(folder / "model.json")
        g = self.man["contract"]["graphs"]["step"]
        self.L, self.H, self.D = g["num_layers"], g["num_heads"], g["head_dim"]
        self.sess = C.ort_session(folder / g["file"])
        self.names = [o.name for o in self.sess.get_outputs()]
        self.dec = C.ort_session(folder / self.man["contract"]["graphs"]["frame_decoder"]["file"])
        v = self.man["video"]
        self.K, self.BOV, self.MBOS = v["codebook_size"], v["bov_id"], v["mbos_id"]
        self.B, self.ctx = v["block_size"], v["context_frames"]
        self.mode = "nbp" if self.man["family"] == "nbp" else "ntp"

    def run(self, ids, pos, spa, digits, motion, past):
        P = past["past_key_values.0.key"].shape[2]
        N, S = ids.shape
        feed = {"input_ids": ids.astype(np.int64), "attention_mask": np.ones((N, P + S), np.int64),
                "position_ids": pos.astype(np.int64), "spatial_ids": spa.astype(np.int64),
                "digits": digits, "motion": motion, **past}
        outs = dict(zip(self.names, self.sess.run(None, feed)))
        return outs["logits"], next_past(outs, self.L)

    @staticmethod
    def trim(past, n):
        return {k: np.ascontiguousarray(v[:, :, n:]) for k, v in past.items()}

    def generate(self, digits, motion, settings, seed, frames=16, return_stats=False):
        """-> codes (N, frames, 64). The KV cache keeps whole frames: before feeding entries of input frame F, the
        entries of frames < F - max_cached_frames + 1 leave the front of the cache (nbp: max_cached_frames = C - 1 = 3,
        the fed frame included; ntp: C = 4). Frame 0 owns [BOV .. f0_62] + [f0_63, MBOS x 63] (nbp, 128 entries) or
        [BOV, f0_0 .. f0_63] (ntp, 65 entries). position_ids keep increasing."""
        rng = np.random.default_rng(seed)
        N = len(digits)
        digits = digits.astype(np.int64); motion = motion.astype(np.float32)
        B = self.B
        keep = self.ctx - 1 if self.mode == "nbp" else self.ctx
        past = empty_past(self.L, N, self.H, self.D)
        codes = np.zeros((N, frames, B), np.int64)
        window = []          # [frame, entries] oldest first
        st = {"trims": 0, "max_cache_entries": 0}
        nxt = 0

        def feed(ids, spa, frame):
            nonlocal past, nxt
            while window and window[0][0] < frame - keep + 1:
                past = self.trim(past, window[0][1]); window.pop(0); st["trims"] += 1
            S = ids.shape[1]
            lg, past = self.run(ids, np.tile(np.arange(nxt, nxt + S), (N, 1)), spa, digits, motion, past)
            nxt += S
            if window and window[-1][0] == frame:
                window[-1][1] += S
            else:
                window.append([frame, S])
            st["max_cache_entries"] = max(st["max_cache_entries"], past["past_key_values.0.key"].shape[2])
            return lg

        samp = lambda lg: process_logits(lg.reshape(-1, lg.shape[-1]), rng, settings["temperature"], settings["top_k"],
                                         settings["top_p"]).reshape(lg.shape[:-1])
        if self.mode == "nbp":
            for k in range(B):   # token phase: frame 0, one token per step
                ids = np.full((N, 1), self.BOV, np.int64) if k == 0 else codes[:, 0, k - 1:k]
                lg = feed(ids, np.full((N, 1), k), 0)
                codes[:, 0, k] = samp(lg[:, -1:])[:, 0]
            for f in range(1, frames):   # block steps: feed frame f - 1 (first: [f0_63, MBOS x 63]) -> frame f
                ids = np.concatenate([codes[:, 0, B - 1:], np.full((N, B - 1), self.MBOS)], 1) if f == 1 else codes[:, f - 1]
                codes[:, f] = samp(feed(ids, np.tile(np.arange(B), (N, 1)), f - 1))
        else:
            flat = codes.reshape(N, -1)
            for t in range(frames * B):   # entry t: BOV (t = 0) or token t - 1 (its frame); predicts token t
                ids = np.full((N, 1), self.BOV, np.int64) if t == 0 else flat[:, t - 1:t]
                lg = feed(ids, np.full((N, 1), t % B), 0 if t == 0 else (t - 1) // B)
                flat[:, t] = samp(lg)[:, 0]
            codes = flat.reshape(N, frames, B)
        if return_stats:
            return codes, st
        return codes

    def decode(self, codes):
        N, T, _ = codes.shape
        flat = codes.reshape(N * T, -1)
        out = np.concatenate([self.dec.run(None, {"codes": flat[i:i + 800]})[0] for i in range(0, len(flat), 800)])
        return out.reshape(N, T, MM.FRAME, MM.FRAME)


class ClipScorer:
    def __init__(self):
        self.cls = C.ort_session(C.MODELS_DIR / "mnist-classifier" / "classifier.onnx")

    def score(self, clips, digits, motion) -> dict:
        """clips (N,T,64,64) in [0,1]."""
        N, T = clips.shape[:2]
        crops, labels, frames_of, errs = [], [], [], []
        excluded = 0
        for i in range(N):
            paths = {j: MM.trajectory(*MM.params_from_motion(motion[i, j]), frames=T)
                     for j in range(2) if digits[i, j] != MM.NO_DIGIT}
            for j, path in paths.items():
                other = paths.get(1 - j)
                for t in range(T):
                    x, y = path[t]
                    if other is not None:
                        ox, oy = other[t]
                        inter = max(0, MM.DIGIT - abs(x - ox)) * max(0, MM.DIGIT - abs(y - oy))
                        if inter > 0.25 * MM.DIGIT * MM.DIGIT:
                            excluded += 1
                            continue
                    crops.append(np.pad(clips[i, t, y:y + MM.DIGIT, x:x + MM.DIGIT], 2))
                    labels.append(digits[i, j]); frames_of.append(t)
                    x0, y0 = max(0, x - WIN_PAD), max(0, y - WIN_PAD)
                    x1, y1 = min(MM.FRAME, x + MM.DIGIT + WIN_PAD), min(MM.FRAME, y + MM.DIGIT + WIN_PAD)
                    w = clips[i, t, y0:y1, x0:x1].astype(np.float64).copy()
                    if other is not None:   # ignore the other digit's expected box inside the window
                        ox, oy = other[t]
                        w[max(0, oy - y0):max(0, oy + MM.DIGIT - y0), max(0, ox - x0):max(0, ox + MM.DIGIT - x0)] = 0
                    s = w.sum()
                    if s < 1e-3:
                        errs.append(EMPTY_ERROR)
                    else:
                        yy, xx = np.mgrid[y0:y1, x0:x1]
                        cy, cx = (w * yy).sum() / s, (w * xx).sum() / s
                        errs.append(float(np.hypot(cx - (x + 13.5), cy - (y + 13.5))))
        crops = np.stack(crops)[:, None].astype(np.float32)
        labels, frames_of, errs = np.array(labels), np.array(frames_of), np.array(errs)
        pred = np.concatenate([self.cls.run(None, {"image": crops[k:k + 1000]})[0].argmax(1)
                               for k in range(0, len(crops), 1000)])
        ok = pred == labels
        return {
            "class_agreement": round(float(ok.mean()), 4),
            "class_agreement_per_frame": [round(float(ok[frames_of == t].mean()), 3) for t in range(T)],
            "crops_scored": int(len(ok)), "crops_excluded_overlap": int(excluded),
            "motion_mean_error_px": round(float(errs.mean()), 3),
            "motion_within_3px": round(float((errs <= 3).mean()), 4),
            "motion_mean_error_px_per_frame": [round(float(errs[frames_of == t].mean()), 2) for t in range(T)],
        }


def eval_clips(mnist_dir=None, n=200):
    x, y, xt, yt = MM.mnist28(mnist_dir)
    clips, digits, motion, _ = MM.make_clips(xt, yt, n, MM.EVAL_SEED)
    return clips, digits, motion


def save_gif(frames_ntvhw: np.ndarray, path: Path, cols: int = 4, scale: int = 2, ms: int = 150):
    from PIL import Image
    N, T, H, W = frames_ntvhw.shape
    rows = (N + cols - 1) // cols
    imgs = []
    for t in range(T):
        grid = np.ones((rows * (H + 2) + 2, cols * (W + 2) + 2), np.float32)
        for i in range(N):
            r, c = divmod(i, cols)
            grid[2 + r * (H + 2): 2 + r * (H + 2) + H, 2 + c * (W + 2): 2 + c * (W + 2) + W] = frames_ntvhw[i, t]
        im = Image.fromarray((np.clip(grid, 0, 1) * 255).round().astype(np.uint8), mode="L")
        imgs.append(im.resize((im.width * scale, im.height * scale), Image.NEAREST))
    imgs[0].save(path, save_all=True, append_images=imgs[1:], duration=ms, loop=0, optimize=True)


def ceiling(folder: Path, clips, digits, motion, scorer: ClipScorer) -> dict:
    enc = C.ort_session(folder / "frame_encoder.onnx") if (folder / "frame_encoder.onnx").exists() else None
    gt = scorer.score(clips, digits, motion)
    res = {"real_clips": gt}
    if enc is not None:
        dec = C.ort_session(folder / "frame_decoder.onnx")
        fl = clips.reshape(-1, 1, MM.FRAME, MM.FRAME).astype(np.float32)
        codes = np.concatenate([enc.run(None, {"frames": fl[i:i + 800]})[0] for i in range(0, len(fl), 800)])
        rec = np.concatenate([dec.run(None, {"codes": codes[i:i + 800]})[0] for i in range(0, len(codes), 800)])
        res["vq_reconstructions"] = scorer.score(rec.reshape(clips.shape), digits, motion)
        res["vq_reconstruction_mse"] = round(float(((rec.reshape(clips.shape) - clips) ** 2).mean()), 5)
    return res


SWEEP = [
    {"temperature": 1.0, "top_k": 0, "top_p": 1.0},
    {"temperature": 1.0, "top_k": 64, "top_p": 0.9},    # NBP official: top_k 1/4 of the vocabulary (256 codes), top_p 0.9
    {"temperature": 0.8, "top_k": 0, "top_p": 1.0},
    {"temperature": 0.7, "top_k": 0, "top_p": 0.9},
    {"temperature": 0.5, "top_k": 0, "top_p": 1.0},
    {"temperature": 0.3, "top_k": 0, "top_p": 1.0},
]


def sweep(name: str, scorer: ClipScorer, n=24, mnist_dir=None) -> list:
    folder = C.MODELS_DIR / name
    gen = Generator(folder)
    clips, digits, motion = eval_clips(mnist_dir, 200)
    digits, motion = digits[-n:], motion[-n:]   # the last n eval clips
    out = []
    for st in SWEEP:
        t0 = time.time()
        fr = gen.decode(gen.generate(digits, motion, st, seed=123))
        r = scorer.score(fr, digits, motion)
        out.append({"settings": st, "class_agreement": r["class_agreement"],
                    "motion_within_3px": r["motion_within_3px"], "seconds": round(time.time() - t0, 1)})
        print(f"[sweep] {name} {st}: agreement {r['class_agreement']} motion3px {r['motion_within_3px']}", flush=True)
    return out


def run(name: str, scorer: ClipScorer, n=200, seed=0, mnist_dir=None, settings=None, write=True) -> dict:
    folder = C.MODELS_DIR / name
    man = C.read_json(folder / "model.json")
    settings = settings or {k: man["defaults"][k] for k in ("temperature", "top_k", "top_p")}
    gen = Generator(folder)
    clips, digits, motion = eval_clips(mnist_dir, n)
    t0 = time.time()
    codes, stats = gen.generate(digits, motion, settings, seed, return_stats=True)
    secs = time.time() - t0
    frames = gen.decode(codes)
    res = scorer.score(frames, digits, motion)
    res.update({"clips": n, "frames_per_clip": int(frames.shape[1]), "context_frames": gen.ctx, "seed": seed,
                "settings": settings, "generation_seconds": round(secs, 1), "generation_threads": C.os.environ.get("NEXTX_THREADS", "2"),
                "kv_cache": {"frames_dropped_per_clip": stats["trims"], "max_cache_entries_after_a_call": stats["max_cache_entries"],
                             "max_cached_frames": gen.ctx - 1 if gen.mode == "nbp" else gen.ctx},
                "classifier": "models/mnist-classifier/classifier.onnx",
                "measured_with": "onnxruntime (Python) on step.onnx + frame_decoder.onnx, KV cache trimmed from the front",
                "command": f"tools/models/run.sh eval {name}"})
    res["ceiling"] = ceiling(folder, clips, digits, motion, scorer) if (folder / "frame_encoder.onnx").exists() else \
        {"see": "models/nbp-mmnist/model.json eval.ceiling (same clips, same tokenizer)"}
    res["target"] = {"class_agreement": TARGET, "reached": bool(res["class_agreement"] >= TARGET)}
    print(f"[eval] {name} {settings}: agreement {res['class_agreement']} per frame {res['class_agreement_per_frame']} "
          f"motion {res['motion_mean_error_px']} px, within 3 px {res['motion_within_3px']} ({secs:.0f} s)", flush=True)
    if write:
        save_gif(frames[:8], folder / "samples.gif")
        man = C.read_json(folder / "model.json")
        man["eval"] = res
        files = [f for f in man["files"] if f["path"] != "samples.gif"] + [C.file_entry(folder, "samples.gif")]
        man["files"] = files
        C.write_json(folder / "model.json", man)
    return res


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("names", nargs="*", default=["nbp-mmnist", "ntp-mmnist"])
    ap.add_argument("--mnist", default=str(C.default_mnist_dir()))
    ap.add_argument("--clips", type=int, default=200)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--sweep", action="store_true", help="quick sampling sweep on 24 clips, stored as eval_sweep")
    args = ap.parse_args(argv)
    C.setup(0)
    scorer = ClipScorer()
    for n in args.names:
        if args.sweep:
            sw = sweep(n, scorer, mnist_dir=args.mnist)
            best = max(sw, key=lambda r: (r["class_agreement"], r["motion_within_3px"]))["settings"]
            man = C.read_json(C.MODELS_DIR / n / "model.json")
            man["eval_sweep"] = {"clips": 24, "which": "the last 24 eval clips, sampling seed 123", "results": sw,
                                 "picked": best, "rule": "highest class agreement, then motion within 3 px"}
            man["defaults"].update(best)
            C.write_json(C.MODELS_DIR / n / "model.json", man)
            C.write_json(C.CACHE_DIR / f"{n}-defaults.json", best)
        run(n, scorer, args.clips, args.seed, args.mnist)


if __name__ == "__main__":
    main()
