"""Export of the video models: step.onnx, frame_decoder.onnx, frame_encoder.onnx, parity checks, model.json."""
from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import torch

from . import common as C
from . import mmnist as MM
from . import video as V
from .eval import empty_past, next_past
from .video_lm import VideoLM, block_mask, contract, export

B = V.B_TOK


class FrameDec(torch.nn.Module):
    def __init__(self, vq):
        super().__init__()
        self.vq = vq

    def forward(self, codes):
        return self.vq.decode_codes(codes)


class FrameEnc(torch.nn.Module):
    def __init__(self, vq):
        super().__init__()
        self.vq = vq

    def forward(self, frames):
        f = self.vq.encoder(frames * 2 - 1)
        Bn, Cc = f.shape[0], f.shape[1]
        flat = f.permute(0, 2, 3, 1).reshape(-1, Cc)
        e = self.vq.embedding.weight
        d = flat.square().sum(1, keepdim=True) + e.square().sum(1) - 2 * flat @ e.t()
        return d.argmin(1).view(Bn, MM.TOKENS)


def export_tokenizer(vq, folder: Path, with_encoder: bool) -> dict:
    par = {}
    dec = FrameDec(vq).eval()
    codes = torch.randint(0, vq.vocab, (3, MM.TOKENS))
    C.export_onnx(dec, (codes,), folder / "frame_decoder.onnx", ["codes"], ["frames"],
                  {"codes": {0: "batch"}, "frames": {0: "batch"}})
    with torch.no_grad():
        want = dec(codes).numpy()
    got = C.ort_session(folder / "frame_decoder.onnx").run(None, {"codes": codes.numpy()})[0]
    par["frame_decoder_onnx_vs_pytorch"] = C.check_parity("frame decoder", {"f": got}, {"f": want})
    if with_encoder:
        enc = FrameEnc(vq).eval()
        x, y, xt, yt = MM.mnist28()
        clips, *_ = MM.make_clips(xt, yt, 4, seed=7)
        fr = torch.from_numpy(clips.reshape(-1, 1, MM.FRAME, MM.FRAME))
        C.export_onnx(enc, (fr[:2],), folder / "frame_encoder.onnx", ["frames"], ["codes"],
                      {"frames": {0: "batch"}, "codes": {0: "batch"}})
        got = C.ort_session(folder / "frame_encoder.onnx").run(None, {"frames": fr.numpy()})[0]
        with torch.no_grad():
            want = vq.encode(fr).numpy()
        par["frame_encoder_codes_equal_onnx_vs_pytorch"] = float((got == want).mean())
        print(f"[parity] frame encoder codes equal: {par['frame_encoder_codes_equal_onnx_vs_pytorch']}", flush=True)
    return par


def ort_step(sess, names, L, ids, pos, spa, dg, mo, past):
    P = past["past_key_values.0.key"].shape[2]
    N, S = ids.shape
    feed = {"input_ids": ids, "attention_mask": np.ones((N, P + S), np.int64), "position_ids": pos,
            "spatial_ids": spa, "digits": dg, "motion": mo, **past}
    outs = dict(zip(names, sess.run(None, feed)))
    return outs["logits"], next_past(outs, L)


