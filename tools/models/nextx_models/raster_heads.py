"""Medusa draft heads inside the llama-mnist graph (models/llama-mnist-heads).

    tools/models/run.sh draft-heads [--seconds S] [--heads K] [--per-class N]

Medusa-1 (Cai et al. 2024, FasterDecoding/Medusa `medusa_model.py`): K heads on the frozen target's last hidden
state, head k = ResBlock (x + SiLU(W x), W zero-initialised) then a vocab projection initialised from the target's
lm_head; head k at position t predicts the token k + 1 places after the one the lm_head predicts. Training data is
self-distillation (Medusa's recipe when the training set is unavailable): sequences sampled from llama-mnist itself
at its default law (CFG 3, temperature 1) through its ONNX graph, each fed with its class and with the null class
(the unconditional CFG row), loss = sum_k 0.8^k CE(head k). The target's weights are read from its ONNX graph and
checked against it, so the exported graph's `logits` are llama-mnist's: the engine's draft-head loop keeps the
target's law exactly (standard acceptance) whatever the heads predict.
"""
from __future__ import annotations

import argparse
import itertools
import math
import shutil
from pathlib import Path

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from . import common as C
from . import eval as E
from . import llama
from .llama import LlamaConfig, LlamaForCausalLM, contract

TARGET = "llama-mnist"
NAME = "llama-mnist-heads"


def load_target(folder: Path) -> LlamaForCausalLM:
    """llama-mnist's weights from its ONNX initializers. The export folded each Linear into a MatMul initializer
    ([in, out], transposed) named by trace order (q, k, v, o, gate, up, down per layer, then lm_head); the order is
    confirmed by parity with the graph, trying the q/k/v orders if the first does not match."""
    import onnx
    from onnx import numpy_helper
    man = C.read_json(folder / "model.json")
    cfg = LlamaConfig(**man["contract"]["graphs"]["decoder_lm"]["config"])
    g = onnx.load(str(folder / "onnx" / "model.onnx")).graph
    inits = {i.name: torch.from_numpy(numpy_helper.to_array(i).copy()) for i in g.initializer}
    named = {k[2:]: v for k, v in inits.items() if k.startswith("m.")}
    mats = [inits[i.name] for i in g.initializer if i.name.startswith("onnx::MatMul")]
    L = cfg.num_hidden_layers
    assert len(mats) == 7 * L + 1, f"expected {7 * L + 1} MatMul initializers, got {len(mats)}"
    for qkv in itertools.permutations(["q_proj", "k_proj", "v_proj"]):
        m = LlamaForCausalLM(cfg).eval()
        state = dict(named)
        for i in range(L):
            for j, name in enumerate([*qkv, "o_proj"]):
                state[f"model.layers.{i}.self_attn.{name}.weight"] = mats[7 * i + j].T
            for j, name in enumerate(["gate_proj", "up_proj", "down_proj"]):
                state[f"model.layers.{i}.mlp.{name}.weight"] = mats[7 * i + 4 + j].T
        state["lm_head.weight"] = mats[-1].T
        m.load_state_dict(state, strict=True)
        ids = torch.randint(0, cfg.vocab_size, (2, 65), generator=torch.Generator().manual_seed(0))
        got = E.full_logits(C.ort_session(folder / "onnx" / "model.onnx"), ids.numpy(), L, cfg.num_attention_heads,
                            cfg.head_dim)
        with torch.no_grad():
            want = m(ids)[0].numpy()
        if C.max_abs_diff(got, want) < 1e-4:
            C.check_parity(f"{TARGET} weights read from its ONNX graph (q/k/v order {qkv})", {"l": got}, {"l": want})
            return m
    raise SystemExit(f"could not match {TARGET}'s ONNX initializers to its parameters")


class MedusaHeads(nn.Module):
    def __init__(self, hidden: int, vocab: int, heads: int, lm_head: torch.Tensor):
        super().__init__()
        self.res = nn.ModuleList([nn.Linear(hidden, hidden) for _ in range(heads)])
        self.out = nn.ModuleList([nn.Linear(hidden, vocab, bias=False) for _ in range(heads)])
        for r, o in zip(self.res, self.out):
            nn.init.zeros_(r.weight); nn.init.zeros_(r.bias)
            o.weight.data.copy_(lm_head)

    def forward(self, h):
        """h [B, S, hidden] -> [B, S, heads, vocab]."""
        return torch.stack([o(h + F.silu(r(h))) for r, o in zip(self.res, self.out)], 2)


