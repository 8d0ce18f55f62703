"""Raster (LlamaGen-style) class-conditional digit generator and its speculative-decoding draft.

    tools/models/run.sh raster   # tokenizer (vq-raster) + models/llama-mnist
    tools/models/run.sh draft    # models/llama-mnist-draft (needs the raster tokenizer in tools/models/.cache)

Token layout: codes 0..K-1, class c -> K+c, null class (CFG) -> K+10. A sequence is [class token, 64 codes in
raster order]; position_ids 0..64. The transformers.js files (config.json, generation_config.json,
onnx/model.onnx) let transformers.js load the same graph from the folder.
"""
from __future__ import annotations

import argparse
import math
import shutil
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from . import common as C
from . import eval as E
from . import vq as VQ
from .llama import LlamaConfig, LlamaForCausalLM, contract, export

TARGET = "llama-mnist"
DRAFT = "llama-mnist-draft"
N_TOK = 64


def layout(K: int) -> dict:
    return {
        "codebook_size": K, "code_token_offset": 0, "class_token_offset": K, "num_classes": 10,
        "null_class_token": K + 10, "vocab_size": K + 11, "image_tokens": N_TOK, "grid": [8, 8], "order": "raster (row-major)",
        "sequence": "[class token (K + class), code_0 .. code_63]; logits at position t predict code t",
        "sample_only": f"ids 0..{K - 1} (suppress the class and null ids {K}..{K + 10})",
        "position_ids": "0 for the class token, t + 1 for code t",
    }


def export_decoder(vq: VQ.VQModel, path: Path):
    class Dec(torch.nn.Module):
        def __init__(self, vq):
            super().__init__()
            self.vq = vq

        def forward(self, codes):
            f = self.vq.embedding(codes).transpose(1, 2).reshape(codes.shape[0], self.vq.cvae, 8, 8)
            return self.vq.fhat_to_img(f)

    m = Dec(vq).eval()
    codes = torch.randint(0, vq.vocab, (3, N_TOK))
    C.export_onnx(m, (codes,), path, ["codes"], ["image"], {"codes": {0: "batch"}, "image": {0: "batch"}})
    with torch.no_grad():
        want = m(codes).numpy()
    got = C.ort_session(path).run(None, {"codes": codes.numpy()})[0]
    return C.check_parity("raster decoder", {"image": got}, {"image": want})


def parity_lm(m: LlamaForCausalLM, path: Path, K: int) -> dict:
    """(1) onnxruntime vs PyTorch with a past; (2) KV-cached steps vs one full-sequence forward (onnxruntime)."""
    cfg = m.cfg
    sess = C.ort_session(path)
    names = [o.name for o in sess.get_outputs()]
    L, H, D = cfg.num_hidden_layers, cfg.num_attention_heads, cfg.head_dim
    g = torch.Generator().manual_seed(1)
    B, P, S = 2, 5, 3
    ids = torch.randint(0, K, (B, S), generator=g)
    past = [(torch.randn(B, H, P, D, generator=g), torch.randn(B, H, P, D, generator=g)) for _ in range(L)]
    am = torch.ones(B, P + S, dtype=torch.long)
    am[1, :2] = 0  # left padding in the second row
    pos = (torch.arange(S) + P).unsqueeze(0).repeat(B, 1)
    with torch.no_grad():
        logits, presents = m(ids, am, pos, past)
    feed = {"input_ids": ids.numpy(), "attention_mask": am.numpy(), "position_ids": pos.numpy()}
    for i, (k, v) in enumerate(past):
        feed[f"past_key_values.{i}.key"] = k.numpy(); feed[f"past_key_values.{i}.value"] = v.numpy()
    outs = dict(zip(names, sess.run(None, feed)))
    want = {"logits": logits.numpy()}
    for i, (k, v) in enumerate(presents):
        want[f"present.{i}.key"] = k.numpy(); want[f"present.{i}.value"] = v.numpy()
    e1 = C.check_parity(f"{path.parent.parent.name} onnx vs pytorch (past 5, seq 3, padded row)", outs, want)
    # full sequence vs cached steps, class token + 64 codes
    seq = np.concatenate([np.array([[K + 3], [K + 10]]), np.random.default_rng(2).integers(0, K, (2, N_TOK))], 1)
    T = seq.shape[1]
    full = dict(zip(names, sess.run(None, {"input_ids": seq, "attention_mask": np.ones((2, T), np.int64),
                                            "position_ids": np.tile(np.arange(T), (2, 1)),
                                            **E.empty_past(L, 2, H, D)})))["logits"]
    with torch.no_grad():
        torch_full = m(torch.from_numpy(seq))[0].numpy()
    e_full = C.check_parity("full-sequence forward onnx vs pytorch", {"l": full}, {"l": torch_full})
    e2 = C.check_parity("KV-cached steps vs full-sequence forward", {"l": E.cached_steps(sess, seq, L, H, D)},
                        {"l": full})
    return {"onnx_vs_pytorch_with_past": e1, "onnx_vs_pytorch_full_sequence": e_full,
            "kv_cached_steps_vs_full_sequence": e2, "tolerance": 1e-4}


