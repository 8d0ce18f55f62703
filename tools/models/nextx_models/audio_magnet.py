"""magnet-notes: a MAGNeT-style masked non-autoregressive transformer over fluid-codec tokens (family magnet).

    tools/models/run.sh magnet [--seconds S]

Same tokens as musicgen-notes, no delay. Bidirectional transformer (unrestricted attention at every stage: audiocraft
restricts codebooks > 0 to a +-5-frame window, this model does not), the same condition embedding and 0.2 condition
dropout, mask token 256 (257 inputs per codebook), 4 heads, learned absolute positions 0..98.
Training (audiocraft MAGNeT solver): a stage q uniform in 0..3 per example; codebooks < q ground truth; codebook q
span-masked (span 3) with mask rate cos(t * pi / 2), t uniform; codebooks > q all masked; loss on the masked tokens
of codebook q. Lengths T uniform in {24, 27, .., 99} frames (one per batch), cropped from the note start.

magnet.onnx: input_ids int64 [batch, 4, frames] (0..256), condition int64 [batch, 2] -> logits float32
[batch, 4, frames, 256].
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

NAME = "magnet-notes"
MAX_FRAMES = 99
SPAN = 3
CKPT = C.CACHE_DIR / f"{NAME}.pt"
DEFAULTS = {"temperature": 3.0, "top_k": 0, "top_p": 0.9, "max_cfg_coef": 10.0, "min_cfg_coef": 1.0,
            "decoding_steps": [20, 10, 10, 10], "anneal_temp": True, "span_scoring": "max", "span_arrangement": "nonoverlap"}


class Magnet(nn.Module):
    def __init__(self, width=192, layers=4, heads=6):
        super().__init__()
        self.cfg = {"width": width, "layers": layers, "heads": heads, "head_dim": width // heads, "mlp_ratio": 4,
                    "max_frames": MAX_FRAMES, "vocab_per_codebook": A.CODES + 1, "num_codebooks": A.K}
        self.emb = nn.ModuleList([nn.Embedding(A.CODES + 1, width) for _ in range(A.K)])
        self.cond = A.CondEmbed(width)
        self.pos = nn.Embedding(MAX_FRAMES, width)
        self.blocks = nn.ModuleList([A.Block(width, heads) for _ in range(layers)])
        self.ln = nn.LayerNorm(width)
        self.heads = nn.ModuleList([nn.Linear(width, A.CODES) for _ in range(A.K)])
        self.apply(A.init_weights)

    def forward(self, input_ids, condition):
        T = input_ids.shape[2]
        pos = torch.cumsum(torch.ones_like(input_ids[0, 0]), 0) - 1
        x = self.emb[0](input_ids[:, 0])
        for q in range(1, A.K):
            x = x + self.emb[q](input_ids[:, q])
        x = x + self.cond(condition) + self.pos(pos).unsqueeze(0)
        for b in self.blocks:
            x, _, _ = b(x, None)
        x = self.ln(x)
        return torch.stack([h(x) for h in self.heads], 1)


def span_mask(T: int, rate: float, gen) -> torch.Tensor:
    """Random spans of SPAN frames (possibly overlapping, clipped at the end) added until at least
    max(1, round(rate * T)) frames are masked."""
    target = max(1, int(round(rate * T)))
    m = torch.zeros(T, dtype=torch.bool)
    for s in torch.randperm(T, generator=gen).tolist():
        if int(m.sum()) >= target:
            break
        m[s:s + SPAN] = True
    return m


def sample_batch(codes, fam, pid, bs, gen, p_drop=0.2):
    T = int(torch.randint(8, 34, (1,), generator=gen)) * 3          # 24..99
    idx = torch.randint(0, len(codes), (bs,), generator=gen)
    x = codes[idx, :, :T].clone()
    cond = A.drop_condition(torch.stack([fam[idx], pid[idx]], 1), p_drop, gen)
    stage = torch.randint(0, A.K, (bs,), generator=gen)
    tt = torch.rand(bs, generator=gen)
    inp = x.clone()
    lmask = torch.zeros(bs, A.K, T, dtype=torch.bool)
    for i in range(bs):
        q = int(stage[i])
        m = span_mask(T, math.cos(float(tt[i]) * math.pi / 2), gen)
        inp[i, q][m] = A.SPECIAL
        inp[i, q + 1:] = A.SPECIAL
        lmask[i, q] = m
    return inp, x, lmask, cond


def loss_of(m, batch):
    inp, tgt, lmask, cond = batch
    logits = m(inp, cond)
    ce = F.cross_entropy(logits.permute(0, 3, 1, 2), tgt, reduction="none")
    return (ce * lmask).sum() / lmask.sum()


def train(seconds, bs, lr, seed, threads, width, layers, heads):
    C.setup(seed, threads)
    tk = A.note_tokens()
    tr = tk["train"]
    codes = torch.from_numpy(tk["codes"][tr]); fam = torch.from_numpy(tk["family"][tr]).long()
    pid = torch.from_numpy(tk["pitch_id"][tr]).long()
    ev = ~tr
    gen_e = torch.Generator().manual_seed(seed + 1)
    ebatches = [sample_batch(torch.from_numpy(tk["codes"][ev]), torch.from_numpy(tk["family"][ev]).long(),
                             torch.from_numpy(tk["pitch_id"][ev]).long(), 32, gen_e, p_drop=0.0) for _ in range(2)]
    m = Magnet(width, layers, heads)
    print(f"[{NAME}] {C.count_params(m)} parameters, {len(codes)} train notes", flush=True)
    decay = [p for n, p in m.named_parameters() if p.dim() >= 2]
    other = [p for n, p in m.named_parameters() if p.dim() < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.05}, {"params": other, "weight_decay": 0.0}],
                            lr=lr, betas=(0.9, 0.95))
    gen = torch.Generator().manual_seed(seed)
    t0 = time.time(); step = 0; log = []; tot = 0.0; nt = 0
    best = C.BestState()
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
                el = float(np.mean([loss_of(m, b).item() for b in ebatches]))
            rec = {"step": step, "seconds": round(time.time() - t0, 1), "train_loss": round(tot / nt, 4), "heldout_loss": round(el, 4)}
            print(f"[{NAME}] {rec}", flush=True); log.append(rec); tot = 0.0; nt = 0
            best.offer(m, el, step)
    sec = round(time.time() - t0, 1)
    kept = best.restore(m)
    print(f"[{NAME}] kept the weights of step {kept['step']} (held-out loss {kept['heldout_loss']})", flush=True)
    torch.save({"state": m.state_dict(), "cfg": m.cfg, "step": step, "seconds": sec, "log": log}, CKPT)
    return m, {"steps": step, "seconds": sec, "log": log[-5:], "encoder_sha256": tk["encoder_sha256"], "kept_weights": kept,
               "load_average_at_end": [round(v, 2) for v in os.getloadavg()]}


def contract() -> dict:
    return {"graphs": {"magnet": {
        "file": "magnet.onnx",
        "inputs": {"input_ids": {"dtype": "int64", "shape": ["batch", A.K, "frames"], "note": "0..255 codes, 256 = mask; frames <= 99"},
                   "condition": {"dtype": "int64", "shape": ["batch", 2], "note": "[family id 0..9 (10 = null), pitch id = midi - 48, 0..24 (25 = null)]"}},
        "outputs": {"logits": {"dtype": "float32", "shape": ["batch", A.K, "frames", A.CODES]}},
        "attention": "bidirectional over all frames for every codebook (no stage input, no +-5-frame window)"}}}


def write_model(m: Magnet, tr: dict, args, threads: int):
    m.eval()
    out = C.MODELS_DIR / NAME
    shutil.rmtree(out, ignore_errors=True); out.mkdir(parents=True)
    C.export_onnx(m, (torch.randint(0, 257, (2, A.K, 12)), torch.tensor([[1, 2], [10, 25]])), out / "magnet.onnx",
                  ["input_ids", "condition"], ["logits"],
                  {"input_ids": {0: "batch", 2: "frames"}, "condition": {0: "batch"}, "logits": {0: "batch", 2: "frames"}})
    sess = C.ort_session(out / "magnet.onnx")
    g = torch.Generator().manual_seed(3)
    par = {}
    for T in (51, 99, 24):
        ids = torch.randint(0, 257, (3, A.K, T), generator=g); cond = torch.tensor([[0, 0], [9, 24], [10, 25]])
        with torch.no_grad():
            want = m(ids, cond).numpy()
        par[f"onnx_vs_pytorch_{T}_frames"] = C.check_parity(f"magnet {T} frames", {"l": sess.run(None, {"input_ids": ids.numpy(), "condition": cond.numpy()})[0]}, {"l": want})
    par["tolerance"] = 1e-4
    codec = C.read_json(C.MODELS_DIR / "fluid-codec" / "model.json")
    man = {
        "name": NAME, "family": "magnet", "version": 1,
        "task": "family- and pitch-conditional generation of 16 kHz notes as fluid-codec tokens, MAGNeT-style (masked, non-autoregressive, codebook by codebook, span masking, classifier-free guidance)",
        "files": [C.file_entry(out, "magnet.onnx")],
        "contract": contract(),
        "audio": {"codec": "fluid-codec", "sample_rate": D.SR, "frame_rate": 50, "num_codebooks": A.K,
                  "codebook_size": A.CODES, **A.condition_spec(), "mask_token_id": A.SPECIAL, "span_len": SPAN,
                  "max_frames": MAX_FRAMES},
        "defaults": dict(DEFAULTS),
        "sampling": {"loop": "frames T (multiple of 3), n_chunks = T / 3; per stage q with n steps: codebook q all mask, scores 0; step i: mask_p = cos(linspace(0,1,n)[i] * pi/2), num_masked = max(floor(mask_p * n_chunks), 1), mask the num_masked highest-scored chunks (stable sort, ties: lowest chunk first); model on the doubled batch (rows B..2B-1 with condition [10, 25]); cfg = mask_p * max_cfg + (1 - mask_p) * min_cfg; logits = uncond + (cond - uncond) * cfg; t = temperature * (n - 1 - i) / n; probs = softmax(logits / max(t, 0.01)); top-p 0.9 sampling; sampled tokens written at masked positions only; chunk score = 1 - max over its 3 tokens of the sampled token's probability, unmasked chunks -1e4",
                     "source": "audiocraft MAGNeT defaults"},
        "architecture": {**m.cfg, "type": "bidirectional transformer encoder, pre-LayerNorm, GELU MLP, learned absolute positions 0..98",
                         "embedding": "sum over codebooks of Embedding(257, width) + family Embedding(11) + pitch Embedding(26) + position Embedding(99)",
                         "heads": "4 Linear(width, 256), one per codebook",
                         "attention_restriction": "none: audiocraft restricts attention for codebooks > 0 to +-5 frames (needs a stage input); this model attends over all frames at every stage"},
        "parameters": C.count_params(m),
        "tokenizer": {"model": "fluid-codec", "encoder_sha256": tr.get("encoder_sha256"), "decoder_context_frames": codec["audio"]["decoder_context_frames"]},
        "training": {"command": "tools/models/run.sh magnet", "seed": args.seed, "steps": tr["steps"], "batch": args.batch,
                     "lr": args.lr, "optimizer": "AdamW (0.9, 0.95), weight decay 0.05 on matrices, grad clip 1",
                     "schedule": "100-step warm-up, cosine over the time budget to 5 %", "budget_seconds": args.seconds,
                     "seconds": tr["seconds"], "threads": threads, "condition_dropout": 0.2,
                     "masking": "stage q uniform in 0..3 per example; codebooks < q ground truth, codebook q span-masked (span 3, mask rate cos(t pi/2), t ~ U(0,1); random span starts added until round(rate * T) frames (at least 1) are covered, spans may overlap), codebooks > q all mask (256); cross-entropy on the masked tokens of codebook q",
                     "lengths": "T uniform in {24, 27, .., 99} per batch, frames 0..T-1 from the note start",
                     "log": tr["log"], "kept_weights": tr.get("kept_weights"), "load_average_at_end": tr.get("load_average_at_end"),
                     "machine": "2 cores shared with other processes (the TypeScript side builds and tests in parallel)"},
        "data": {**D.provenance(), "tokens": "fluid-codec codes of the 2,000 train notes (2 s = 100 frames), encoded once through codec_encoder.onnx"},
        "parity": par,
        "toolchain": C.toolchain(),
    }
    C.write_json(out / "model.json", man)


def main(argv=None):
    A.generator_main(NAME, "magnet", train, write_model, argv, seconds=1500)


if __name__ == "__main__":
    main()
