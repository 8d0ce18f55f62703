"""musicgen-notes: a MusicGen-style decoder-only transformer over fluid-codec tokens (family musicgen).

    tools/models/run.sh musicgen [--seconds S]

Delay pattern (audiocraft DelayedPatternProvider, delays [0, 1, 2, 3], no flatten_first, no empty_initial): for T
frames the pattern has S = 1 + T + 3 steps; step 0 is all special; slot (q, s) holds code (q, t = s - 1 - q) when
0 <= t < T, else the special token 256. The model is fed steps 0..S-2 and predicts steps 1..S-1 (loss on the valid
slots only). Input embedding = sum over codebooks of a per-codebook embedding (257 each) + family embedding [11, d] +
pitch embedding [26, d] (ids 10 / 25 = null condition, dropped together with probability 0.2 for CFG) + a learned
absolute position embedding indexed by position_ids. Causal pre-LN transformer, 4 linear heads -> logits.

lm_step.onnx (Optimum "with past" names): input_ids [batch, 4, seq], condition [batch, 2], attention_mask
[batch, past + seq], position_ids [batch, seq], past_key_values.{i}.key|value [batch, heads, past, head_dim] ->
logits [batch, 4, seq, 256], present.{i}.key|value [batch, heads, past + seq, head_dim].
"""
from __future__ import annotations

import math
import os
import shutil
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from . import audio_data as D
from . import audio_tokens as A
from . import common as C

NAME = "musicgen-notes"
DELAYS = [0, 1, 2, 3]
T_TRAIN = 100
MAX_POS = 128
CKPT = C.CACHE_DIR / f"{NAME}.pt"
DEFAULTS = {"temperature": 1.0, "top_k": 250, "top_p": 0.0, "cfg_coef": 3.0}


def build_pattern(codes: torch.Tensor) -> torch.Tensor:
    """codes [B, 4, T] -> pattern [B, 4, T + 4]."""
    B, Kq, T = codes.shape
    S = 1 + T + max(DELAYS)
    p = torch.full((B, Kq, S), A.SPECIAL, dtype=torch.long)
    for q, dl in enumerate(DELAYS):
        p[:, q, 1 + dl:1 + dl + T] = codes[:, q]
    return p


class MusicGenLM(nn.Module):
    def __init__(self, width=192, layers=4, heads=6):
        super().__init__()
        self.cfg = {"width": width, "layers": layers, "heads": heads, "head_dim": width // heads, "mlp_ratio": 4,
                    "max_positions": MAX_POS, "vocab_per_codebook": A.CODES + 1, "num_codebooks": A.K}
        self.emb = nn.ModuleList([nn.Embedding(A.CODES + 1, width) for _ in range(A.K)])
        self.cond = A.CondEmbed(width)
        self.pos = nn.Embedding(MAX_POS, width)
        self.blocks = nn.ModuleList([A.Block(width, heads) for _ in range(layers)])
        self.ln = nn.LayerNorm(width)
        self.heads = nn.ModuleList([nn.Linear(width, A.CODES) for _ in range(A.K)])
        self.apply(A.init_weights)

    def forward(self, input_ids, condition, attention_mask=None, position_ids=None, past=None):
        B, _, S = input_ids.shape
        P = 0 if past is None else past[0][0].shape[2]
        if position_ids is None:
            position_ids = torch.arange(S).unsqueeze(0).expand(B, S)
        if attention_mask is None:
            attention_mask = torch.ones(B, P + S, dtype=torch.long)
        kpos = torch.cumsum(torch.ones_like(attention_mask[0]), 0) - 1
        qpos = kpos[kpos.shape[0] - S:]
        allowed = (kpos.unsqueeze(0) <= qpos.unsqueeze(1)).unsqueeze(0) & (attention_mask.unsqueeze(1) > 0)
        mask = torch.where(allowed, torch.zeros((), dtype=torch.float32), torch.full((), A.NEG)).unsqueeze(1)
        x = self.emb[0](input_ids[:, 0])
        for q in range(1, A.K):
            x = x + self.emb[q](input_ids[:, q])
        x = x + self.cond(condition) + self.pos(position_ids)
        presents = []
        for i, b in enumerate(self.blocks):
            pk, pv = past[i] if past is not None else (None, None)
            x, k, v = b(x, mask, pk, pv)
            presents.append((k, v))
        x = self.ln(x)
        logits = torch.stack([h(x) for h in self.heads], 1)       # [B, 4, S, 256]
        return logits, presents


