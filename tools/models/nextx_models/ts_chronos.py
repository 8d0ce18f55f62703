"""chronos-corpus: a Chronos-style tokenized forecaster (decoder-only, like Chronos' GPT-2 variant), trained from scratch.

    tools/models/run.sh chronos [--budget-seconds S]     (data + train + export + parity + eval)

Series -> tokens with ts_tokenizer (centred mean-absolute scaling, 1024 uniform bins on [-10, 10], PAD 0, EOS 1); a
causal pre-LN transformer reads the context tokens and continues them autoregressively; the forecast is N sampled
token paths mapped back through the bin centres.

Training windows: a random context length c in [MIN_CONTEXT, CONTEXT_LENGTH] per batch and MAX_HORIZON future points;
loc / scale from the context part only, the future tokenized with the same loc / scale; next-token cross-entropy on
the future tokens (weight 1) and on the context tokens after the first 8 (weight CONTEXT_LOSS_WEIGHT). Half the rows
come from KernelSynth series, half from the real corpus (train parts only: held-out tails are never seen).

decoder_model_merged.onnx (Optimum "with past" names): input_ids [batch, seq], attention_mask [batch, past + seq],
position_ids [batch, seq], past_key_values.{i}.key|value [batch, heads, past, head_dim] -> logits [batch, seq, vocab],
present.{i}.key|value [batch, heads, past + seq, head_dim].
"""
from __future__ import annotations

import argparse
import math
import os
import shutil
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from . import audio_tokens as A
from . import common as C
from . import ts_data as D
from . import ts_tokenizer as T

NAME = "chronos-corpus"
GRAPH = "decoder_model_merged.onnx"
MAX_POS = T.CONTEXT_LENGTH + T.MAX_HORIZON
MIN_CONTEXT = 16
CONTEXT_LOSS_WEIGHT = 0.5
SYNTH_SHARE = 0.5
CKPT = C.CACHE_DIR / f"{NAME}.pt"
DEFAULTS = {"num_paths": 20, "temperature": 1.0, "top_k": 50, "top_p": 1.0,
            "quantiles": [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9]}


class ChronosGPT(nn.Module):
    def __init__(self, width=160, layers=4, heads=4):
        super().__init__()
        self.cfg = {"width": width, "layers": layers, "heads": heads, "head_dim": width // heads, "mlp_ratio": 4,
                    "max_positions": MAX_POS, "vocab_size": T.VOCAB}
        self.tok = nn.Embedding(T.VOCAB, width)
        self.pos = nn.Embedding(MAX_POS, width)
        self.blocks = nn.ModuleList([A.Block(width, heads) for _ in range(layers)])
        self.ln = nn.LayerNorm(width)
        self.head = nn.Linear(width, T.VOCAB, bias=False)
        self.apply(A.init_weights)

    def forward(self, input_ids, attention_mask=None, position_ids=None, past=None):
        B, S = input_ids.shape
        P = 0 if past is None else past[0][0].shape[2]
        if position_ids is None:
            position_ids = torch.arange(S).unsqueeze(0).expand(B, S)
        if attention_mask is None:
            attention_mask = torch.ones(B, P + S, dtype=torch.long)
        kpos = torch.cumsum(torch.ones_like(attention_mask[0]), 0) - 1
        qpos = kpos[kpos.shape[0] - S:]
        allowed = (kpos.unsqueeze(0) <= qpos.unsqueeze(1)).unsqueeze(0) & (attention_mask.unsqueeze(1) > 0)
        mask = torch.where(allowed, torch.zeros((), dtype=torch.float32), torch.full((), A.NEG)).unsqueeze(1)
        x = self.tok(input_ids) + self.pos(position_ids)
        presents = []
        for i, b in enumerate(self.blocks):
            pk, pv = past[i] if past is not None else (None, None)
            x, k, v = b(x, mask, pk, pv)
            presents.append((k, v))
        return self.head(self.ln(x)), presents


