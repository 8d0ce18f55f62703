"""VAR (next-scale prediction) class-conditional digit generator, after FoundationVision/VAR models/var.py.

    tools/models/run.sh var      # tokenizer (vq-var) + models/var-mnist

Transformer: AdaLN blocks conditioned on the class embedding (null class = 10 for CFG), block-causal over scales in
training (level(i) >= level(j)), no mask at inference (a scale attends to the cache and to itself). First scale input
= class emb + pos_start + level/pos embedding; later scales: word_embed(area-downsampled f_hat) + level/pos embedding.

Exported graphs (see model.json contract):
  var_step.onnx          one scale per call with an explicit KV cache (Optimum names)
  var_scale_update.onnx  VAR get_next_autoregressive_input: codebook lookup, bicubic up to 8x8, phi, f_hat +=,
                         area down to the next scale
  var_decoder.onnx       f_hat (B,C,8,8) -> image (B,1,32,32) in [0,1]
"""
from __future__ import annotations

import argparse
import math
import shutil
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from . import common as C
from . import eval as E
from . import vq as VQ

NAME = "var-mnist"
# VAR's loop and CFG ramp; cfg 1.0 / temperature 0.7 measured best for this small model (official cfg 1.5,
# temperature 1: class agreement 0.973, Fréchet distance 6.62 at 1,000 samples)
DEFAULTS = {"cfg_scale": 1.0, "cfg_schedule": "linear ramp t = cfg_scale * si / (n - 1), guided = (1 + t) * cond - t * uncond",
            "temperature": 0.7, "top_k": 0, "top_p": 1.0}


@dataclass
class VARConfig:
    vocab: int = 256
    cvae: int = 16
    width: int = 128
    depth: int = 4
    heads: int = 4
    num_classes: int = 10
    scales: tuple = VQ.VAR_SCALES
    mlp_ratio: float = 4.0

    @property
    def L(self):
        return sum(p * p for p in self.scales)

    @property
    def head_dim(self):
        return self.width // self.heads


class PlainLayerNorm(nn.Module):
    """LayerNorm without affine parameters (VAR ln_wo_grad), written out: torch 1.13 exports the affine-free
    nn.LayerNorm to an invalid opset-17 LayerNormalization node."""

    def __init__(self, eps=1e-6):
        super().__init__()
        self.eps = eps

    def forward(self, x):
        mu = x.mean(-1, keepdim=True)
        xc = x - mu
        return xc * torch.rsqrt(xc.pow(2).mean(-1, keepdim=True) + self.eps)


class SelfAttention(nn.Module):
    def __init__(self, cfg: VARConfig):
        super().__init__()
        self.h, self.hd = cfg.heads, cfg.head_dim
        self.qkv = nn.Linear(cfg.width, 3 * cfg.width)
        self.proj = nn.Linear(cfg.width, cfg.width)

    def forward(self, x, attn_bias=None, past_k=None, past_v=None):
        B, S, D = x.shape
        q, k, v = self.qkv(x).view(B, S, 3, self.h, self.hd).permute(2, 0, 3, 1, 4).unbind(0)
        if past_k is not None:
            k = torch.cat([past_k, k], 2)
            v = torch.cat([past_v, v], 2)
        att = (q @ k.transpose(-1, -2)) / math.sqrt(self.hd)
        if attn_bias is not None:
            att = att + attn_bias
        y = (att.softmax(-1) @ v).transpose(1, 2).reshape(B, S, D)
        return self.proj(y), k, v


class AdaLNSelfAttn(nn.Module):
    """VAR AdaLNSelfAttn: gamma/scale/shift for attention and FFN from the class condition."""

    def __init__(self, cfg: VARConfig):
        super().__init__()
        D = cfg.width
        self.ln = PlainLayerNorm(1e-6)
        self.attn = SelfAttention(cfg)
        self.ffn = nn.Sequential(nn.Linear(D, int(D * cfg.mlp_ratio)), nn.GELU(approximate="tanh"),
                                 nn.Linear(int(D * cfg.mlp_ratio), D))
        self.ada_lin = nn.Sequential(nn.SiLU(), nn.Linear(D, 6 * D))

    def forward(self, x, cond, attn_bias=None, past_k=None, past_v=None):
        g1, g2, s1, s2, sh1, sh2 = self.ada_lin(cond).view(-1, 1, 6, x.shape[-1]).unbind(2)
        a, k, v = self.attn(self.ln(x) * (s1 + 1) + sh1, attn_bias, past_k, past_v)
        x = x + a * g1
        x = x + self.ffn(self.ln(x) * (s2 + 1) + sh2) * g2
        return x, k, v