class StepGraph(nn.Module):
    def __init__(self, m: MusicGenLM):
        super().__init__(); self.m = m; self.n = len(m.blocks)

    def forward(self, input_ids, condition, attention_mask, position_ids, *flat):
        past = [(flat[2 * i], flat[2 * i + 1]) for i in range(self.n)]
        logits, pres = self.m(input_ids, condition, attention_mask, position_ids, past)
        out = [logits]
        for k, v in pres:
            out += [k, v]
        return tuple(out)


def io_names(L):
    past = [f"past_key_values.{i}.{t}" for i in range(L) for t in ("key", "value")]
    pres = [f"present.{i}.{t}" for i in range(L) for t in ("key", "value")]
    return ["input_ids", "condition", "attention_mask", "position_ids"] + past, ["logits"] + pres


def export(m: MusicGenLM, path):
    L, H, Dh = m.cfg["layers"], m.cfg["heads"], m.cfg["head_dim"]
    ins, outs = io_names(L)
    B, S, P = 2, 3, 4
    args = [torch.randint(0, 257, (B, A.K, S)), torch.tensor([[1, 2], [10, 25]]), torch.ones(B, P + S, dtype=torch.long),
            (torch.arange(S) + P).unsqueeze(0).expand(B, S).contiguous()]
    args += [torch.randn(B, H, P, Dh) for _ in range(2 * L)]
    dyn = {"input_ids": {0: "batch", 2: "seq"}, "condition": {0: "batch"}, "attention_mask": {0: "batch", 1: "past + seq"},
           "position_ids": {0: "batch", 1: "seq"}, "logits": {0: "batch", 2: "seq"}}
    dyn.update(C.kv_dynamic_axes(ins[4:], outs[1:]))
    C.export_onnx(StepGraph(m), tuple(args), path, ins, outs, dyn)


def contract(m: MusicGenLM) -> dict:
    L, H, Dh = m.cfg["layers"], m.cfg["heads"], m.cfg["head_dim"]
    kv = lambda past: {"dtype": "float32", "shape": ["batch", H, past, Dh], "i": f"0..{L - 1}"}
    return {"graphs": {"lm_step": {
        "file": "lm_step.onnx",
        "interface": "Hugging Face Optimum decoder-with-past names, input_ids per codebook plus condition",
        "inputs": {
            "input_ids": {"dtype": "int64", "shape": ["batch", A.K, "seq"], "note": "delay-pattern steps, 0..255 codes, 256 special"},
            "condition": {"dtype": "int64", "shape": ["batch", 2], "note": "[family id 0..9 (10 = null), pitch id = midi - 48, 0..24 (25 = null)]"},
            "attention_mask": {"dtype": "int64", "shape": ["batch", "past + seq"], "note": "1 = attend, 0 = padding (anywhere in the past, e.g. left padding)"},
            "position_ids": {"dtype": "int64", "shape": ["batch", "seq"], "note": "pattern step of each fed entry (row's own positions, 0..127)"},
            "past_key_values.{i}.key": kv("past"), "past_key_values.{i}.value": kv("past")},
        "outputs": {
            "logits": {"dtype": "float32", "shape": ["batch", A.K, "seq", A.CODES], "note": "entry s predicts pattern step s + 1"},
            "present.{i}.key": {**kv("past + seq"), "note": "concat(past, new)"},
            "present.{i}.value": {**kv("past + seq"), "note": "concat(past, new)"}},
        "attention": "fed entries attend to every unmasked past entry and causally among themselves",
        "num_layers": L, "num_heads": H, "head_dim": Dh, "hidden_size": m.cfg["width"],
        "empty_past": f"past tensors of shape [batch, {H}, 0, {Dh}] on the first call"}}}


