"""A compute-bound raster target (models/llama-mnist-large), where a draft model pays for its forwards.

    tools/models/run.sh raster-large [--seconds S] [--layers N] [--per-class N]

llama-mnist's forward is overhead-bound on this machine (a fixed ~0.3 ms per onnxruntime run), so classical
speculative decoding cannot pay on it. This target costs ~10x its forward in arithmetic while staying a few MB:
its N layers share ONE block's weights (cross-layer parameter sharing, as in ALBERT / Universal Transformers), so
the file holds one layer and every forward still runs N of them, each with its own KV cache. The graph is the
plain Optimum Llama interface with N layers (the engine and transformers.js see an ordinary Llama).

Training is distillation from llama-mnist, since the raster tokenizer's encoder is not on this machine (only its
decoder ships): sequences sampled from llama-mnist at its defaults (CFG 3, temperature 1), each fed with its
class and with the null class (the unconditional CFG row); loss = KL(llama-mnist || student) over the whole
vocabulary at every position. llama-mnist is then the natural draft model (`defaults.speculative.draft`): it was
trained on the same token layout and codebook, and its acceptance against this target is measured through both
exported graphs into model.json (`eval.speculative`).
"""
from __future__ import annotations

import argparse
import math
import shutil
import time

import numpy as np
import onnxruntime as ort
import torch
import torch.nn.functional as F

from . import common as C
from . import eval as E
from . import llama
from .llama import LlamaConfig, LlamaForCausalLM, contract
from .raster_heads import both_rows, load_target

TEACHER = "llama-mnist"
NAME = "llama-mnist-large"


def shared_layers(m: LlamaForCausalLM) -> LlamaForCausalLM:
    """Every layer is the first one (one set of weights, N applications)."""
    for i in range(1, m.cfg.num_hidden_layers):
        m.model.layers[i] = m.model.layers[0]
    return m