class VARTransformer(nn.Module):
    def __init__(self, cfg: VARConfig):
        super().__init__()
        self.cfg = cfg
        D, L = cfg.width, cfg.L
        std = math.sqrt(1 / D / 3)
        self.class_emb = nn.Embedding(cfg.num_classes + 1, D)
        self.pos_start = nn.Parameter(torch.empty(1, 1, D))
        self.pos_1LC = nn.Parameter(torch.empty(1, L, D))
        self.lvl_embed = nn.Embedding(len(cfg.scales), D)
        self.word_embed = nn.Linear(cfg.cvae, D)
        for p in (self.class_emb.weight, self.pos_start, self.pos_1LC, self.lvl_embed.weight):
            nn.init.trunc_normal_(p, std=std)
        self.blocks = nn.ModuleList([AdaLNSelfAttn(cfg) for _ in range(cfg.depth)])
        self.head_ln = PlainLayerNorm(1e-6)
        self.head_ada = nn.Sequential(nn.SiLU(), nn.Linear(D, 2 * D))
        self.head = nn.Linear(D, cfg.vocab)
        lvl = torch.cat([torch.full((p * p,), i) for i, p in enumerate(cfg.scales)])
        self.register_buffer("lvl_1L", lvl, persistent=False)
        d = lvl.view(L, 1)
        self.register_buffer("attn_bias", torch.where(d >= d.t(), 0.0, -torch.inf).view(1, 1, L, L), persistent=False)
        with torch.no_grad():  # small residual branches at init (VAR init_weights scales them down)
            for b in self.blocks:
                b.ada_lin[1].weight.mul_(0.1); b.ada_lin[1].bias.zero_()
                b.attn.proj.weight.mul_(1 / math.sqrt(2 * cfg.depth)); b.ffn[2].weight.mul_(1 / math.sqrt(2 * cfg.depth))
            self.head.weight.mul_(0.1); self.head.bias.zero_()

    def lvl_pos(self):
        return self.lvl_embed(self.lvl_1L).unsqueeze(0) + self.pos_1LC  # 1,L,D

    def logits(self, x, cond):
        scale, shift = self.head_ada(cond).view(-1, 1, 2, x.shape[-1]).unbind(2)
        return self.head(self.head_ln(x) * (scale + 1) + shift)

    def forward(self, labels, x_BLCv_wo_first_l):
        """Teacher-forced full sequence with the block-causal mask: logits (B, L, V)."""
        B = labels.shape[0]
        cond = self.class_emb(labels)
        sos = cond.unsqueeze(1) + self.pos_start
        x = torch.cat([sos, self.word_embed(x_BLCv_wo_first_l)], 1) + self.lvl_pos()
        for b in self.blocks:
            x, _, _ = b(x, cond, self.attn_bias)
        return self.logits(x, cond)

    def step(self, inputs_embeds, class_labels, past):
        """One scale with a KV cache. The token at global position 0 is the start token (class emb + pos_start);
        every other token is word_embed(inputs_embeds). Global positions continue from the cache length."""
        P = past[0][0].shape[2]
        pos = torch.cumsum(torch.ones_like(inputs_embeds[0, :, 0], dtype=torch.long), 0) - 1 + P  # [S]
        cond = self.class_emb(class_labels)
        sos = (cond.unsqueeze(1) + self.pos_start)
        first = (pos == 0).view(1, -1, 1)
        x = torch.where(first, sos, self.word_embed(inputs_embeds)) + self.lvl_pos()[0][pos].unsqueeze(0)
        presents = []
        for i, b in enumerate(self.blocks):
            x, k, v = b(x, cond, None, past[i][0], past[i][1])
            presents.append((k, v))
        return self.logits(x, cond), presents