def parity_transformers(m: LlamaForCausalLM, folder: Path) -> float | None:
    """The same weights loaded into transformers' LlamaForCausalLM from the written config.json give the same logits."""
    try:
        import transformers
    except ImportError:
        return None
    hc = C.read_json(folder / "config.json")
    conf = transformers.LlamaConfig(**{k: v for k, v in hc.items() if k not in ("architectures", "transformers_version", "torch_dtype")})
    hm = transformers.LlamaForCausalLM(conf).eval()
    hm.load_state_dict(m.hf_state_dict(), strict=True)
    ids = torch.randint(0, m.cfg.vocab_size, (2, N_TOK + 1), generator=torch.Generator().manual_seed(3))
    with torch.no_grad():
        d = C.check_parity("transformers LlamaForCausalLM (config.json) vs ours", {"l": hm(ids).logits.numpy()},
                           {"l": m(ids)[0].numpy()})
    return d


def neighbours(vq: VQ.VQModel, k: int = 64) -> dict:
    w = vq.embedding.weight.detach().double()
    d = torch.cdist(w, w)
    d.fill_diagonal_(float("inf"))
    order = d.argsort(1)[:, :k]
    return {"description": "LANTERN latent proximity: for each code, the k nearest other codes by L2 distance of "
                           "codebook vectors, nearest first (LANTERN entrypoints/generate_codebook.py)",
            "codebook_size": vq.vocab, "k": k, "metric": "l2",
            "neighbours": order.tolist(),
            "distances": [[round(float(x), 5) for x in row] for row in d.gather(1, order)]}


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--draft", action="store_true")
    ap.add_argument("--mnist", default=str(C.default_mnist_dir()))
    ap.add_argument("--epochs", type=int, default=None)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--skip-eval", action="store_true")
    ap.add_argument("--reuse", action="store_true", help="re-export the weights cached by the last training run")
    args = ap.parse_args(argv)
    C.setup(args.seed)
    timer = C.Timer()
    if not VQ.cache_path("raster").exists():
        VQ.main(["--mode", "raster", "--mnist", args.mnist])
    vq = VQ.load("raster")
    K = vq.vocab
    lay = layout(K)
    xtr, ytr, xte, yte = C.load_mnist(args.mnist)
    codes = torch.cat([vq.encode(xtr[i:i + 500])[0] for i in range(0, len(xtr), 500)])
    seqs = torch.cat([(ytr + K).unsqueeze(1), codes], 1)
    if args.draft:
        cfg = LlamaConfig(vocab_size=K + 11, hidden_size=64, intermediate_size=192, num_hidden_layers=1,
                          num_attention_heads=2)
        name, epochs = DRAFT, args.epochs or 10
    else:
        cfg = LlamaConfig(vocab_size=K + 11, hidden_size=128, intermediate_size=384, num_hidden_layers=4,
                          num_attention_heads=4)
        name, epochs = TARGET, args.epochs or 10
    m = LlamaForCausalLM(cfg)
    print(f"[{name}] {C.count_params(m)} parameters, {len(seqs)} sequences", flush=True)
    bs, lr = 64, 2e-3 if args.draft else 1e-3
    decay = [p for n, p in m.named_parameters() if p.dim() >= 2]
    other = [p for n, p in m.named_parameters() if p.dim() < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.05}, {"params": other, "weight_decay": 0.0}],
                            lr=lr, betas=(0.9, 0.95))
    steps = epochs * (len(seqs) // bs)
    warm = steps // 20
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min(1.0, (s + 1) / warm) * 0.5 * (1 + math.cos(math.pi * min(1.0, s / steps))))
    tc = torch.cat([vq.encode(xte[i:i + 500])[0] for i in range(0, len(xte), 500)])
    ts = torch.cat([(yte + K).unsqueeze(1), tc], 1)
    cond_drop = 0.1
    ckpt = C.CACHE_DIR / f"{name}.pt"
    if args.reuse:
        m.load_state_dict(torch.load(ckpt)["state"])
    for ep in range(0 if args.reuse else epochs):
        m.train()
        perm = torch.randperm(len(seqs))
        tot = 0.0
        for i in range(0, len(seqs) - bs + 1, bs):
            s = seqs[perm[i:i + bs]].clone()
            drop = torch.rand(bs) < cond_drop
            s[drop, 0] = K + 10
            logits, _ = m(s[:, :-1])
            loss = F.cross_entropy(logits.reshape(-1, cfg.vocab_size), s[:, 1:].reshape(-1))
            opt.zero_grad(); loss.backward()
            torch.nn.utils.clip_grad_norm_(m.parameters(), 1.0)
            opt.step(); sched.step()
            tot += loss.item()
        m.eval()
        with torch.no_grad():
            tl = F.cross_entropy(m(ts[:, :-1])[0].reshape(-1, cfg.vocab_size), ts[:, 1:].reshape(-1)).item()
        print(f"[{name}] epoch {ep + 1}/{epochs} train loss {tot / (len(seqs) // bs):.4f} test loss {tl:.4f} ({timer()} s)",
              flush=True)
    train_s = timer()
    if args.reuse:
        train_s = torch.load(ckpt)["seconds"]
    else:
        torch.save({"state": m.state_dict(), "seconds": train_s}, ckpt)
    folder = C.MODELS_DIR / name
    if folder.exists():
        shutil.rmtree(folder)
    (folder / "onnx").mkdir(parents=True)
    m.eval()
    export(m, folder / "onnx" / "model.onnx")
    parity = {"decoder_lm": parity_lm(m, folder / "onnx" / "model.onnx", K)}
    files = ["onnx/model.onnx", "config.json", "generation_config.json", "model.json"]
    graphs = {"decoder_lm": contract(cfg, "onnx/model.onnx")}
    if not args.draft:
        parity["decoder"] = export_decoder(vq, folder / "decoder.onnx")
        C.write_json(folder / "neighbours.json", neighbours(vq))
        files += ["decoder.onnx", "neighbours.json"]
        graphs["decoder"] = {"file": "decoder.onnx",
                             "inputs": {"codes": {"dtype": "int64", "shape": ["batch", N_TOK],
                                                  "note": "code ids 0..K-1 in raster order (token id - code_token_offset)"}},
                             "outputs": {"image": {"dtype": "float32", "shape": ["batch", 1, 32, 32], "range": [0, 1]}}}
    # A draft decodes with its target's VQ decoder (named by "decoder_from"); its own graphs stay inside its folder.
    C.write_json(folder / "config.json", cfg.hf_config(bos_token_id=K + 10, eos_token_id=None, pad_token_id=None))
    C.write_json(folder / "generation_config.json", {
        "bos_token_id": K + 10, "max_new_tokens": N_TOK, "min_new_tokens": N_TOK, "do_sample": True,
        "temperature": 1.0, "top_k": 0, "top_p": 1.0, "transformers_version": "4.40.2",
        "suppress_tokens": list(range(K, K + 11))})
    parity["transformers_llama_same_weights"] = parity_transformers(m, folder)
    defaults = {"cfg_scale": 3.0, "temperature": 1.0, "top_k": 0, "top_p": 1.0, "cfg_formula": "uncond + (cond - uncond) * cfg_scale"}
    if args.draft:
        defaults = {**defaults, "speculative": {"target": TARGET, "draft_tokens": 4, "lantern_k": 4, "lantern_delta": 0.1}}  # k, delta: tools/bench/lantern-sweep.ts
    man = {
        "name": name,
        "family": "llamagen",
        "version": 1,
        "task": "class-conditional MNIST digit generation, raster next-token prediction over an 8x8 VQ token grid",
        "files": [],
        "contract": {
            "graphs": graphs,
            "token_layout": lay,
            "image": {"shape": [1, 32, 32], "range": [0, 1], "note": "28x28 digit padded by 2 pixels"},
            "transformers_js": {"config": "config.json", "generation_config": "generation_config.json",
                                "model": "onnx/model.onnx", "class": "LlamaForCausalLM",
                                "load": "AutoModelForCausalLM.from_pretrained(<folder>, { local_files_only: true })"},
        },
        "defaults": defaults,
        "parameters": C.count_params(m),
        "tokenizer": {"kind": "VQ (single scale)", "codebook_size": K, "latent_channels": vq.cvae, "grid": [8, 8],
                      "parameters": C.count_params(vq), "test_reconstruction_mse": torch.load(VQ.cache_path("raster"))["test_mse"],
                      "command": "tools/models/run.sh vq-raster"},
        "training": {"command": f"tools/models/run.sh {'draft' if args.draft else 'raster'}", "seed": args.seed,
                     "epochs": epochs, "batch": bs, "lr": lr, "class_dropout_for_cfg": cond_drop,
                     "seconds": train_s, "threads": torch.get_num_threads()},
        "data": C.data_source(Path(args.mnist)),
        "parity": parity,
        "toolchain": C.toolchain(),
    }
    if args.draft:
        man["draft_for"] = TARGET
        man["decoder_from"] = "../llama-mnist/decoder.onnx"
        man["contract"]["lantern_neighbours"] = "../llama-mnist/neighbours.json"
    else:
        man["contract"]["lantern_neighbours"] = {"file": "neighbours.json", "k": 64,
                                                 "layout": "neighbours[code] = other code ids sorted by L2 distance of codebook vectors (nearest first); distances[code] alongside"}
    C.write_json(folder / "model.json", man)
    if not args.skip_eval:
        E.run(name, E.Scorer(args.mnist))
        man = C.read_json(folder / "model.json")
        files.append("samples.png")
    man["files"] = [C.file_entry(folder, f) for f in files if f != "model.json"]
    C.write_json(folder / "model.json", man)
    print(f"[{name}] done in {timer()} s")


if __name__ == "__main__":
    main()