def forward_ms(path, cfg: LlamaConfig, runs: int = 300, batch: int = 2, past: int = 32) -> float:
    """Mean time of one cached forward (1 new token, `batch` rows = a CFG pair, `past` cached positions) through
    onnxruntime (Python, 1 intra-op thread): what one plain decoding step costs."""
    so = ort.SessionOptions()
    so.intra_op_num_threads, so.inter_op_num_threads = 1, 1
    s = ort.InferenceSession(str(path), so, providers=["CPUExecutionProvider"])
    feed = {"input_ids": np.zeros((batch, 1), np.int64), "attention_mask": np.ones((batch, past + 1), np.int64),
            "position_ids": np.full((batch, 1), past, np.int64)}
    rng = np.random.default_rng(0)
    for i in range(cfg.num_hidden_layers):
        for t in ("key", "value"):
            feed[f"past_key_values.{i}.{t}"] = rng.standard_normal(
                (batch, cfg.num_attention_heads, past, cfg.head_dim)).astype(np.float32)
    for _ in range(30):
        s.run(None, feed)
    t0 = time.perf_counter()
    for _ in range(runs):
        s.run(None, feed)
    return (time.perf_counter() - t0) / runs * 1000


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--layers", type=int, default=10)
    ap.add_argument("--hidden", type=int, default=256)
    ap.add_argument("--intermediate", type=int, default=768)
    ap.add_argument("--heads", type=int, default=4)
    ap.add_argument("--per-class", type=int, default=1000, help="distillation sequences per class")
    ap.add_argument("--seconds", type=float, default=3300, help="training time budget (sampling excluded)")
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--lr", type=float, default=1.5e-3)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=None)
    args = ap.parse_args(argv)
    C.setup(args.seed, args.threads)
    timer = C.Timer()
    tf = C.MODELS_DIR / TEACHER
    tman = C.read_json(tf / "model.json")
    lay, settings = tman["contract"]["token_layout"], tman["defaults"]
    teacher = load_target(tf).eval()
    for p in teacher.parameters():
        p.requires_grad_(False)
    tcfg = teacher.cfg

    labels = E.labels_for(args.per_class)
    _, codes = E.generate_raster(tf, labels, settings, args.seed + 1, return_codes=True)
    rows = both_rows(codes, labels, lay)[:, :-1]                     # 2N, 64: [class|null, code_0 .. code_62]
    val_labels = E.labels_for(10)
    _, val_codes = E.generate_raster(tf, val_labels, settings, args.seed + 2, return_codes=True)
    val = both_rows(val_codes, val_labels, lay)[:, :-1]
    with torch.no_grad():
        val_teacher = F.log_softmax(teacher(val)[0], -1)
    sample_s = timer()
    print(f"[{NAME}] sampled {len(labels)} + {len(val_labels)} sequences from {TEACHER} ({sample_s} s)", flush=True)

    cfg = LlamaConfig(vocab_size=tcfg.vocab_size, hidden_size=args.hidden, intermediate_size=args.intermediate,
                      num_hidden_layers=args.layers, num_attention_heads=args.heads,
                      max_position_embeddings=tcfg.max_position_embeddings)
    m = shared_layers(LlamaForCausalLM(cfg))
    opt = torch.optim.AdamW(m.parameters(), lr=args.lr, weight_decay=0.01)

    def kl(student_logits, teacher_logp):
        """KL(teacher || student) per position, averaged: the whole next-token law, not one sample of it."""
        return F.kl_div(F.log_softmax(student_logits, -1), teacher_logp, log_target=True,
                        reduction="none").sum(-1).mean()

    best = C.BestState()
    step, epoch, warmup, t_train = 0, 0, 200, time.time()
    elapsed = lambda: time.time() - t_train
    while elapsed() < args.seconds:
        epoch += 1
        perm = torch.randperm(len(rows))
        for i in range(0, len(rows) - args.batch + 1, args.batch):
            x = rows[perm[i:i + args.batch]]
            with torch.no_grad():
                tlp = F.log_softmax(teacher(x)[0], -1)
            frac = min(1.0, elapsed() / args.seconds)
            for g in opt.param_groups:
                g["lr"] = args.lr * min(1.0, (step + 1) / warmup) * 0.5 * (1 + math.cos(math.pi * frac))
            m.train()
            loss = kl(m(x)[0], tlp)
            opt.zero_grad(); loss.backward(); torch.nn.utils.clip_grad_norm_(m.parameters(), 1.0); opt.step()
            step += 1
            if step % 100 == 0:
                m.eval()
                with torch.no_grad():
                    vl = float(kl(m(val)[0], val_teacher))
                best.offer(m, vl, step)
                print(f"[{NAME}] epoch {epoch} step {step} train KL {loss.item():.4f} held-out KL {vl:.4f} "
                      f"({timer()} s)", flush=True)
            if elapsed() >= args.seconds:
                break
    m.eval()
    with torch.no_grad():
        best.offer(m, float(kl(m(val)[0], val_teacher)), step)
    train_s = round(elapsed(), 1)
    kept = best.restore(m)
    kept["rule"] = "the weights at the lowest held-out KL of the evaluations every 100 steps"

    folder = C.MODELS_DIR / NAME
    if folder.exists():
        shutil.rmtree(folder)
    (folder / "onnx").mkdir(parents=True)
    path = folder / "onnx" / "model.onnx"
    llama.export(m, path)
    # Parity: the graph equals PyTorch over a full sequence, and KV-cached steps reproduce the full pass.
    ids = val[:4].numpy()
    L, H, D = cfg.num_hidden_layers, cfg.num_attention_heads, cfg.head_dim
    sess = C.ort_session(path)
    full = E.full_logits(sess, ids, L, H, D)
    with torch.no_grad():
        want = m(torch.from_numpy(ids))[0].numpy()
    e_full = C.check_parity(f"{NAME} onnx vs pytorch (full sequence)", {"l": full}, {"l": want})
    e_steps = C.check_parity("KV-cached steps vs full-sequence forward", {"l": E.cached_steps(sess, ids, L, H, D)},
                             {"l": full})
    shutil.copy(tf / "decoder.onnx", folder / "decoder.onnx")
    shutil.copy(tf / "neighbours.json", folder / "neighbours.json")
    C.write_json(folder / "config.json", cfg.hf_config(bos_token_id=lay["null_class_token"], eos_token_id=None,
                                                       pad_token_id=None))
    shutil.copy(tf / "generation_config.json", folder / "generation_config.json")

    cost = {"llama-mnist_ms": round(forward_ms(tf / "onnx" / "model.onnx", tcfg), 3),
            f"{NAME}_ms": round(forward_ms(path, cfg), 3)}
    cost["ratio"] = round(cost[f"{NAME}_ms"] / cost["llama-mnist_ms"], 2)
    cost["setup"] = "one cached forward, 1 new token, batch 2 (a CFG pair), past 32; onnxruntime (Python), 1 thread"
    print(f"[{NAME}] forward cost {cost}", flush=True)

    ct = tman["contract"]
    man = {
        "name": NAME,
        "family": "llamagen",
        "version": 1,
        "task": ("class-conditional MNIST digit generation, raster next-token prediction over an 8x8 VQ token grid; "
                 "a compute-bound target for classical speculative decoding"),
        "files": [],
        # draft_tokens 2: faster than 4 for standard speculative in tools/bench/image-engine.ts section 7
        "defaults": {**settings, "speculative": {"draft": TEACHER, "draft_tokens": 2, "lantern_k": 4,
                                                 "lantern_delta": 0.1}},
        "parameters": C.count_params(m),
        "architecture": {"layers": L, "distinct_layer_weights": 1,
                         "note": "every layer applies the same block's weights (cross-layer sharing); each has its "
                                 "own KV cache", "forward_cost": cost},
        "tokenizer": tman["tokenizer"],
        "training": {"command": "tools/models/run.sh raster-large", "seed": args.seed,
                     "data": (f"distillation: {len(labels)} sequences sampled from {TEACHER} at its defaults "
                              f"(seed {args.seed + 1}), each with its class and with the null class; held-out: "
                              f"{len(val_labels)} more (seed {args.seed + 2})"),
                     "loss": f"KL({TEACHER} || student) over the whole vocabulary at every position",
                     "steps": step, "epochs": epoch, "batch": args.batch, "lr": args.lr, "checkpoint": kept,
                     "sampling_seconds": sample_s, "seconds": train_s, "threads": torch.get_num_threads()},
        "data": tman["data"],
        "contract": {"graphs": {"decoder_lm": contract(cfg, "onnx/model.onnx"), "decoder": ct["graphs"]["decoder"]},
                     "token_layout": lay, "image": ct["image"], "transformers_js": ct["transformers_js"],
                     "lantern_neighbours": ct["lantern_neighbours"]},
        "parity": {"decoder_lm": {"onnx_vs_pytorch_full_sequence": e_full, "kv_cached_steps_vs_full_sequence": e_steps,
                                  "tolerance": 1e-4}},
        "toolchain": C.toolchain(),
    }
    C.write_json(folder / "model.json", man)
    res = E.run(NAME, E.Scorer(), per_class=100, seed=args.seed)     # writes eval + samples.png
    man = C.read_json(folder / "model.json")
    man["eval"]["speculative"] = E.speculative_stats(NAME, TEACHER, seed=args.seed, k=4, delta=0.1)
    man["eval"]["speculative"]["draft"] = TEACHER
    print(f"[{NAME}] agreement {res['class_agreement']} acceptance {man['eval']['speculative']}", flush=True)
    man["files"] = [C.file_entry(folder, f) for f in ["onnx/model.onnx", "config.json", "generation_config.json",
                                                       "decoder.onnx", "neighbours.json", "samples.png"]]
    C.write_json(folder / "model.json", man)
    print(f"[{NAME}] done in {timer()} s")


if __name__ == "__main__":
    main()