class StepWrapper(nn.Module):
    def __init__(self, m: VARTransformer):
        super().__init__()
        self.m = m

    def forward(self, inputs_embeds, class_labels, *flat):
        past = [(flat[2 * i], flat[2 * i + 1]) for i in range(self.m.cfg.depth)]
        logits, presents = self.m.step(inputs_embeds, class_labels, past)
        out = [logits]
        for k, v in presents:
            out += [k, v]
        return tuple(out)


class DecoderWrapper(nn.Module):
    def __init__(self, vq):
        super().__init__()
        self.vq = vq

    def forward(self, f_hat):
        return self.vq.fhat_to_img(f_hat)


# --------------------------------------------------------------------------- f_hat accumulation as a tiny graph


def resize_matrices(scales, full=8):
    """Linear maps on flattened token maps: up[si] (full^2, pn^2) = bicubic pn->full (identity for the last scale),
    down[si] (pn_{si+1}^2, full^2) = area full->pn_{si+1}. Both exact: F.interpolate is linear."""
    S = len(scales)
    up = np.zeros((S, full * full, full * full), np.float32)
    down = np.zeros((S, full * full, full * full), np.float32)
    for si, pn in enumerate(scales):
        eye = torch.eye(pn * pn).view(pn * pn, 1, pn, pn)
        u = F.interpolate(eye, size=(full, full), mode="bicubic") if si != S - 1 else eye
        up[si, :, :pn * pn] = u.view(pn * pn, full * full).t().numpy()
        if si != S - 1:
            nx = scales[si + 1]
            e2 = torch.eye(full * full).view(full * full, 1, full, full)
            d = F.interpolate(e2, size=(nx, nx), mode="area")
            down[si, :nx * nx, :] = d.view(full * full, nx * nx).t().numpy()
    return up, down


