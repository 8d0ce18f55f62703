"""Quality of the audio models, measured through their ONNX graphs with onnxruntime.

    tools/models/run.sh audio-eval [codec] [musicgen] [magnet] [--n-per 2] [--sweep]

Judges: models/note-classifier (family agreement; 128-d features for the Fréchet distance against the 500 real
held-out notes, 1.0 s) and the YIN pitch judge (audio_pitch.py). Generators: 10 families x 25 pitches x n_per
samples with the model's `defaults`, 1.0 s (MusicGen: T = 50 frames, 53 steps; MAGNeT: T = 51 frames, first 16,000
samples), decoded with models/fluid-codec/codec_decoder.onnx.
"""
from __future__ import annotations

import argparse
import math
import time

import numpy as np

from . import audio_data as D
from . import audio_pitch as P
from . import common as C

SEC = 16000
SEED = 1234


def judge_sessions():
    return C.ort_session(C.MODELS_DIR / "note-classifier" / "classifier.onnx")


def classify(sess, audio: np.ndarray):
    lg, ft = [], []
    for i in range(0, len(audio), 100):
        o = sess.run(None, {"audio": np.ascontiguousarray(audio[i:i + 100], dtype=np.float32)})
        lg.append(o[0]); ft.append(o[1])
    return np.concatenate(lg), np.concatenate(ft)


_REAL = {}


def real_features(sess):
    if "f" not in _REAL:
        te = D.load("test")
        _REAL["f"] = classify(sess, te["audio"][:, :SEC])[1]
    return _REAL["f"]


def judge(audio_1s: np.ndarray, family: np.ndarray, pitch_midi: np.ndarray, sess=None) -> dict:
    sess = sess or judge_sessions()
    lg, ft = classify(sess, audio_1s)
    fam = float((lg.argmax(1) == family).mean())
    pj, got = P.agreement(audio_1s, pitch_midi)
    per_family = {D.FAMILIES[f]: round(float((lg.argmax(1)[family == f] == f).mean()), 4) for f in range(10) if (family == f).any()}
    return {"family_agreement": fam, "pitch_agreement_exact": pj["pitch_agreement_exact"],
            "pitch_agreement_within_1": pj["pitch_agreement_within_1"], "unvoiced": pj["unvoiced"],
            "frechet_distance": C.frechet_distance(ft, real_features(sess)), "n": int(len(family)),
            "per_family_agreement": per_family}


# ---------------------------------------------------------------- codec


def mrstft_np(x: np.ndarray, y: np.ndarray) -> float:
    import torch
    from .audio_codec import mrstft
    return float(np.mean([float(mrstft(torch.from_numpy(x[i:i + 1]), torch.from_numpy(y[i:i + 1]))) for i in range(len(x))]))


def eval_codec():
    t = C.Timer()
    folder = C.MODELS_DIR / "fluid-codec"
    es, ds = C.ort_session(folder / "codec_encoder.onnx"), C.ort_session(folder / "codec_decoder.onnx")
    te = D.load("test")
    x = te["audio"]
    rec = []
    for i in range(0, len(x), 50):
        codes = es.run(None, {"audio": x[i:i + 50]})[0]
        rec.append(ds.run(None, {"codes": codes, "first_frame": np.zeros(1, dtype=np.int64)})[0])
    y = np.concatenate(rec)
    snr = float(np.mean(10 * np.log10((x.astype(np.float64) ** 2).sum(1) / np.maximum(((x - y).astype(np.float64) ** 2).sum(1), 1e-12))))
    mr = mrstft_np(x, y)
    j = judge(y[:, :SEC], te["family"], te["pitch"])
    where = codebook_ablation(es, ds, x, te["family"])
    ev = {"snr_db": snr, "mrstft": mr, "notes": int(len(x)), "duration_seconds": 2.0,
          "mrstft_definition": "audio_codec.mrstft (the training loss term: mean over FFT 512/1024/2048, hop FFT/4, Hann, of spectral convergence + mean |log max(|S|,1e-5) - log max(|S^|,1e-5)|) of each note on its own (2 s), mean over the notes",
          "reconstruction": {**j, "crop": "first 16,000 samples (1.0 s) of the reconstruction",
                             "frechet_reference": "classifier features of the 500 real held-out notes (1.0 s)"},
          "where_timbre_lives": where,
          "seconds": t()}
    m = C.read_json(folder / "model.json"); m["eval"] = ev; C.write_json(folder / "model.json", m)
    print(f"[audio-eval] codec: SNR {snr:.2f} dB, MR-STFT {mr:.4f}, ceiling {j}", flush=True)
    return ev