class StepGraph(nn.Module):
    def __init__(self, m: ChronosGPT):
        super().__init__(); self.m = m; self.n = len(m.blocks)

    def forward(self, input_ids, attention_mask, position_ids, *flat):
        past = [(flat[2 * i], flat[2 * i + 1]) for i in range(self.n)]
        logits, pres = self.m(input_ids, attention_mask, position_ids, past)
        out = [logits]
        for k, v in pres:
            out += [k, v]
        return tuple(out)


def io_names(L):
    past = [f"past_key_values.{i}.{t}" for i in range(L) for t in ("key", "value")]
    pres = [f"present.{i}.{t}" for i in range(L) for t in ("key", "value")]
    return ["input_ids", "attention_mask", "position_ids"] + past, ["logits"] + pres


def export(m: ChronosGPT, path):
    L, H, Dh = m.cfg["layers"], m.cfg["heads"], m.cfg["head_dim"]
    ins, outs = io_names(L)
    B, S, P = 2, 3, 4
    args = [torch.randint(2, T.VOCAB, (B, S)), torch.ones(B, P + S, dtype=torch.long),
            (torch.arange(S) + P).unsqueeze(0).expand(B, S).contiguous()]
    args += [torch.randn(B, H, P, Dh) for _ in range(2 * L)]
    dyn = {"input_ids": {0: "batch", 1: "seq"}, "attention_mask": {0: "batch", 1: "past + seq"},
           "position_ids": {0: "batch", 1: "seq"}, "logits": {0: "batch", 1: "seq"}}
    dyn.update(C.kv_dynamic_axes(ins[3:], outs[1:]))
    C.export_onnx(StepGraph(m), tuple(args), path, ins, outs, dyn)


def contract(m: ChronosGPT) -> dict:
    L, H, Dh = m.cfg["layers"], m.cfg["heads"], m.cfg["head_dim"]
    kv = lambda past: {"dtype": "float32", "shape": ["batch", H, past, Dh], "i": f"0..{L - 1}"}
    return {"graphs": {"decoder": {
        "file": GRAPH,
        "interface": "Hugging Face Optimum decoder-with-past names (text-generation-with-past, merged: one graph for prefill and steps)",
        "inputs": {
            "input_ids": {"dtype": "int64", "shape": ["batch", "seq"], "note": f"token ids 0..{T.VOCAB - 1} (PAD 0 on left-padded columns, series tokens 2..{T.VOCAB - 1})"},
            "attention_mask": {"dtype": "int64", "shape": ["batch", "past + seq"], "note": "1 = attend, 0 = left padding"},
            "position_ids": {"dtype": "int64", "shape": ["batch", "seq"], "note": f"index of the token in its row counted from the first real token (0 on padding), 0..{MAX_POS - 1}"},
            "past_key_values.{i}.key": kv("past"), "past_key_values.{i}.value": kv("past")},
        "outputs": {
            "logits": {"dtype": "float32", "shape": ["batch", "seq", T.VOCAB], "note": "entry s predicts the token after entry s"},
            "present.{i}.key": {**kv("past + seq"), "note": "concat(past, new)"},
            "present.{i}.value": {**kv("past + seq"), "note": "concat(past, new)"}},
        "attention": "fed entries attend to every unmasked past entry and causally among themselves",
        "num_layers": L, "num_heads": H, "head_dim": Dh, "hidden_size": m.cfg["width"], "vocab_size": T.VOCAB,
        "max_positions": MAX_POS,
        "empty_past": f"past tensors of shape [batch, {H}, 0, {Dh}] on the first call"}}}


# ---------------------------------------------------------------- training data