def build_scale_update(vq: VQ.VQModel, path: Path):
    import onnx
    from onnx import TensorProto, helper, numpy_helper
    scales = list(vq.scales)
    S, Cc, full = len(scales), vq.cvae, scales[-1]
    up, down = resize_matrices(scales, full)
    phi_w = np.stack([p.weight.detach().numpy() for p in vq.phis])  # 4,C,C,3,3
    phi_b = np.stack([p.bias.detach().numpy() for p in vq.phis])    # 4,C
    phi_idx = np.array([VQ.phi_index(si, S) for si in range(S)], np.int64)
    l_next = np.array([scales[si + 1] ** 2 if si != S - 1 else 0 for si in range(S)], np.int64)
    inits = [
        numpy_helper.from_array(vq.embedding.weight.detach().numpy(), "codebook"),
        numpy_helper.from_array(up, "up"), numpy_helper.from_array(down, "down"),
        numpy_helper.from_array(phi_w, "phi_w"), numpy_helper.from_array(phi_b, "phi_b"),
        numpy_helper.from_array(phi_idx, "phi_idx"), numpy_helper.from_array(l_next, "l_next"),
        numpy_helper.from_array(np.array([0], np.int64), "zero1"), numpy_helper.from_array(np.array([1], np.int64), "one1"),
        numpy_helper.from_array(np.array([2], np.int64), "two1"),
        numpy_helper.from_array(np.array([0, Cc, full, full], np.int64), "shape_fhat"),
        numpy_helper.from_array(np.array([0, Cc, full * full], np.int64), "shape_flat"),
        numpy_helper.from_array(np.array(VQ.RESI, np.float32), "resi"),
        numpy_helper.from_array(np.array(1 - VQ.RESI, np.float32), "keep"),
        numpy_helper.from_array(np.array([1], np.int64), "shape1"),
    ]
    N = helper.make_node
    nodes = [
        N("Gather", ["codebook", "indices"], ["emb"], axis=0),                       # B,L,C
        N("Gather", ["up", "scale_index"], ["up_s"], axis=0),                       # 64,64
        N("Shape", ["indices"], ["ishape"]),
        N("Slice", ["ishape", "one1", "two1", "zero1"], ["L"]),                     # [L]
        N("Slice", ["up_s", "zero1", "L", "one1"], ["up_sl"]),                      # 64,L
        N("MatMul", ["up_sl", "emb"], ["h_up"]),                                    # B,64,C
        N("Transpose", ["h_up"], ["h_t"], perm=[0, 2, 1]),                          # B,C,64
        N("Reshape", ["h_t", "shape_fhat"], ["h"]),                                 # B,C,8,8
        N("Gather", ["phi_idx", "scale_index"], ["pi"], axis=0),
        N("Gather", ["phi_w", "pi"], ["w"], axis=0),
        N("Gather", ["phi_b", "pi"], ["b"], axis=0),
        N("Conv", ["h", "w", "b"], ["conv"], kernel_shape=[3, 3], pads=[1, 1, 1, 1]),
        N("Mul", ["h", "keep"], ["h_keep"]), N("Mul", ["conv", "resi"], ["conv_r"]),
        N("Add", ["h_keep", "conv_r"], ["phi_h"]),
        N("Add", ["f_hat", "phi_h"], ["f_hat_out"]),
        N("Gather", ["down", "scale_index"], ["down_s"], axis=0),                   # 64,64
        N("Gather", ["l_next", "scale_index"], ["ln0"], axis=0),
        N("Reshape", ["ln0", "shape1"], ["ln"]),
        N("Slice", ["down_s", "zero1", "ln", "zero1"], ["down_sl"]),                # Ln,64
        N("Reshape", ["f_hat_out", "shape_flat"], ["f_flat"]),                      # B,C,64
        N("Transpose", ["f_flat"], ["f_t"], perm=[0, 2, 1]),                        # B,64,C
        N("MatMul", ["down_sl", "f_t"], ["next_inputs"]),                           # B,Ln,C
    ]
    g = helper.make_graph(
        nodes, "var_scale_update",
        [helper.make_tensor_value_info("f_hat", TensorProto.FLOAT, ["batch", Cc, full, full]),
         helper.make_tensor_value_info("indices", TensorProto.INT64, ["batch", "scale_tokens"]),
         helper.make_tensor_value_info("scale_index", TensorProto.INT64, [])],
        [helper.make_tensor_value_info("f_hat_out", TensorProto.FLOAT, ["batch", Cc, full, full]),
         helper.make_tensor_value_info("next_inputs", TensorProto.FLOAT, ["batch", "next_scale_tokens", Cc])],
        inits)
    model = helper.make_model(g, opset_imports=[helper.make_opsetid("", C.OPSET)], producer_name="nextx tools/models")
    model.ir_version = 8
    onnx.checker.check_model(model)
    path.parent.mkdir(parents=True, exist_ok=True)
    onnx.save(model, str(path))


def torch_scale_update(vq: VQ.VQModel, si, f_hat, idx):
    """VAR quant.py get_next_autoregressive_input, in PyTorch (reference for the parity check)."""
    scales = vq.scales
    SN, pn, B = len(scales), scales[si], idx.shape[0]
    h = vq.embedding(idx).transpose(1, 2).reshape(B, vq.cvae, pn, pn)
    if si != SN - 1:
        h = vq.phi(si, F.interpolate(h, size=(8, 8), mode="bicubic"))
        f_hat = f_hat + h
        return f_hat, F.interpolate(f_hat, size=(scales[si + 1],) * 2, mode="area").view(B, vq.cvae, -1).transpose(1, 2)
    f_hat = f_hat + vq.phi(si, h)
    return f_hat, torch.zeros(B, 0, vq.cvae)


# --------------------------------------------------------------------------- parity