def codebook_ablation(es, ds, x: np.ndarray, family: np.ndarray, seed: int = 0) -> dict:
    """Family agreement of 1.0 s reconstructions when codebooks k.. of the real codes are replaced by uniform random
    codes: which codebooks carry the timbre a generator must get right."""
    rng = np.random.default_rng(seed)
    sess = judge_sessions()
    codes = np.concatenate([es.run(None, {"audio": x[i:i + 50, :SEC]})[0] for i in range(0, len(x), 50)])
    out = {}
    for k in (1, 2, 3):
        c = codes.copy()
        c[:, k:] = rng.integers(0, 256, c[:, k:].shape)
        y = np.concatenate([ds.run(None, {"codes": c[i:i + 50], "first_frame": np.zeros(1, dtype=np.int64)})[0]
                            for i in range(0, len(c), 50)])
        out[f"family_agreement_codebooks_{k}_to_3_random"] = float((classify(sess, y)[0].argmax(1) == family).mean())
    out["setup"] = "held-out notes, first 1.0 s encoded; codebooks k..3 replaced by uniform random codes (seed 0), decoded, judged"
    return out


# ---------------------------------------------------------------- sampling helpers


def softmax(x, axis=-1):
    x = x - x.max(axis, keepdims=True)
    e = np.exp(x)
    return e / e.sum(axis, keepdims=True)


def multinomial(probs: np.ndarray, rng) -> np.ndarray:
    """probs [..., V] (rows sum to 1) -> sampled index [...] by inverse CDF of one uniform per row."""
    cdf = np.cumsum(probs, -1)
    u = rng.random(probs.shape[:-1] + (1,)) * cdf[..., -1:]
    return np.minimum((cdf <= u).sum(-1), probs.shape[-1] - 1)


def top_k_probs(logits, k, temperature):
    if k > 0 and k < logits.shape[-1]:
        kth = np.sort(logits, -1)[..., -k][..., None]
        logits = np.where(logits < kth, -np.inf, logits)
    return softmax(logits / temperature)


def top_p_filter(probs, p):
    order = np.argsort(-probs, -1, kind="stable")
    ps = np.take_along_axis(probs, order, -1)
    cs = np.cumsum(ps, -1)
    ps = np.where(cs - ps > p, 0.0, ps)
    ps = ps / ps.sum(-1, keepdims=True)
    out = np.zeros_like(probs)
    np.put_along_axis(out, order, ps, -1)
    return out


def conditions(n_per: int):
    fam = np.repeat(np.arange(10), 25 * n_per)
    pid = np.tile(np.repeat(np.arange(25), n_per), 10)
    return fam, pid


# ---------------------------------------------------------------- MusicGen