def sample_batch(codes, fam, pid, bs, gen, p_drop=0.2):
    idx = torch.randint(0, len(codes), (bs,), generator=gen)
    cond = A.drop_condition(torch.stack([fam[idx], pid[idx]], 1), p_drop, gen)
    pat = build_pattern(codes[idx, :, :T_TRAIN])
    return pat[:, :, :-1], pat[:, :, 1:], cond


def loss_of(m, batch):
    ids, tgt, cond = batch
    logits, _ = m(ids, cond)
    valid = tgt != A.SPECIAL
    ce = F.cross_entropy(logits.permute(0, 3, 1, 2), tgt.clamp_max(A.CODES - 1), reduction="none")
    return (ce * valid).sum() / valid.sum()


def train(seconds, bs, lr, seed, threads, width, layers, heads):
    C.setup(seed, threads)
    tk = A.note_tokens()
    tr = tk["train"]
    codes = torch.from_numpy(tk["codes"][tr]); fam = torch.from_numpy(tk["family"][tr]).long()
    pid = torch.from_numpy(tk["pitch_id"][tr]).long()
    ev = ~tr
    gen_e = torch.Generator().manual_seed(seed + 1)
    ebatch = sample_batch(torch.from_numpy(tk["codes"][ev]), torch.from_numpy(tk["family"][ev]).long(),
                          torch.from_numpy(tk["pitch_id"][ev]).long(), 64, gen_e, p_drop=0.0)
    m = MusicGenLM(width, layers, heads)
    print(f"[{NAME}] {C.count_params(m)} parameters, {len(codes)} train notes", flush=True)
    decay = [p for n, p in m.named_parameters() if p.dim() >= 2]
    other = [p for n, p in m.named_parameters() if p.dim() < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.05}, {"params": other, "weight_decay": 0.0}],
                            lr=lr, betas=(0.9, 0.95))
    gen = torch.Generator().manual_seed(seed)
    t0 = time.time(); step = 0; log = []; tot = 0.0; nt = 0
    while time.time() - t0 < seconds:
        prog = (time.time() - t0) / seconds
        for g in opt.param_groups:
            g["lr"] = lr * min(1.0, (step + 1) / 100) * (0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * prog)))
        m.train()
        loss = loss_of(m, sample_batch(codes, fam, pid, bs, gen))
        opt.zero_grad(); loss.backward()
        torch.nn.utils.clip_grad_norm_(m.parameters(), 1.0)
        opt.step(); step += 1; tot += loss.item(); nt += 1
        if step % 50 == 0:
            m.eval()
            with torch.no_grad():
                el = loss_of(m, ebatch).item()
            rec = {"step": step, "seconds": round(time.time() - t0, 1), "train_loss": round(tot / nt, 4), "heldout_loss": round(el, 4)}
            print(f"[{NAME}] {rec}", flush=True); log.append(rec); tot = 0.0; nt = 0
    sec = round(time.time() - t0, 1)
    torch.save({"state": m.state_dict(), "cfg": m.cfg, "step": step, "seconds": sec, "log": log}, CKPT)
    return m, {"steps": step, "seconds": sec, "log": log[-5:], "encoder_sha256": tk["encoder_sha256"],
               "load_average_at_end": [round(v, 2) for v in os.getloadavg()]}


# ---------------------------------------------------------------- parity


def ort_feed(ids, cond, am, pos, past):
    f = {"input_ids": ids, "condition": cond, "attention_mask": am, "position_ids": pos}
    for i, (k, v) in enumerate(past):
        f[f"past_key_values.{i}.key"] = k; f[f"past_key_values.{i}.value"] = v
    return f