class WithHeads(nn.Module):
    """The Optimum decoder interface plus `draft_logits` [batch, seq, heads, vocab]."""

    def __init__(self, target: LlamaForCausalLM, heads: MedusaHeads):
        super().__init__()
        self.m, self.heads, self.n = target, heads, target.cfg.num_hidden_layers

    def forward(self, input_ids, attention_mask, position_ids, *flat_past):
        past = [(flat_past[2 * i], flat_past[2 * i + 1]) for i in range(self.n)]
        h, presents = self.m.hidden(input_ids, attention_mask, position_ids, past)
        out = [self.m.lm_head(h), self.heads(h)]
        for k, v in presents:
            out += [k, v]
        return tuple(out)


def export(target: LlamaForCausalLM, heads: MedusaHeads, path: Path):
    llama.export(target, path, WithHeads(target, heads), ["draft_logits"])


def both_rows(codes: np.ndarray, labels: np.ndarray, lay: dict) -> torch.Tensor:
    """[class; null] x [first token, codes]: the conditional and unconditional CFG rows of each sequence."""
    cond = np.concatenate([(labels + lay["class_token_offset"])[:, None], codes], 1)
    unc = cond.copy(); unc[:, 0] = lay["null_class_token"]
    return torch.from_numpy(np.concatenate([cond, unc]).astype(np.int64))


def head_targets(seqs: torch.Tensor, heads: int) -> torch.Tensor:
    """[N, T, heads]: the token head k reads position t for (seqs[t + k + 2]), -100 past the end."""
    N, T = seqs.shape
    out = torch.full((N, T, heads), -100, dtype=torch.long)
    for k in range(heads):
        out[:, :T - k - 2, k] = seqs[:, k + 2:]
    return out