def parity(m: VARTransformer, vq: VQ.VQModel, folder: Path) -> dict:
    cfg = m.cfg
    step = C.ort_session(folder / "var_step.onnx")
    names = [o.name for o in step.get_outputs()]
    g = torch.Generator().manual_seed(1)
    res = {}
    # (1) onnx vs pytorch at the third scale with a random cache
    B, P, S = 2, 5, 9
    x = torch.randn(B, S, cfg.cvae, generator=g)
    lab = torch.tensor([3, 10])
    past = [(torch.randn(B, cfg.heads, P, cfg.head_dim, generator=g), torch.randn(B, cfg.heads, P, cfg.head_dim, generator=g))
            for _ in range(cfg.depth)]
    with torch.no_grad():
        lt, pt = m.step(x, lab, past)
    feed = {"inputs_embeds": x.numpy(), "class_labels": lab.numpy()}
    want = {"logits": lt.numpy()}
    for i, (k, v) in enumerate(past):
        feed[f"past_key_values.{i}.key"], feed[f"past_key_values.{i}.value"] = k.numpy(), v.numpy()
        want[f"present.{i}.key"], want[f"present.{i}.value"] = pt[i][0].numpy(), pt[i][1].numpy()
    got = dict(zip(names, step.run(None, feed)))
    res["step_onnx_vs_pytorch"] = C.check_parity("var_step onnx vs pytorch (scale 2, random cache)", got, want)
    # (2) KV-cached scale steps (onnx) vs the full-sequence block-causal forward (pytorch), teacher-forced
    xin = torch.randn(B, cfg.L - 1, cfg.cvae, generator=g)
    with torch.no_grad():
        full = m(lab, xin).numpy()
    past_np = E.empty_past(cfg.depth, B, cfg.heads, cfg.head_dim)
    cur, outs_l = 0, []
    seq = np.concatenate([np.zeros((B, 1, cfg.cvae), np.float32), xin.numpy()], 1)
    for pn in cfg.scales:
        o = dict(zip(names, step.run(None, {"inputs_embeds": seq[:, cur:cur + pn * pn], "class_labels": lab.numpy(), **past_np})))
        outs_l.append(o["logits"]); past_np = E.next_past(o, cfg.depth); cur += pn * pn
    res["kv_cached_scales_vs_full_sequence"] = C.check_parity("var_step KV-cached scales vs block-causal full forward",
                                                              {"l": np.concatenate(outs_l, 1)}, {"l": full})
    # (3) scale update graph vs VAR get_next_autoregressive_input
    upd = C.ort_session(folder / "var_scale_update.onnx")
    worst = 0.0
    f_t = torch.zeros(B, cfg.cvae, 8, 8)
    f_o = f_t.numpy()
    for si, pn in enumerate(cfg.scales):
        idx = torch.randint(0, cfg.vocab, (B, pn * pn), generator=g)
        with torch.no_grad():
            f_t, nx_t = torch_scale_update(vq, si, f_t, idx)
        f_o, nx_o = upd.run(None, {"f_hat": f_o, "indices": idx.numpy(), "scale_index": np.array(si, np.int64)})
        worst = max(worst, C.check_parity(f"var_scale_update scale {si}", {"f": f_o, "n": nx_o},
                                          {"f": f_t.numpy(), "n": nx_t.numpy()}))
    res["scale_update_onnx_vs_pytorch"] = worst
    # (4) decoder
    dec = C.ort_session(folder / "var_decoder.onnx")
    with torch.no_grad():
        img = vq.fhat_to_img(f_t).numpy()
    res["decoder_onnx_vs_pytorch"] = C.check_parity("var_decoder", {"i": dec.run(None, {"f_hat": f_o})[0]}, {"i": img})
    res["tolerance"] = 1e-4
    return res