def parity(m: MusicGenLM, path) -> dict:
    sess = C.ort_session(path)
    L, H, Dh = m.cfg["layers"], m.cfg["heads"], m.cfg["head_dim"]
    g = torch.Generator().manual_seed(5)
    # (1) onnx vs pytorch, past 5, seq 3, one row with masked past columns
    B, S, P = 2, 3, 5
    ids = torch.randint(0, 257, (B, A.K, S), generator=g); cond = torch.tensor([[3, 7], [10, 25]])
    am = torch.ones(B, P + S, dtype=torch.long); am[1, :2] = 0
    pos = (torch.arange(S) + P).unsqueeze(0).expand(B, S).contiguous()
    past = [(torch.randn(B, H, P, Dh, generator=g), torch.randn(B, H, P, Dh, generator=g)) for _ in range(L)]
    with torch.no_grad():
        lg, pres = m(ids, cond, am, pos, past)
    o = sess.run(None, ort_feed(ids.numpy(), cond.numpy(), am.numpy(), pos.numpy(), [(k.numpy(), v.numpy()) for k, v in past]))
    want = {"logits": lg.numpy()}
    got = {"logits": o[0]}
    for i, (k, v) in enumerate(pres):
        want[f"k{i}"] = k.numpy(); want[f"v{i}"] = v.numpy(); got[f"k{i}"] = o[1 + 2 * i]; got[f"v{i}"] = o[2 + 2 * i]
    e1 = C.check_parity("lm_step onnx vs pytorch (past 5, seq 3, masked past columns)", got, want)
    # (2) one-token cached steps (onnx, from an empty past) vs one full causal forward (pytorch), real held-out note
    tk = A.note_tokens()
    i0 = int(np.flatnonzero(~tk["train"])[0])
    pat = build_pattern(torch.from_numpy(tk["codes"][i0:i0 + 1, :, :T_TRAIN]))[:, :, :-1]    # [1, 4, 103]
    c0 = torch.tensor([[int(tk["family"][i0]), int(tk["pitch_id"][i0])]])
    with torch.no_grad():
        full, _ = m(pat, c0)
    npast = [(np.zeros((1, H, 0, Dh), np.float32),) * 2 for _ in range(L)]
    steps = []
    for s in range(pat.shape[2]):
        o = sess.run(None, ort_feed(pat[:, :, s:s + 1].numpy(), c0.numpy(), np.ones((1, s + 1), np.int64),
                                    np.array([[s]], np.int64), npast))
        steps.append(o[0]); npast = [(o[1 + 2 * i], o[2 + 2 * i]) for i in range(L)]
    e2 = C.check_parity("lm kv-cached 103 one-step calls vs one full causal forward", {"l": np.concatenate(steps, 2)}, {"l": full.numpy()})
    # (3) left padding: the same note behind 3 masked columns (and a cache shifted by 3) gives the same logits
    n, pad = 40, 3
    x = pat[:, :, :n].numpy()
    xp = np.concatenate([np.full((1, A.K, pad), 17, np.int64), x], 2)
    ampad = np.concatenate([np.zeros((1, pad), np.int64), np.ones((1, n), np.int64)], 1)
    pospad = np.concatenate([np.zeros((1, pad), np.int64), np.arange(n)[None]], 1)
    e0 = [(np.zeros((1, H, 0, Dh), np.float32),) * 2 for _ in range(L)]
    oa = sess.run(None, ort_feed(x, c0.numpy(), np.ones((1, n), np.int64), np.arange(n)[None].astype(np.int64), e0))
    ob = sess.run(None, ort_feed(xp, c0.numpy(), ampad, pospad, e0))
    nxt = pat[:, :, n:n + 2].numpy()
    oa2 = sess.run(None, ort_feed(nxt, c0.numpy(), np.ones((1, n + 2), np.int64), np.array([[n, n + 1]]),
                                  [(oa[1 + 2 * i], oa[2 + 2 * i]) for i in range(L)]))
    ob2 = sess.run(None, ort_feed(nxt, c0.numpy(), np.concatenate([ampad, np.ones((1, 2), np.int64)], 1), np.array([[n, n + 1]]),
                                  [(ob[1 + 2 * i], ob[2 + 2 * i]) for i in range(L)]))
    e3 = C.check_parity("lm left-padded row (3 masked columns, shifted cache) vs unpadded",
                        {"a": ob[0][:, :, pad:], "b": ob2[0]}, {"a": oa[0], "b": oa2[0]})
    return {"lm_step_onnx_vs_pytorch_with_past": e1, "kv_cached_steps_vs_full_sequence": e2,
            "kv_cached_steps_layout": "103 one-entry calls of lm_step.onnx from an empty past vs one causal PyTorch forward of the 103 pattern steps of a held-out note",
            "left_padded_vs_unpadded": e3,
            "left_padded_layout": "40 pattern steps behind 3 masked columns (attention_mask 0, position_ids 0), then 2 more steps on that cache, vs the same without padding",
            "tolerance": 1e-4}