def acceptance(folder: Path, labels: np.ndarray, codes: np.ndarray, lay: dict, settings: dict, heads: int) -> dict:
    """Through the exported graph, on sequences sampled from the target: per head k, the mean probability
    sum_x min(p, q_k) that a draft drawn from head k's guided distribution at position t passes the standard test
    against the target's guided distribution at position t + k + 1 (given the sampled prefix), and the mean tokens
    per forward of a chain of gamma drafts if those events were independent."""
    K, N = lay["codebook_size"], len(labels)
    man = C.read_json(folder / "model.json")
    g = man["contract"]["graphs"]["decoder_lm"]
    sess = C.ort_session(folder / g["file"])
    both = both_rows(codes, labels, lay).numpy()[:, :-1]
    T = both.shape[1]
    feed = {"input_ids": both, "attention_mask": np.ones_like(both), "position_ids": np.tile(np.arange(T), (len(both), 1)),
            **E.empty_past(g["num_layers"], len(both), g["num_heads"], g["head_dim"])}
    names = [o.name for o in sess.get_outputs()]
    outs = dict(zip(names, sess.run(None, feed)))

    def guided(x):
        c, u = x[:N, ..., :K], x[N:, ..., :K]
        return E.softmax((u + (c - u) * settings["cfg_scale"]) / settings["temperature"])

    p = guided(outs["logits"])                      # N, T, K: the target at position t (predicts code t)
    q = guided(outs["draft_logits"])                # N, T, heads, K: head k at t predicts code t + k + 1
    per_head = []
    for k in range(heads):
        a = np.minimum(p[:, k + 1:], q[:, :T - k - 1, k]).sum(-1)
        per_head.append(round(float(a.mean()), 4))
    chain = {}
    for gamma in range(1, heads + 1):
        chain[str(gamma)] = round(float(1 + sum(np.prod(per_head[:j]) for j in range(1, gamma + 1))), 3)
    return {"per_head_acceptance": per_head, "tokens_per_forward_if_independent": chain,
            "sequences": int(N), "settings": settings,
            "note": "mean over positions of sum_x min(p, q_k) on sequences sampled from the target (guided both sides)"}


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--heads", type=int, default=4)
    ap.add_argument("--per-class", type=int, default=3000, help="self-distillation sequences per class")
    ap.add_argument("--seconds", type=float, default=900, help="training time budget")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=None)
    args = ap.parse_args(argv)
    C.setup(args.seed, args.threads)
    timer = C.Timer()
    tf = C.MODELS_DIR / TARGET
    tman = C.read_json(tf / "model.json")
    lay, settings = tman["contract"]["token_layout"], tman["defaults"]
    target = load_target(tf)
    for p in target.parameters():
        p.requires_grad_(False)
    cfg = target.cfg
    labels = E.labels_for(args.per_class)
    _, codes = E.generate_raster(tf, labels, settings, args.seed + 1, return_codes=True)
    print(f"[{NAME}] sampled {len(labels)} sequences from {TARGET} ({timer()} s)", flush=True)
    seqs = both_rows(codes, labels, lay)                       # 2N, 65
    with torch.no_grad():
        hid = torch.cat([target.hidden(seqs[i:i + 1000])[0] for i in range(0, len(seqs), 1000)])
    tgt = head_targets(seqs, args.heads)
    print(f"[{NAME}] hidden states of {len(seqs)} rows ({timer()} s)", flush=True)
    val_labels = E.labels_for(20)
    _, val_codes = E.generate_raster(tf, val_labels, settings, args.seed + 2, return_codes=True)
    val = both_rows(val_codes, val_labels, lay)
    with torch.no_grad():
        val_hid = target.hidden(val)[0]
    val_tgt = head_targets(val, args.heads)

    heads = MedusaHeads(cfg.hidden_size, cfg.vocab_size, args.heads, target.lm_head.weight.detach())
    weights = torch.tensor([0.8 ** k for k in range(args.heads)])
    bs, lr = 256, 1e-3
    opt = torch.optim.AdamW(heads.parameters(), lr=lr, weight_decay=0.0)

    def loss_of(h, t):
        logits = heads(h)                                       # B, T, heads, V
        ce = F.cross_entropy(logits.reshape(-1, cfg.vocab_size), t.reshape(-1), reduction="none",
                             ignore_index=-100).view(t.shape)
        valid = (t != -100).float()
        per = (ce * valid).sum((0, 1)) / valid.sum((0, 1))
        return (per * weights).sum(), per

    best = C.BestState()
    step, epoch = 0, 0
    while timer() < args.seconds:
        epoch += 1
        perm = torch.randperm(len(seqs))
        for i in range(0, len(seqs) - bs + 1, bs):
            frac = min(1.0, timer() / args.seconds)
            for gr in opt.param_groups:
                gr["lr"] = lr * 0.5 * (1 + math.cos(math.pi * frac))
            loss, _ = loss_of(hid[perm[i:i + bs]], tgt[perm[i:i + bs]])
            opt.zero_grad(); loss.backward(); opt.step()
            step += 1
            if step % 200 == 0:
                with torch.no_grad():
                    vl, per = loss_of(val_hid, val_tgt)
                best.offer(heads, float(vl), step)
                print(f"[{NAME}] epoch {epoch} step {step} train {loss.item():.4f} held-out {vl.item():.4f} "
                      f"per head {[round(float(x), 3) for x in per]} ({timer()} s)", flush=True)
            if timer() >= args.seconds:
                break
    with torch.no_grad():
        best.offer(heads, float(loss_of(val_hid, val_tgt)[0]), step)
    train_s = timer()
    kept = best.restore(heads)
    heads.eval()

    folder = C.MODELS_DIR / NAME
    if folder.exists():
        shutil.rmtree(folder)
    (folder / "onnx").mkdir(parents=True)
    path = folder / "onnx" / "model.onnx"
    export(target, heads, path)
    # Parity: (1) logits equal llama-mnist's graph; (2) draft_logits equal PyTorch; (3) cached steps equal a full pass.
    ids = val[:4, :-1].numpy()
    T = ids.shape[1]
    L, H, D = cfg.num_hidden_layers, cfg.num_attention_heads, cfg.head_dim
    sess = C.ort_session(path)
    names = [o.name for o in sess.get_outputs()]
    full = dict(zip(names, sess.run(None, {"input_ids": ids, "attention_mask": np.ones_like(ids),
                                           "position_ids": np.tile(np.arange(T), (4, 1)), **E.empty_past(L, 4, H, D)})))
    ref = E.full_logits(C.ort_session(tf / "onnx" / "model.onnx"), ids, L, H, D)
    e_target = C.check_parity(f"{NAME} logits vs {TARGET}'s graph", {"l": full["logits"]}, {"l": ref}, tol=1e-5)
    with torch.no_grad():
        want = heads(target.hidden(torch.from_numpy(ids))[0]).numpy()
    e_heads = C.check_parity("draft_logits onnx vs pytorch", {"d": full["draft_logits"]}, {"d": want})
    e_steps = C.check_parity("KV-cached steps vs full-sequence forward (draft_logits)",
                             {"d": E.cached_steps(sess, ids, L, H, D, "draft_logits")}, {"d": full["draft_logits"]})
    shutil.copy(tf / "config.json", folder / "config.json")
    graph = contract(cfg, "onnx/model.onnx")
    graph["interface"] = ("Hugging Face Optimum decoder with past (text-generation-with-past), plus the Medusa draft "
                          "heads' logits")
    graph["outputs"] = {"logits": graph["outputs"]["logits"],
                        "draft_logits": {"dtype": "float32", "shape": ["batch", "seq", args.heads, cfg.vocab_size],
                                         "note": "head k at position t predicts the token k + 1 places after the one "
                                                 "logits[t] predicts (code t + k + 1)"},
                        **{k: v for k, v in graph["outputs"].items() if k != "logits"}}
    man = {
        "name": NAME,
        "family": "llamagen",
        "version": 1,
        "task": f"{TARGET} with Medusa draft heads in the same graph (speculative decoding with no draft model)",
        "files": [],
        "draft_heads_for": TARGET,
        "decoder_from": f"../{TARGET}/decoder.onnx",
        "contract": {"graphs": {"decoder_lm": graph}, "token_layout": lay, "image": tman["contract"]["image"],
                     "draft_heads": {"count": args.heads, "kind": "Medusa-1 (ResBlock + vocab projection)",
                                     "target_weights": f"{TARGET}'s, unchanged (logits parity below)"},
                     "lantern_neighbours": f"../{TARGET}/neighbours.json"},
        "defaults": {**settings, "speculative": {"draft_tokens": args.heads}},
        "parameters": C.count_params(target) + C.count_params(heads),
        "head_parameters": C.count_params(heads),
        "training": {"command": "tools/models/run.sh draft-heads", "seed": args.seed, "data": (
            f"self-distillation: {len(labels)} sequences sampled from {TARGET} at its defaults (seed {args.seed + 1}), "
            "each with its class and with the null class"), "heads": args.heads, "loss": "sum_k 0.8^k CE(head k)",
                     "steps": step, "epochs": epoch, "batch": bs, "lr": lr, "checkpoint": {**kept, "rule": "the weights at the lowest held-out loss of the evaluations every 200 steps"}, "seconds": train_s, "threads": torch.get_num_threads()},
        "parity": {f"logits_vs_{TARGET}": e_target, "draft_logits_onnx_vs_pytorch": e_heads,
                   "kv_cached_steps_vs_full_sequence": e_steps},
        "toolchain": C.toolchain(),
    }
    C.write_json(folder / "model.json", man)
    ev_labels = E.labels_for(20)
    _, ev_codes = E.generate_raster(tf, ev_labels, settings, args.seed + 3, return_codes=True)
    man["eval"] = {"draft_heads": acceptance(folder, ev_labels, ev_codes, lay, settings, args.heads),
                   "measured_with": "onnxruntime (Python) on the exported graph", "command": "tools/models/run.sh draft-heads"}
    print(f"[{NAME}] {man['eval']['draft_heads']}", flush=True)
    man["files"] = [C.file_entry(folder, f) for f in ["onnx/model.onnx", "config.json"]]
    C.write_json(folder / "model.json", man)
    print(f"[{NAME}] done in {timer()} s")


if __name__ == "__main__":
    main()