def export_all(m: VARTransformer, vq: VQ.VQModel, folder: Path):
    cfg = m.cfg
    past_n = [f"past_key_values.{i}.{t}" for i in range(cfg.depth) for t in ("key", "value")]
    pres_n = [f"present.{i}.{t}" for i in range(cfg.depth) for t in ("key", "value")]
    B, P, S = 2, 5, 9
    args = [torch.randn(B, S, cfg.cvae), torch.tensor([1, 10])] + \
           [torch.randn(B, cfg.heads, P, cfg.head_dim) for _ in range(2 * cfg.depth)]
    dyn = {"inputs_embeds": {0: "batch", 1: "scale_tokens"}, "class_labels": {0: "batch"},
           "logits": {0: "batch", 1: "scale_tokens"}}
    dyn.update({n: {0: "batch", 2: "past"} for n in past_n})
    dyn.update({n: {0: "batch", 2: "past + scale_tokens"} for n in pres_n})
    C.export_onnx(StepWrapper(m), tuple(args), folder / "var_step.onnx", ["inputs_embeds", "class_labels"] + past_n,
                  ["logits"] + pres_n, dyn)
    C.export_onnx(DecoderWrapper(vq), (torch.randn(2, cfg.cvae, 8, 8),), folder / "var_decoder.onnx", ["f_hat"], ["image"],
                  {"f_hat": {0: "batch"}, "image": {0: "batch"}})
    build_scale_update(vq, folder / "var_scale_update.onnx")