def parity(m: VideoLM, path: Path, mode: str) -> dict:
    cfg = m.cfg
    L, H, D = cfg.depth, cfg.heads, cfg.head_dim
    sess = C.ort_session(path)
    names = [o.name for o in sess.get_outputs()]
    g = torch.Generator().manual_seed(1)
    # (1) onnx vs pytorch with a past and a padded row
    Bn, P, S = 2, 5, 3
    ids = torch.randint(0, cfg.vocab_in, (Bn, S), generator=g)
    past = [(torch.randn(Bn, H, P, D, generator=g), torch.randn(Bn, H, P, D, generator=g)) for _ in range(L)]
    am = torch.ones(Bn, P + S, dtype=torch.long); am[1, :2] = 0
    pos = (torch.arange(S) + P + 40).unsqueeze(0).repeat(Bn, 1)
    spa = torch.randint(0, 64, (Bn, S), generator=g)
    dg = torch.tensor([[3, 10], [7, 1]]); mo = torch.rand(Bn, 2, 4, generator=g)
    with torch.no_grad():
        logits, presents = m.step(ids, am, pos, spa, dg, mo, past)
    feed = {"input_ids": ids.numpy(), "attention_mask": am.numpy(), "position_ids": pos.numpy(),
            "spatial_ids": spa.numpy(), "digits": dg.numpy(), "motion": mo.numpy()}
    for i, (k, v) in enumerate(past):
        feed[f"past_key_values.{i}.key"] = k.numpy(); feed[f"past_key_values.{i}.value"] = v.numpy()
    outs = dict(zip(names, sess.run(None, feed)))
    want = {"logits": logits.numpy()}
    for i, (k, v) in enumerate(presents):
        want[f"present.{i}.key"] = k.numpy(); want[f"present.{i}.value"] = v.numpy()
    e1 = C.check_parity(f"{mode} step onnx vs pytorch (past 5, seq 3, padded row)", outs, want)
    # (2) cached steps (inference layout) vs one full-sequence block-causal forward of window (a)
    codes, digits, motion = (torch.from_numpy(a) for a in V.clip_codes("eval"))
    c2, dg2, mo2 = codes[:2], digits[:2], motion[:2]
    wids, _, wpos, wspa, wblk = V.windows(mode, c2, torch.zeros(2, dtype=torch.long))
    with torch.no_grad():
        full = m(wids, wpos, wspa, dg2, mo2, block_mask(wblk))[0].numpy()
    npast = empty_past(L, 2, H, D)
    chunks = [(t, t + 1) for t in range(B)] + [(B * j, B * (j + 1)) for j in range(1, 4)] if mode == "nbp" \
        else [(t, t + 1) for t in range(V.WIN)]
    got = []
    for a, b in chunks:
        lg, npast = ort_step(sess, names, L, wids[:, a:b].numpy(), wpos[:, a:b].numpy(), wspa[:, a:b].numpy(),
                             dg2.numpy(), mo2.numpy(), npast)
        got.append(lg)
    e2 = C.check_parity(f"{mode} KV-cached steps (onnx) vs full-sequence forward (pytorch, training mask)",
                        {"l": np.concatenate(got, 1)}, {"l": full})
    # (3) trimmed cache: teacher-forced inference over 8 frames with front trimming; the last step's logits vs a
    #     fresh forward of the window that the trimmed cache covers (same positions)
    cc = c2.numpy()
    plan = []   # (ids, spatial, frame the entries belong to)
    if mode == "nbp":
        for k in range(B):
            plan.append(((np.full((2, 1), V.BOV) if k == 0 else cc[:, 0, k - 1:k]), np.full((2, 1), k), 0))
        plan.append((np.concatenate([cc[:, 0, B - 1:], np.full((2, B - 1), V.MBOS)], 1), np.tile(np.arange(B), (2, 1)), 0))
        for f in range(1, 7):
            plan.append((cc[:, f], np.tile(np.arange(B), (2, 1)), f))
        keep = V.CTX - 1
    else:
        flat = cc.reshape(2, -1)
        plan = [((np.full((2, 1), V.BOV) if t == 0 else flat[:, t - 1:t]), np.full((2, 1), t % B),
                 0 if t == 0 else (t - 1) // B) for t in range(7 * B + 1)]
        keep = V.CTX
    npast = empty_past(L, 2, H, D)
    fed, frame_of = [], []   # entries now in the cache (ids, spatial, pos) and their frames
    nxt = 0
    for ids, spa_, fr in plan:
        S = ids.shape[1]
        n = sum(1 for x in frame_of if x < fr - keep + 1)   # same rule as video_eval.Generator / libs/engine FrameWindow
        if n:
            npast = {k: v[:, :, n:] for k, v in npast.items()}
            fed, frame_of = fed[n:], frame_of[n:]
        pos_ = np.tile(np.arange(nxt, nxt + S), (2, 1))
        lg, npast = ort_step(sess, names, L, ids.astype(np.int64), pos_, spa_.astype(np.int64), dg2.numpy(),
                             mo2.numpy(), npast)
        fed += [(ids[:, j], spa_[:, j], pos_[:, j]) for j in range(S)]
        frame_of += [fr] * S
        nxt += S
    # fresh window: the entries of the (trimmed) cache incl. the last fed ones
    fid = np.stack([e[0] for e in fed], 1); fsp = np.stack([e[1] for e in fed], 1)
    fpos = np.stack([e[2] for e in fed], 1)
    if mode == "nbp":
        blk = np.repeat(np.arange(fid.shape[1] // B), B)[None].repeat(2, 0)   # whole frames only after trimming
    else:
        blk = np.arange(fid.shape[1])[None].repeat(2, 0)
    with torch.no_grad():
        fresh = m(torch.from_numpy(fid).long(), torch.from_numpy(fpos).long(), torch.from_numpy(fsp).long(),
                  dg2, mo2, block_mask(torch.from_numpy(blk)))[0].numpy()
    S_last = plan[-1][0].shape[1]
    d3 = C.max_abs_diff(lg, fresh[:, -S_last:])
    rel = d3 / float(np.abs(fresh[:, -S_last:]).max())
    # probability-level difference of the same comparison
    sm = lambda x: np.exp(x - x.max(-1, keepdims=True)) / np.exp(x - x.max(-1, keepdims=True)).sum(-1, keepdims=True)
    tv = float(0.5 * np.abs(sm(lg.astype(np.float64)) - sm(fresh[:, -S_last:].astype(np.float64))).sum(-1).max())
    print(f"[parity] {mode} trimmed-cache continuation vs fresh window forward: max |logit diff| {d3:.4g}, "
          f"max total-variation distance of the token distributions {tv:.4g}", flush=True)
    # (4) RoPE relativity: shifting the positions by one period of the bouncing paths (8 frames: the path hint is
    #     unchanged) gives the same logits
    period = 2 * m.cfg.position_levels * m.cfg.block
    with torch.no_grad():
        shifted = m(torch.from_numpy(fid).long(), torch.from_numpy(fpos + period).long(), torch.from_numpy(fsp).long(),
                    dg2, mo2, block_mask(torch.from_numpy(blk)))[0].numpy()
    e4 = C.max_abs_diff(shifted, fresh)
    print(f"[parity] {mode} position offset +{period} (one path period) vs none (same window): {e4:.3g}", flush=True)
    return {"step_onnx_vs_pytorch_with_past": e1,
            "kv_cached_steps_vs_full_sequence": e2,
            "kv_cached_steps_layout": ("nbp: 64 one-token steps [BOV, f0_0..f0_62] then blocks [f0_63, MBOS x 63], f1, f2 "
                                       "vs one block-causal forward of the same 256 entries" if mode == "nbp" else
                                       "ntp: 256 one-token steps vs one causal forward of the same 256 entries"),
            "trimmed_cache_vs_fresh_window": {
                "max_abs_logit_diff": d3, "relative_to_max_logit": rel, "max_total_variation": tv,
                "cache_entries_at_comparison": int(len(fed)),
                "setup": ("teacher-forced real eval clip, 7 frames fed with front trimming; logits of the last step vs one "
                          "forward of the entries the trimmed cache holds (same positions). Not expected to be 0: "
                          "cached keys/values of layers >= 1 were computed while the dropped entries were visible")},
            "rope_position_offset_invariance": e4,
            "tolerance": 1e-4}


def manifest(mode: str, m: VideoLM, ck: dict, vq_ck: dict, par: dict, mnist_dir) -> dict:
    name = V.NAMES[mode]
    cfg = m.cfg
    files = ["step.onnx", "frame_decoder.onnx"] + (["frame_encoder.onnx"] if mode == "nbp" else [])
    graphs = {"step": contract(cfg, "step.onnx"),
              "frame_decoder": {"file": "frame_decoder.onnx",
                                "inputs": {"codes": {"dtype": "int64", "shape": ["batch", 64], "note": "code ids 0..511, row-major 8x8"}},
                                "outputs": {"frames": {"dtype": "float32", "shape": ["batch", 1, 64, 64], "range": [0, 1],
                                                       "note": "clamp(decoder(codebook[codes]), -1, 1) * 0.5 + 0.5"}}}}
    if mode == "nbp":
        graphs["frame_encoder"] = {"file": "frame_encoder.onnx",
                                   "inputs": {"frames": {"dtype": "float32", "shape": ["batch", 1, 64, 64], "range": [0, 1]}},
                                   "outputs": {"codes": {"dtype": "int64", "shape": ["batch", 64],
                                                         "note": "nearest codebook entry per 8x8 cell, row-major"}}}
    if mode == "nbp":
        layout = {
            "entries": "[BOV, f0_0 .. f0_62] (64 entries, token phase) + [f0_63, MBOS x 63] (64) + f1 (64) + f2 (64) + ...",
            "targets": "token phase: entry k predicts f0_k; block [f0_63, MBOS x 63]: entry j predicts f1_j; fed frame f (f >= 1): entry j predicts f(f+1)_j",
            "spatial_ids": "entry k of the token phase: k; block entries: 0..63 (the target position j)",
            "position_ids": "entry index: 0, 1, 2, ... over all entries of the clip (never reset after trimming); position_ids // 64 = frame of the predicted token. Continuing from prompt frames that start at clip frame a: the first fed prompt frame's entries start at (a + 1) * 64",
            "attention": "block-causal: token phase causal (one entry per call), a block sees all earlier entries and itself bidirectionally",
            "official_alignment": ("RenShuhuai-Andy/NBP nbp/modules/gpt.py hybrid_sample_with_past: the first block is sampled token by "
                                   "token, then the last token of the first block is fed together with B-1 middle-BOS entries whose "
                                   "outputs predict the whole next block; afterwards every step feeds the previous block (forward_with_past "
                                   "with an all-ones mask = bidirectional inside the fed block, full view of the cache); training mask "
                                   "nbp/lm_transformer.py get_attn_mask is block-causal. Differences: one MBOS id (codebook size + 1) whose target "
                                   "position comes from spatial_ids instead of B-1 distinct middle-BOS ids; the token phase is trained "
                                   "causally as it is sampled (officially the first block is trained from B BOV entries); conditions "
                                   "are not sequence entries."),
        }
        inference = [
            "frame 0: 64 calls with seq 1: entry k = BOV (k = 0) or f0_{k-1}, position_ids k, spatial_ids k; sample f0_k from logits[:, 0]",
            "frame 1: one call with seq 64: input_ids [f0_63, MBOS x 63], position_ids 64..127, spatial_ids 0..63; logits[:, j] -> f1_j",
            "frame f + 1 (f >= 1): one call with seq 64: input_ids f_f, position_ids continue (+64 per call), spatial_ids 0..63",
            "trimming (libs/engine FrameWindow, max_cached_frames = context_frames - 1 = 3): entries belong to the frame they feed "
            "(frame 0 owns [BOV..f0_62] + [f0_63, MBOS x 63] = 128 entries, frame f >= 1 its 64); before feeding frame F, drop the entries of "
            "frames < F - 2 from the front of every past_key_values tensor (the first drop, before feeding f3, removes 128 entries, later 64); "
            "attention_mask = ones(batch, past + seq); position ids keep increasing",
            "steady state: 2 cached frames + the fed frame = 192 entries (at most 256 = [frame 0 region, f1, fed f2]); the model is trained on "
            "4-frame windows, so it also supports keeping 3 cached frames (256 entries)",
        ]
        windows = ("(a) clip start: the 256 entries above, targets frames 0..3; (b) random s in 1..11, entries frames s..s+3 "
                   "(block-causal, 4 blocks), targets frames s+1..s+4; 70 % (a) / 30 % (b) (frame 0 is sampled token by token from (a) alone)")
    else:
        layout = {
            "entries": "[BOV, f0_0, f0_1, ..., f0_63, f1_0, ...]",
            "targets": "entry t predicts token t of the flattened clip (BOV -> f0_0, f0_k -> f0_{k+1}, f0_63 -> f1_0, ...)",
            "spatial_ids": "t mod 64 (position in its frame of the predicted token)",
            "position_ids": "entry index t (never reset after trimming); t // 64 = frame of the predicted token. Continuing from prompt frames that start at clip frame a: the first fed prompt token is entry a * 64 + 1",
            "attention": "causal",
        }
        inference = [
            "one call per token (seq 1): entry t = BOV (t = 0) or token t - 1, position_ids t, spatial_ids t mod 64; sample token t",
            "trimming (libs/engine FrameWindow, max_cached_frames = context_frames = 4): entry t belongs to the frame of the token it feeds "
            "(BOV to frame 0, so frame 0 owns 65 entries); before feeding an entry of frame F, drop the entries of frames < F - 3 from the "
            "front (the first drop, before feeding f4_0, removes 65 entries, later 64); position ids keep increasing",
            "cache after a call: at most 257 entries ([BOV, f0..f3] before the first drop), 193..256 in the steady state",
        ]
        windows = ("(a) clip start: 256 entries [BOV, f0, f1, f2, f3_0..f3_62] predicting f0..f3; (b) random s in 1..11, "
                   "entries = tokens of frames s..s+3, each predicting the next token (the last predicts f(s+4)_0); 70 % (a) / 30 % (b), the same split as nbp")
    arch = vq_ck["config"].get("arch", "conv")
    kind = ("VQ per 8x8 cell (single codebook; every cell encoded and decoded on its own, so a digit moved by whole "
            "cells gets exactly the moved codes)" if arch == "patch" else "VQ per frame (single codebook, downsample 8)")
    tok = {"kind": kind, "arch": arch, "codebook_size": vq_ck["config"]["vocab"],
           "latent_channels": vq_ck["config"]["cvae"], "grid": [8, 8], "frame": [1, 64, 64],
           "parameters": vq_ck["parameters"], "test_reconstruction_mse": round(vq_ck["test_mse"], 6),
           "codes_used_test": vq_ck["codes_used_test"], "test_frames": vq_ck["test_frames"],
           "training": {"steps": vq_ck["steps"], "batch": vq_ck["batch"], "seconds": vq_ck["seconds"],
                        "loss": "MSE + 0.5 L1 on [-1,1] + codebook/commitment (beta 0.25), dead-code restarts"},
           "command": "tools/models/run.sh vq-video"}
    return {
        "name": name,
        "family": V.FAMILIES[mode],
        "version": 1,
        "task": ("class- and motion-conditional Moving-MNIST video generation, " +
                 ("next-block prediction (one frame = one block of 64 tokens)" if mode == "nbp" else "next-token prediction (baseline)")
                 + " over per-frame 8x8 VQ tokens, KV cache trimmed beyond 4 frames"),
        "files": [],
        "contract": {"graphs": graphs},
        "video": {"frame_size": 64, "tokens_per_frame": 64, "grid": 8, "context_frames": V.CTX, "block_size": B,
                  "bov_id": V.BOV, "mbos_id": V.MBOS, "codebook_size": V.K, "max_digits": 2, "no_digit": MM.NO_DIGIT,
                  "frames_trained": 16, "max_cache_entries": V.WIN,
                  "max_position": MM.MAX_POS, "position_step": MM.POS_STEP, "max_speed": MM.MAX_SPEED,
                  "velocities": list(MM.VELOCITIES), "motion_rule": "vx, vy not both 0", "object_size": MM.DIGIT,
                  "motion_encoding": "motion[b, d] = [x0/32, y0/32, vx/8, vy/8] of digit slot d (zeros if absent); x0, y0 = top-left "
                                     "of the 28x28 digit in frame 0, in {0, 8, 16, 24, 32} (multiples of the 8-px token cell), "
                                     "vx, vy in {-8, 0, 8} px/frame, not both 0",
                  "path": "x_{t+1} = x_t + vx; if x < 0: x = -x, vx = -vx; if x > 32: x = 64 - x, vx = -vx (same for y); "
                          "positions stay multiples of 8; tools/models/nextx_models/mmnist.py trajectory()",
                  "digits_encoding": "digits[b] = [class of slot 0, class of slot 1 or 10]",
                  "conditioning": ("digit embedding (per slot) + linear(motion) + learned tables of the start cell and velocity, added to every "
                                   "entry embedding and AdaLN in every block; not cache entries. Path hint per entry: the frame of the "
                                   "predicted token (position_ids // 64) places each digit's 4x4-cell box on its bouncing path "
                                   "(video_lm.VideoLM.box_cells, the same rule as mmnist.trajectory), and a learned embedding of "
                                   "the box cell the predicted token lies in (or 'outside') is added to the entry"),
                  "layout": layout, "inference": inference, "sample_only": f"logits cover the {V.K} codes only"},
        "defaults": {"temperature": 1.0, "top_k": 0, "top_p": 1.0,
                     "official_nbp_defaults": "scripts/lm_eval/eval_ucf.sh: top_k 16000 of a 64000 vocabulary (1/4), top_p 0.9, cfg 0"},
        "parameters": C.count_params(m),
        "architecture": {"width": cfg.width, "depth": cfg.depth, "heads": cfg.heads, "head_dim": cfg.head_dim,
                         "mlp_ratio": cfg.mlp_ratio, "vocab_in": cfg.vocab_in, "logits": cfg.codebook_size,
                         "norm": "LayerNorm without affine + AdaLN (shift, scale, gate) per block, AdaLN before the head",
                         "positions": "1-D RoPE (rotate-half, theta 10000) over position_ids + learned spatial embedding of spatial_ids",
                         "attention": "nbp: block-causal" if mode == "nbp" else "causal", "mlp": "GELU"},
        "tokenizer": tok,
        "training": {"command": f"tools/models/run.sh {mode}", "seed": ck["seed"], "steps": ck["step"], "batch": ck["batch"],
                     "lr": ck["lr"], "optimizer": "AdamW (0.9, 0.95), weight decay 0.05 on matrices, grad clip 1",
                     "schedule": "100-step warm-up, cosine over the time budget to 5 % (progress = elapsed / budget)",
                     "budget_seconds": ck["budget_seconds"], "seconds": ck["seconds"], "threads": ck["threads"],
                     "windows": windows, "positions": "entry index in the whole clip (window (b) from frame s starts at (s + 1) * 64 for nbp, s * 64 + 1 for ntp)",
                     "train_clips": V.TRAIN_CLIPS, "windows_seen": ck["step"] * ck["batch"],
                     "loss_log": ck["log"][-5:]},
        "data": MM.data_description(Path(mnist_dir)),
        "parity": par,
        "toolchain": C.toolchain(),
    }


def write_model(mode: str, mnist_dir, skip_eval=False):
    name = V.NAMES[mode]
    ck = torch.load(V.ckpt_path(mode))
    m = V.make_model(mode)
    m.load_state_dict(ck["state"]); m.eval()
    vq = MM.load_vq()
    vq_ck = torch.load(C.CACHE_DIR / MM.VQ_CACHE)
    folder = C.MODELS_DIR / name
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    export(m, folder / "step.onnx")
    par = parity(m, folder / "step.onnx", mode)
    par.update(export_tokenizer(vq, folder, with_encoder=(mode == "nbp")))
    man = manifest(mode, m, ck, vq_ck, par, mnist_dir)
    old = C.CACHE_DIR / f"{name}-defaults.json"
    if old.exists():
        man["defaults"].update(C.read_json(old))
    man["files"] = [C.file_entry(folder, f) for f in
                    (["step.onnx", "frame_decoder.onnx"] + (["frame_encoder.onnx"] if mode == "nbp" else []))]
    C.write_json(folder / "model.json", man)
    if not skip_eval:
        from . import video_eval as VE
        VE.run(name, VE.ClipScorer(), mnist_dir=mnist_dir)
    print(f"[{name}] written to {folder}")