def lm_generate(sess, cond: np.ndarray, T: int, settings: dict, rng, null=(10, 25)) -> np.ndarray:
    """Delay-pattern generation with a KV cache; returns codes [B, 4, T]."""
    B = len(cond)
    K, SPECIAL = 4, 256
    names = [i.name for i in sess.get_inputs()]
    L = sum(1 for n in names if n.endswith(".key"))
    H, Dh = [(i.shape[1], i.shape[3]) for i in sess.get_inputs() if i.name == "past_key_values.0.key"][0]
    cfg = settings["cfg_coef"]
    c2 = np.concatenate([cond, np.tile(np.array(null)[None], (B, 1))]).astype(np.int64)
    S = T + 4
    pattern = np.full((B, K, S), SPECIAL, np.int64)
    past = {f"past_key_values.{i}.{t}": np.zeros((2 * B, H, 0, Dh), np.float32) for i in range(L) for t in ("key", "value")}
    for s in range(S - 1):
        ids = np.concatenate([pattern[:, :, s:s + 1]] * 2)
        feed = {"input_ids": ids, "condition": c2, "attention_mask": np.ones((2 * B, s + 1), np.int64),
                "position_ids": np.full((2 * B, 1), s, np.int64), **past}
        outs = sess.run(None, feed)
        logits = outs[0][:, :, 0]                                             # [2B, 4, 256]
        past = {f"past_key_values.{i}.{t}": outs[1 + 2 * i + (t == "value")] for i in range(L) for t in ("key", "value")}
        lg = logits[B:] + (logits[:B] - logits[B:]) * cfg
        if settings.get("top_p", 0.0) > 0:
            probs = top_p_filter(softmax(lg / settings["temperature"]), settings["top_p"])
        else:
            probs = top_k_probs(lg, settings["top_k"], settings["temperature"])
        tok = multinomial(probs, rng)                                         # [B, 4]
        for q in range(K):
            t = s + 1 - 1 - q
            pattern[:, q, s + 1] = tok[:, q] if 0 <= t < T else SPECIAL
    codes = np.stack([pattern[:, q, 1 + q:1 + q + T] for q in range(K)], 1)
    assert (codes < 256).all()
    return codes


# ---------------------------------------------------------------- MAGNeT


def magnet_generate(sess, cond: np.ndarray, T: int, settings: dict, rng, null=(10, 25)) -> np.ndarray:
    B = len(cond)
    K, MASK, SPAN = 4, 256, 3
    assert T % SPAN == 0
    nch = T // SPAN
    c2 = np.concatenate([cond, np.tile(np.array(null)[None], (B, 1))]).astype(np.int64)
    tokens = np.full((B, K, T), MASK, np.int64)
    for q, n in enumerate(settings["decoding_steps"]):
        scores = np.zeros((B, nch))
        ts = np.linspace(0, 1, n)
        for i in range(n):
            mask_p = math.cos(ts[i] * math.pi / 2)
            num = max(int(math.floor(mask_p * nch)), 1)
            order = np.argsort(-scores, axis=1, kind="stable")[:, :num]
            cm = np.zeros((B, nch), bool)
            np.put_along_axis(cm, order, True, 1)
            pm = np.repeat(cm, SPAN, 1)                                        # [B, T]
            tokens[:, q][pm] = MASK
            logits = sess.run(None, {"input_ids": np.concatenate([tokens, tokens]), "condition": c2})[0][:, q]  # [2B,T,256]
            cfg = mask_p * settings["max_cfg_coef"] + (1 - mask_p) * settings["min_cfg_coef"]
            lg = logits[B:] + (logits[:B] - logits[B:]) * cfg
            temp = settings["temperature"] * (n - 1 - i) / n if settings.get("anneal_temp", True) else settings["temperature"]
            probs = softmax(lg / max(temp, 0.01))
            if settings.get("top_p", 0.0) > 0:
                sp = top_p_filter(probs, settings["top_p"])
            elif settings.get("top_k", 0) > 0:
                sp = top_k_probs(np.log(np.maximum(probs, 1e-30)), settings["top_k"], 1.0)
            else:
                sp = probs
            tok = multinomial(sp, rng)                                         # [B, T]
            tokens[:, q] = np.where(pm, tok, tokens[:, q])
            sprob = np.take_along_axis(probs, tok[..., None], -1)[..., 0]       # [B, T]
            chunk = 1.0 - sprob.reshape(B, nch, SPAN).max(-1)
            scores = np.where(cm, chunk, -1e4)
    assert (tokens < 256).all()
    return tokens


# ---------------------------------------------------------------- generator evals


def decode(ds, codes):
    out = []
    for i in range(0, len(codes), 100):
        out.append(ds.run(None, {"codes": np.ascontiguousarray(codes[i:i + 100]), "first_frame": np.zeros(1, dtype=np.int64)})[0])
    return np.concatenate(out)