def contract(cfg: VARConfig) -> dict:
    H, D = cfg.heads, cfg.head_dim
    starts = np.cumsum([0] + [p * p for p in cfg.scales]).tolist()
    return {
        "graphs": {
            "step": {
                "file": "var_step.onnx",
                "inputs": {
                    "inputs_embeds": {"dtype": "float32", "shape": ["batch", "scale_tokens", cfg.cvae],
                                      "note": "latent vectors of the scale (next_inputs of var_scale_update); for the first "
                                              "scale pass zeros [batch, 1, C]: the token at global position 0 is the start "
                                              "token built from class_labels"},
                    "class_labels": {"dtype": "int64", "shape": ["batch"], "note": f"0..9, {cfg.num_classes} = null class (CFG); conditions every block (AdaLN) at every scale"},
                    "past_key_values.{i}.key": {"dtype": "float32", "shape": ["batch", H, "past", D]},
                    "past_key_values.{i}.value": {"dtype": "float32", "shape": ["batch", H, "past", D]},
                },
                "outputs": {
                    "logits": {"dtype": "float32", "shape": ["batch", "scale_tokens", cfg.vocab]},
                    "present.{i}.key": {"dtype": "float32", "shape": ["batch", H, "past + scale_tokens", D], "note": "concat(past, new)"},
                    "present.{i}.value": {"dtype": "float32", "shape": ["batch", H, "past + scale_tokens", D], "note": "concat(past, new)"},
                },
                "num_layers": cfg.depth, "num_heads": H, "head_dim": D, "hidden_size": cfg.width,
                "positions": "global token positions continue from the cache length (past); no attention mask: a scale "
                             "attends to all cached tokens and bidirectionally to itself",
                "empty_past": f"[batch, {H}, 0, {D}] on the first scale",
            },
            "scale_update": {
                "file": "var_scale_update.onnx",
                "inputs": {"f_hat": {"dtype": "float32", "shape": ["batch", cfg.cvae, 8, 8], "note": "zeros before scale 0"},
                           "indices": {"dtype": "int64", "shape": ["batch", "scale_tokens"], "note": "sampled codes of scale si, row-major pn x pn"},
                           "scale_index": {"dtype": "int64", "shape": [], "note": "si, 0-based"}},
                "outputs": {"f_hat_out": {"dtype": "float32", "shape": ["batch", cfg.cvae, 8, 8]},
                            "next_inputs": {"dtype": "float32", "shape": ["batch", "next_scale_tokens", cfg.cvae],
                                            "note": "area_downsample(f_hat_out, pn[si+1]) flattened row-major; [batch, 0, C] after the last scale"}},
                "computes": "h = codebook[indices] as (B,C,pn,pn); si < last: f_hat += phi_si(bicubic(h, 8x8)), next = area(f_hat, pn[si+1]); "
                            "last: f_hat += phi_si(h). phi(h) = 0.5 h + 0.5 conv3x3_k(h), k = argmin |ticks - si/(n-1)|",
            },
            "decoder": {"file": "var_decoder.onnx",
                        "inputs": {"f_hat": {"dtype": "float32", "shape": ["batch", cfg.cvae, 8, 8]}},
                        "outputs": {"image": {"dtype": "float32", "shape": ["batch", 1, 32, 32], "range": [0, 1],
                                              "note": "clamp(decoder(f_hat), -1, 1) * 0.5 + 0.5"}}},
        },
        "scales": list(cfg.scales), "scale_token_starts": starts, "total_tokens": cfg.L,
        "codebook_size": cfg.vocab, "latent_channels": cfg.cvae, "num_classes": cfg.num_classes, "null_class": cfg.num_classes,
        "phi": {"count": 4, "ticks": [round(float(t), 6) for t in VQ.PHI_TICKS], "resi_ratio": VQ.RESI,
                "per_scale": [VQ.phi_index(si, len(cfg.scales)) for si in range(len(cfg.scales))]},
        "loop": "VAR autoregressive_infer_cfg: batch [cond; uncond] (class_labels [c; 10]); for si: logits = step(x); "
                "t = cfg_scale * si / (n - 1); guided = (1 + t) * logits[:B] - t * logits[B:]; sample with top_k/top_p per "
                "token; (f_hat, next) = scale_update(f_hat, idx, si); x = [next; next]; finally image = decoder(f_hat)",
        "image": {"shape": [1, 32, 32], "range": [0, 1], "note": "28x28 digit padded by 2 pixels"},
    }


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--mnist", default=str(C.default_mnist_dir()))
    ap.add_argument("--epochs", type=int, default=5)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--skip-eval", action="store_true")
    ap.add_argument("--extra-epochs", type=int, default=6, help="epochs of the second cosine cycle")
    ap.add_argument("--final-epochs", type=int, default=4, help="epochs of the third cosine cycle")
    ap.add_argument("--resume-cycle", type=int, default=0, help="load the checkpoints of earlier cycles from the cache")
    ap.add_argument("--reuse", action="store_true", help="re-export the weights cached by the last training run")
    args = ap.parse_args(argv)
    C.setup(args.seed)
    timer = C.Timer()
    if not VQ.cache_path("var").exists():
        VQ.main(["--mode", "var", "--mnist", args.mnist])
    vq = VQ.load("var")
    cfg = VARConfig(vocab=vq.vocab, cvae=vq.cvae)
    xtr, ytr, xte, yte = C.load_mnist(args.mnist)

    def tokens(x):
        ids, ins = [], []
        with torch.no_grad():
            for i in range(0, len(x), 500):
                idx = vq.encode(x[i:i + 500])
                ids.append(torch.cat(idx, 1))
                f_hat, nxt = torch.zeros(len(idx[0]), cfg.cvae, 8, 8), []
                for si in range(len(cfg.scales) - 1):
                    f_hat, n = torch_scale_update(vq, si, f_hat, idx[si])
                    nxt.append(n)
                ins.append(torch.cat(nxt, 1))
        return torch.cat(ids), torch.cat(ins)

    ids_tr, in_tr = tokens(xtr)
    ids_te, in_te = tokens(xte)
    m = VARTransformer(cfg)
    print(f"[{NAME}] {C.count_params(m)} parameters, {len(ids_tr)} images x {cfg.L} tokens ({timer()} s)", flush=True)
    bs, cond_drop = 64, 0.1
    # cosine cycles (warm restarts): cycles[k] = (epochs, peak lr); cycle k > 0 reseeds with seed + k and
    # checkpoints to tools/models/.cache/var-mnist-c<k>.pt, so --resume-cycle k continues a cut run exactly
    cycles = [(args.epochs, 1e-3), (args.extra_epochs, 5e-4), (args.final_epochs, 2.5e-4)]
    train_s = 0.0
    for k, (epochs, lr) in enumerate(cycles):
        ckpt = C.CACHE_DIR / f"{NAME}-c{k}.pt"
        if args.reuse or k < args.resume_cycle:
            ck = torch.load(ckpt)
            m.load_state_dict(ck["state"]); train_s = ck["seconds"]
            continue
        if epochs == 0:
            continue
        if k > 0:
            torch.manual_seed(args.seed + k)
        t0 = timer()
        decay = [p for n, p in m.named_parameters() if p.dim() >= 2 and "pos" not in n and "emb" not in n]
        other = [p for n, p in m.named_parameters() if not (p.dim() >= 2 and "pos" not in n and "emb" not in n)]
        opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.05}, {"params": other, "weight_decay": 0.0}],
                                lr=lr, betas=(0.9, 0.95))
        steps = epochs * (len(ids_tr) // bs)
        warm = steps // 20
        sched = torch.optim.lr_scheduler.LambdaLR(
            opt, lambda s: min(1.0, (s + 1) / warm) * 0.5 * (1 + math.cos(math.pi * min(1.0, s / steps))))
        for ep in range(epochs):
            m.train()
            perm = torch.randperm(len(ids_tr))
            tot = 0.0
            for i in range(0, len(ids_tr) - bs + 1, bs):
                b = perm[i:i + bs]
                lab = ytr[b].clone()
                lab[torch.rand(bs) < cond_drop] = cfg.num_classes
                logits = m(lab, in_tr[b])
                loss = F.cross_entropy(logits.reshape(-1, cfg.vocab), ids_tr[b].reshape(-1))
                opt.zero_grad(); loss.backward()
                torch.nn.utils.clip_grad_norm_(m.parameters(), 2.0)
                opt.step(); sched.step()
                tot += loss.item()
            m.eval()
            with torch.no_grad():
                tl = F.cross_entropy(m(yte, in_te).reshape(-1, cfg.vocab), ids_te.reshape(-1)).item()
            print(f"[{NAME}] cycle {k} epoch {ep + 1}/{epochs} train loss {tot / (len(ids_tr) // bs):.4f} "
                  f"test loss {tl:.4f} ({timer()} s)", flush=True)
        train_s += timer() - t0
        torch.save({"state": m.state_dict(), "seconds": round(train_s, 1)}, ckpt)
    train_s = round(train_s, 1)
    epochs, lr = [c[0] for c in cycles], [c[1] for c in cycles]
    folder = C.MODELS_DIR / NAME
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    m.eval()
    export_all(m, vq, folder)
    par = parity(m, vq, folder)
    ck = torch.load(VQ.cache_path("var"))
    man = {
        "name": NAME, "family": "var", "version": 1,
        "task": "class-conditional MNIST digit generation, next-scale prediction (VAR) over a multi-scale residual VQ",
        "files": [],
        "contract": contract(cfg),
        "defaults": DEFAULTS,
        "parameters": C.count_params(m),
        "architecture": {**asdict(cfg), "scales": list(cfg.scales), "attention": "standard scaled dot-product",
                         "conditioning": "AdaLN per block (VAR AdaLNSelfAttn) + AdaLN before head"},
        "tokenizer": {"kind": "VAR multi-scale residual VQ (shared codebook)", "codebook_size": cfg.vocab,
                      "latent_channels": cfg.cvae, "scales": list(cfg.scales), "parameters": C.count_params(vq),
                      "test_reconstruction_mse": ck["test_mse"], "codes_used_test": ck["codes_used_test"],
                      "command": "tools/models/run.sh vq-var"},
        "training": {"command": "tools/models/run.sh var", "seed": args.seed, "epochs": epochs, "batch": bs, "lr": lr,
                     "schedule": "cosine cycles with warm-up (epochs, peak lr per cycle; each later cycle: fresh AdamW, reseeded with seed + k)",
                     "class_dropout_for_cfg": cond_drop, "seconds": train_s, "threads": torch.get_num_threads()},
        "data": C.data_source(Path(args.mnist)),
        "parity": par,
        "toolchain": C.toolchain(),
    }
    C.write_json(folder / "model.json", man)
    files = ["var_step.onnx", "var_scale_update.onnx", "var_decoder.onnx"]
    if not args.skip_eval:
        E.run(NAME, E.Scorer(args.mnist))
        man = C.read_json(folder / "model.json")
        files.append("samples.png")
    man["files"] = [C.file_entry(folder, f) for f in files]
    C.write_json(folder / "model.json", man)
    # The tokenizer encoder (zero-shot in-painting) belongs to the same folder: re-export it after every rebuild.
    from . import var_encoder
    var_encoder.main([])
    print(f"[{NAME}] done in {timer()} s")


if __name__ == "__main__":
    main()