class WindowSampler:
    """Random training windows: (input_ids, targets, weights, attention_mask, position_ids) for one batch."""

    def __init__(self, real: list, weights: np.ndarray, synth: np.ndarray, synth_share: float, seed: int):
        self.rng = np.random.default_rng(seed)
        self.real, self.synth, self.synth_share = real, synth, synth_share
        self.p = weights / weights.sum() if len(real) else None

    @staticmethod
    def from_corpus(corpus: dict, seed: int) -> "WindowSampler":
        """Train parts of the real series (held-out tails cut off) weighted by sqrt(length); the fertility panel (~170
        near-identical smooth curves) weighs as much as 10 other series."""
        keep = [(m, x[:m["train_length"]]) for m, x in zip(corpus["meta"], corpus["real"]) if m["train_length"] >= MIN_CONTEXT + 8]
        nf = sum(D.group_of(m["name"]) == "fertility" for m, _ in keep)
        w = np.array([math.sqrt(len(x)) * (10.0 / nf if D.group_of(m["name"]) == "fertility" else 1.0) for m, x in keep])
        return WindowSampler([x for _, x in keep], w, corpus["synth"], SYNTH_SHARE, seed)

    def window(self, c: int):
        if self.rng.random() < self.synth_share:
            x = self.synth[self.rng.integers(len(self.synth))].astype(np.float64)
        else:
            x = self.real[self.rng.choice(len(self.real), p=self.p)]
        n = len(x)
        if n >= c + T.MAX_HORIZON:
            e = int(self.rng.integers(c + T.MAX_HORIZON, n + 1))
            return x[e - c - T.MAX_HORIZON:e], c
        h = max(1, min(T.MAX_HORIZON, n // 4))
        e = n if n <= c + h else int(self.rng.integers(c + h, n + 1))
        w = x[max(0, e - c - h):e]
        return w, len(w) - h

    def batch(self, bs: int):
        c = int(self.rng.integers(MIN_CONTEXT, T.CONTEXT_LENGTH + 1))
        Lw = c + T.MAX_HORIZON
        ids = np.zeros((bs, Lw), np.int64); wt = np.zeros((bs, Lw), np.float32)
        am = np.zeros((bs, Lw), np.int64); pos = np.zeros((bs, Lw), np.int64)
        for r in range(bs):
            w, cc = self.window(c)
            loc, scale = T.loc_scale(w[:cc])
            tok = T.encode(w, loc, scale)
            n = len(tok); off = Lw - n
            ids[r, off:] = tok; am[r, off:] = 1; pos[r, off:] = np.arange(n)
            wt[r, off + cc:] = 1.0                               # future tokens
            wt[r, off + 8:off + cc] = CONTEXT_LOSS_WEIGHT         # context tokens after a short prefix
        t = lambda a: torch.from_numpy(a)
        return t(ids[:, :-1]), t(ids[:, 1:]), t(wt[:, 1:]), t(am[:, :-1]), t(pos[:, :-1])


def loss_of(m, batch):
    ids, tgt, wt, am, pos = batch
    logits, _ = m(ids, am, pos)
    ce = F.cross_entropy(logits.reshape(-1, T.VOCAB), tgt.reshape(-1), reduction="none").view_as(wt)
    return (ce * wt).sum() / wt.sum(), ((ce * (wt == 1)).sum() / (wt == 1).sum())


def train(a, threads: int):
    C.setup(a.seed, threads)
    corpus = D.load()
    sampler = WindowSampler.from_corpus(corpus, a.seed)
    # validation: 4 x 16 fixed windows of 64 KernelSynth series drawn with another seed (never trained on)
    vs = WindowSampler([], np.zeros(0), D.kernel_synth(64, seed=a.seed + 1)[0], 1.0, a.seed + 1)
    ebatches = [vs.batch(16) for _ in range(4)]
    m = ChronosGPT(a.width, a.layers, a.heads)
    print(f"[{NAME}] {C.count_params(m)} parameters; {len(sampler.real)} real train series, {len(sampler.synth)} synthetic", flush=True)
    decay = [p for n, p in m.named_parameters() if p.dim() >= 2]
    other = [p for n, p in m.named_parameters() if p.dim() < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.05}, {"params": other, "weight_decay": 0.0}],
                            lr=a.lr, betas=(0.9, 0.95))
    t0 = time.time(); step = 0; log = []; tot = 0.0; totf = 0.0; nt = 0
    while time.time() - t0 < a.budget_seconds:
        prog = (time.time() - t0) / a.budget_seconds
        for g in opt.param_groups:
            g["lr"] = a.lr * min(1.0, (step + 1) / 100) * (0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * prog)))
        m.train()
        loss, lf = loss_of(m, sampler.batch(a.batch))
        opt.zero_grad(); loss.backward()
        torch.nn.utils.clip_grad_norm_(m.parameters(), 1.0)
        opt.step(); step += 1; tot += loss.item(); totf += lf.item(); nt += 1
        if step % 50 == 0:
            m.eval()
            with torch.no_grad():
                el = float(np.mean([loss_of(m, b)[1].item() for b in ebatches]))
            rec = {"step": step, "seconds": round(time.time() - t0, 1), "train_loss": round(tot / nt, 4),
                   "train_future_loss": round(totf / nt, 4), "val_future_loss": round(el, 4)}
            print(f"[{NAME}] {rec}", flush=True); log.append(rec); tot = totf = 0.0; nt = 0
    sec = round(time.time() - t0, 1)
    torch.save({"state": m.state_dict(), "cfg": m.cfg, "step": step, "seconds": sec, "log": log}, CKPT)
    return m, {"steps": step, "seconds": sec, "log": log, "load_average_at_end": [round(v, 2) for v in os.getloadavg()]}