def eval_generator(kind: str, n_per: int = 2, settings: dict | None = None, seed: int = SEED, batch: int = 250):
    t0 = time.time()
    name = {"musicgen": "musicgen-notes", "magnet": "magnet-notes"}[kind]
    folder = C.MODELS_DIR / name
    man = C.read_json(folder / "model.json")
    st = {k: v for k, v in (settings or man["defaults"]).items() if k != "official"}
    sess = C.ort_session(folder / ("lm_step.onnx" if kind == "musicgen" else "magnet.onnx"))
    ds = C.ort_session(C.MODELS_DIR / "fluid-codec" / "codec_decoder.onnx")
    fam, pid = conditions(n_per)
    cond = np.stack([fam, pid], 1).astype(np.int64)
    rng = np.random.default_rng(seed)
    T = 50 if kind == "musicgen" else 51
    gen = lm_generate if kind == "musicgen" else magnet_generate
    codes = np.concatenate([gen(sess, cond[i:i + batch], T, st, rng) for i in range(0, len(cond), batch)])
    tg = time.time() - t0
    audio = decode(ds, codes)[:, :SEC]
    j = judge(audio, fam, pid + D.PITCH_MIN)
    j.update({"duration_seconds": 1.0, "frames": T, "settings": st, "seed": seed, "samples_per_condition": n_per,
              "generation_seconds": round(tg, 1), "seconds": round(time.time() - t0, 1),
              "steps": T + 3 if kind == "musicgen" else sum(st["decoding_steps"])})
    print(f"[audio-eval] {name} {st}: family {j['family_agreement']:.3f} pitch {j['pitch_agreement_exact']:.3f} / "
          f"{j['pitch_agreement_within_1']:.3f} FD {j['frechet_distance']:.2f} ({j['seconds']} s)", flush=True)
    return j, audio


SWEEPS = {
    "musicgen": [{"temperature": 1.0, "top_k": 250, "top_p": 0.0, "cfg_coef": 1.0},
                 {"temperature": 0.7, "top_k": 250, "top_p": 0.0, "cfg_coef": 3.0},
                 {"temperature": 1.0, "top_k": 50, "top_p": 0.0, "cfg_coef": 3.0}],
    "magnet": [{"temperature": t, "top_k": 0, "top_p": 0.9, "max_cfg_coef": 10.0, "min_cfg_coef": 1.0,
                "decoding_steps": [20, 10, 10, 10], "anneal_temp": True, "span_scoring": "max", "span_arrangement": "nonoverlap"}
               for t in (1.0, 2.0)],
}


def run(kind: str, n_per: int, sweep: bool, sweep_n_per: int = 1):
    name = {"musicgen": "musicgen-notes", "magnet": "magnet-notes"}[kind]
    folder = C.MODELS_DIR / name
    ev, audio = eval_generator(kind, n_per)
    man = C.read_json(folder / "model.json")
    man["eval"] = ev
    if sweep:
        rows = [{"settings": ev["settings"], **{k: ev[k] for k in ("family_agreement", "pitch_agreement_exact",
                 "pitch_agreement_within_1", "frechet_distance", "n")}, "note": "defaults (the eval above)"}]
        for s in SWEEPS[kind]:
            j, _ = eval_generator(kind, sweep_n_per, s)
            rows.append({"settings": s, **{k: j[k] for k in ("family_agreement", "pitch_agreement_exact",
                         "pitch_agreement_within_1", "frechet_distance", "n", "seconds")}})
        man["eval_sweep"] = {"seed": SEED, "rows": rows,
                             "note": f"same protocol as eval, {sweep_n_per} sample(s) per condition for the extra rows"}
    C.write_json(folder / "model.json", man)
    return ev


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("which", nargs="*", default=["codec", "musicgen", "magnet"])
    ap.add_argument("--n-per", type=int, default=2)
    ap.add_argument("--sweep", action="store_true")
    ap.add_argument("--sweep-n-per", type=int, default=1)
    a = ap.parse_args(argv)
    for w in a.which:
        if w == "codec":
            eval_codec()
        else:
            run(w, a.n_per, a.sweep, a.sweep_n_per)


if __name__ == "__main__":
    main()