def write_model(m: MusicGenLM, tr: dict, args, threads: int):
    m.eval()
    out = C.MODELS_DIR / NAME
    shutil.rmtree(out, ignore_errors=True); out.mkdir(parents=True)
    export(m, out / "lm_step.onnx")
    par = parity(m, out / "lm_step.onnx")
    codec = C.read_json(C.MODELS_DIR / "fluid-codec" / "model.json")
    man = {
        "name": NAME, "family": "musicgen", "version": 1,
        "task": "family- and pitch-conditional generation of 16 kHz notes as fluid-codec tokens, MusicGen-style (delay pattern, one transformer step per pattern step, classifier-free guidance)",
        "files": [C.file_entry(out, "lm_step.onnx")],
        "contract": contract(m),
        "audio": {"codec": "fluid-codec", "sample_rate": D.SR, "frame_rate": 50, "num_codebooks": A.K,
                  "codebook_size": A.CODES, "special_token_id": A.SPECIAL, "delays": DELAYS, "max_frames": T_TRAIN,
                  **A.condition_spec()},
        "defaults": dict(DEFAULTS),
        "sampling": {"cfg": "logits = uncond + (cond - uncond) * cfg_coef on a doubled batch: rows 0..B-1 conditional, B..2B-1 with condition [10, 25]",
                     "per_codebook": "each codebook sampled independently: top-k, softmax(logits / temperature), multinomial",
                     "pattern": "S = T + 4 steps; step 0 all special; the loop runs T + 3 calls (feed step s, sample step s + 1); slots with t = s - 1 - q outside [0, T) are forced to 256; codes[q, t] = pattern[q, t + 1 + q]",
                     "source": "audiocraft MusicGen defaults (use_sampling, temp 1.0, top_k 250, top_p 0.0, cfg_coef 3.0)"},
        "architecture": {**m.cfg, "type": "decoder-only causal transformer, pre-LayerNorm, GELU MLP, learned absolute positions",
                         "embedding": "sum over codebooks of Embedding(257, width) + family Embedding(11) + pitch Embedding(26) + position Embedding(128)",
                         "heads": "4 Linear(width, 256), one per codebook"},
        "parameters": C.count_params(m),
        "tokenizer": {"model": "fluid-codec", "encoder_sha256": tr.get("encoder_sha256"), "decoder_context_frames": codec["audio"]["decoder_context_frames"]},
        "training": {"command": "tools/models/run.sh musicgen", "seed": args.seed, "steps": tr["steps"], "batch": args.batch,
                     "lr": args.lr, "optimizer": "AdamW (0.9, 0.95), weight decay 0.05 on matrices, grad clip 1",
                     "schedule": "100-step warm-up, cosine over the time budget to 5 %", "budget_seconds": args.seconds,
                     "seconds": tr["seconds"], "threads": threads, "frames": T_TRAIN, "condition_dropout": 0.2,
                     "loss": "cross-entropy on the valid (non-special) slots of pattern steps 1..S-1",
                     "log": tr["log"], "load_average_at_end": tr.get("load_average_at_end"),
                     "machine": "2 cores shared with other processes (the TypeScript side builds and tests in parallel)"},
        "data": {**D.provenance(), "tokens": "fluid-codec codes of the 2,000 train notes (2 s = 100 frames), encoded once through codec_encoder.onnx"},
        "parity": par,
        "toolchain": C.toolchain(),
    }
    C.write_json(out / "model.json", man)


def main(argv=None):
    A.generator_main(NAME, "musicgen", train, write_model, argv)


if __name__ == "__main__":
    main()