def load_ckpt():
    ck = torch.load(CKPT)
    cfg = ck["cfg"]
    m = ChronosGPT(cfg["width"], cfg["layers"], cfg["heads"])
    m.load_state_dict(ck["state"]); m.eval()
    return m, {"steps": ck["step"], "seconds": ck["seconds"], "log": ck["log"]}


# ---------------------------------------------------------------- parity


def ort_feed(ids, am, pos, past):
    f = {"input_ids": ids, "attention_mask": am, "position_ids": pos}
    for i, (k, v) in enumerate(past):
        f[f"past_key_values.{i}.key"] = k; f[f"past_key_values.{i}.value"] = v
    return f


def parity(m: ChronosGPT, path) -> dict:
    sess = C.ort_session(path)
    L, H, Dh = m.cfg["layers"], m.cfg["heads"], m.cfg["head_dim"]
    g = torch.Generator().manual_seed(5)
    res = {}
    # (1) onnx vs pytorch at a few (past, seq) lengths, one row with masked past columns
    for P, S in ((0, 7), (5, 3), (40, 1), (200, 16)):
        B = 2
        ids = torch.randint(2, T.VOCAB, (B, S), generator=g)
        am = torch.ones(B, P + S, dtype=torch.long)
        if P >= 2:
            am[1, :2] = 0
        pos = (torch.arange(S) + P).unsqueeze(0).expand(B, S).contiguous()
        past = [(torch.randn(B, H, P, Dh, generator=g), torch.randn(B, H, P, Dh, generator=g)) for _ in range(L)]
        with torch.no_grad():
            lg, pres = m(ids, am, pos, past)
        o = sess.run(None, ort_feed(ids.numpy(), am.numpy(), pos.numpy(), [(k.numpy(), v.numpy()) for k, v in past]))
        want = {"logits": lg.numpy()}; got = {"logits": o[0]}
        for i, (k, v) in enumerate(pres):
            want[f"k{i}"] = k.numpy(); want[f"v{i}"] = v.numpy(); got[f"k{i}"] = o[1 + 2 * i]; got[f"v{i}"] = o[2 + 2 * i]
        res[f"past {P}, seq {S}"] = C.check_parity(f"decoder onnx vs pytorch (past {P}, seq {S})", got, want)
    # (2) prefill + one-token cached onnx steps vs one full causal pytorch forward, on a real series
    corpus = D.load()
    x = next(v for mm, v in zip(corpus["meta"], corpus["real"]) if mm["name"] == "R:co2")[:200]
    loc, scale = T.loc_scale(x[:150])
    tok = torch.from_numpy(T.encode(x, loc, scale))[None]
    with torch.no_grad():
        full, _ = m(tok)
    o = sess.run(None, ort_feed(tok[:, :150].numpy(), np.ones((1, 150), np.int64), np.arange(150)[None].astype(np.int64),
                                [(np.zeros((1, H, 0, Dh), np.float32),) * 2 for _ in range(L)]))
    outs = [o[0]]; past = [(o[1 + 2 * i], o[2 + 2 * i]) for i in range(L)]
    for s in range(150, 200):
        o = sess.run(None, ort_feed(tok[:, s:s + 1].numpy(), np.ones((1, s + 1), np.int64), np.array([[s]], np.int64), past))
        outs.append(o[0]); past = [(o[1 + 2 * i], o[2 + 2 * i]) for i in range(L)]
    e2 = C.check_parity("prefill 150 + 50 kv-cached one-token onnx calls vs one full causal forward",
                        {"l": np.concatenate(outs, 1)}, {"l": full.numpy()})
    # (3) left padding: the same row behind 5 PAD columns gives the same logits, also on the next cached step
    n, pad = 60, 5
    xa = tok[:, :n].numpy()
    xp = np.concatenate([np.zeros((1, pad), np.int64), xa], 1)
    ampad = np.concatenate([np.zeros((1, pad), np.int64), np.ones((1, n), np.int64)], 1)
    pospad = np.concatenate([np.zeros((1, pad), np.int64), np.arange(n)[None]], 1)
    e0 = [(np.zeros((1, H, 0, Dh), np.float32),) * 2 for _ in range(L)]
    oa = sess.run(None, ort_feed(xa, np.ones((1, n), np.int64), np.arange(n)[None].astype(np.int64), e0))
    ob = sess.run(None, ort_feed(xp, ampad, pospad, e0))
    nxt = tok[:, n:n + 1].numpy()
    oa2 = sess.run(None, ort_feed(nxt, np.ones((1, n + 1), np.int64), np.array([[n]]), [(oa[1 + 2 * i], oa[2 + 2 * i]) for i in range(L)]))
    ob2 = sess.run(None, ort_feed(nxt, np.concatenate([ampad, np.ones((1, 1), np.int64)], 1), np.array([[n]]),
                                  [(ob[1 + 2 * i], ob[2 + 2 * i]) for i in range(L)]))
    e3 = C.check_parity("left-padded row (5 PAD columns) vs unpadded, prefill and next step",
                        {"a": ob[0][:, pad:], "b": ob2[0]}, {"a": oa[0], "b": oa2[0]})
    return {"decoder_onnx_vs_pytorch_with_past": res, "kv_cached_steps_vs_full_sequence": e2,
            "kv_cached_layout": "R co2, first 200 months, loc/scale of the first 150: 150-token prefill then 50 one-token calls from the returned cache, vs one causal PyTorch forward over the 200 tokens",
            "left_padded_vs_unpadded": e3, "tolerance": 1e-4}


# ---------------------------------------------------------------- model folder


def write_model(m: ChronosGPT, tr: dict, a, threads: int):
    m.eval()
    out = C.MODELS_DIR / NAME
    shutil.rmtree(out, ignore_errors=True); out.mkdir(parents=True)
    export(m, out / GRAPH)
    par = parity(m, out / GRAPH)
    prov = D.load()["provenance"]
    man = {
        "name": NAME, "family": "chronos", "version": 1,
        "task": "zero-shot probabilistic univariate forecasting: Chronos-style value tokens, decoder-only transformer, N sampled paths -> median and quantiles",
        "files": [C.file_entry(out, GRAPH)],
        "contract": contract(m),
        "tokenizer": {**T.spec(), "round_trip": None},
        "context_length": T.CONTEXT_LENGTH, "max_horizon": T.MAX_HORIZON, "min_context": 1,
        "defaults": dict(DEFAULTS),
        "forecast": {
            "steps": [
                f"context = last min(n, {T.CONTEXT_LENGTH}) values; loc, scale and tokens as in `tokenizer`",
                "prefill: one call with input_ids [1, n_ctx] = the context tokens, attention_mask ones [1, n_ctx], position_ids [[0..n_ctx-1]], empty past; tile each present.{i}.key|value to num_paths rows (equal to feeding num_paths identical rows)",
                "for s = 0..horizon-1: take the last logits row of each path [num_paths, vocab]; set ids 0 (PAD) and 1 (EOS) to -inf; divide by temperature; keep the top_k largest (ties at the k-th value kept), top_p 1.0 = no nucleus cut; softmax; draw one token per path; feed input_ids [num_paths, 1] = the drawn tokens, attention_mask ones [num_paths, n_ctx + s + 1], position_ids [[n_ctx + s]] per row, past = the previous present (the last step's call is skipped: its logits are not needed)",
                "paths[p][t] = loc + scale * centre_{token - 2}; point forecast = median over paths per step, quantile q = the type-7 (linear interpolation, numpy default) sample quantile over paths",
            ],
            "limits": f"1 <= horizon <= {T.MAX_HORIZON}; context longer than {T.CONTEXT_LENGTH} is cut to its last {T.CONTEXT_LENGTH} values; n_ctx + horizon <= {MAX_POS} = max_positions",
            "source": "num_paths 20 and top_p 1.0 as Chronos ChronosPipeline.predict; temperature and top_k picked on the corpus validation tails (`eval_sweep`; Chronos' own are 1.0 / 50)",
        },
        "architecture": {**m.cfg, "type": "decoder-only causal transformer (GPT-style, pre-LayerNorm, GELU MLP, learned absolute positions)",
                         "embedding": f"Embedding({T.VOCAB}, width) + position Embedding({MAX_POS}, width)",
                         "head": f"LayerNorm then Linear(width, {T.VOCAB}, no bias)"},
        "parameters": C.count_params(m),
        "training": {"command": "tools/models/run.sh chronos", "seed": a.seed, "steps": tr["steps"], "batch": a.batch,
                     "lr": a.lr, "optimizer": "AdamW (0.9, 0.95), weight decay 0.05 on matrices, grad clip 1",
                     "schedule": "100-step warm-up, cosine over the time budget to 5 %", "budget_seconds": a.budget_seconds,
                     "seconds": tr["seconds"], "threads": threads,
                     "validation_tails": "the corpus validation tails are cut off like the test tails (never trained on)",
                     "windows": f"per batch one context length c ~ U[{MIN_CONTEXT}, {T.CONTEXT_LENGTH}], then {T.MAX_HORIZON} future points; series shorter than c + {T.MAX_HORIZON} are used whole (future = n // 4, at most {T.MAX_HORIZON}) and left-padded",
                     "mix": f"{int(SYNTH_SHARE * 100)} % KernelSynth rows, the rest real train parts sampled with weight sqrt(length) (the fertility panel counts as 10 series)",
                     "loss": f"next-token cross-entropy, weight 1 on future tokens, {CONTEXT_LOSS_WEIGHT} on context tokens after the first 8",
                     "validation": "future-token cross-entropy on 64 fixed windows of 64 KernelSynth series drawn with another seed",
                     "log": tr["log"][-6:], "final": tr["log"][-1] if tr["log"] else None,
                     "load_average_at_end": tr.get("load_average_at_end"),
                     "machine": "2 cores shared with other processes"},
        "data": D.provenance_summary(prov),
        "parity": par,
        "toolchain": C.toolchain(),
    }
    C.write_json(out / "model.json", man)
    return out


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--budget-seconds", type=float, default=2100)
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--width", type=int, default=160)
    ap.add_argument("--layers", type=int, default=4)
    ap.add_argument("--heads", type=int, default=4)
    ap.add_argument("--reuse", action="store_true", help="re-export the last trained checkpoint without training")
    ap.add_argument("--skip-eval", action="store_true")
    a = ap.parse_args(argv)
    os.environ["NEXTX_THREADS"] = str(a.threads)
    if a.reuse:
        C.setup(a.seed, a.threads)
        m, tr = load_ckpt()
    else:
        m, tr = train(a, a.threads)
    out = write_model(m, tr, a, a.threads)
    if not a.skip_eval:
        from . import ts_eval
        ts_eval.run()
    print(f"[{NAME}] wrote {out}", flush=True)


if __name__ == "__main__":
    main()
