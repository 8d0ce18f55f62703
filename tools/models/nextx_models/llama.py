"""A Llama decoder that computes exactly what transformers' LlamaForCausalLM computes (RMSNorm, rotate-half RoPE,
SwiGLU MLP, no biases, untied head), with the Hugging Face Optimum ONNX interface:

  inputs  input_ids [B,S] int64, attention_mask [B,P+S] int64, position_ids [B,S] int64,
          past_key_values.{i}.key|value [B,H,P,D] float32
  outputs logits [B,S,V] float32, present.{i}.key|value [B,H,P+S,D] (= concat(past, new))

State-dict keys use the transformers names (model.embed_tokens, model.layers.{i}.self_attn.q_proj, ..., lm_head).
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F


@dataclass
class LlamaConfig:
    vocab_size: int
    hidden_size: int = 128
    intermediate_size: int = 384
    num_hidden_layers: int = 4
    num_attention_heads: int = 4
    max_position_embeddings: int = 128
    rms_norm_eps: float = 1e-5
    rope_theta: float = 10000.0

    @property
    def head_dim(self):
        return self.hidden_size // self.num_attention_heads

    def hf_config(self, **extra) -> dict:
        d = {
            "architectures": ["LlamaForCausalLM"], "model_type": "llama",
            "vocab_size": self.vocab_size, "hidden_size": self.hidden_size,
            "intermediate_size": self.intermediate_size, "num_hidden_layers": self.num_hidden_layers,
            "num_attention_heads": self.num_attention_heads, "num_key_value_heads": self.num_attention_heads,
            "head_dim": self.head_dim, "hidden_act": "silu", "max_position_embeddings": self.max_position_embeddings,
            "rms_norm_eps": self.rms_norm_eps, "rope_theta": self.rope_theta, "rope_scaling": None,
            "attention_bias": False, "mlp_bias": False, "attention_dropout": 0.0, "tie_word_embeddings": False,
            "initializer_range": 0.02, "pretraining_tp": 1, "use_cache": True, "torch_dtype": "float32",
            "transformers_version": "4.40.2",
        }
        d.update(extra)
        return d


class RMSNorm(nn.Module):
    def __init__(self, d, eps):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(d))
        self.eps = eps

    def forward(self, x):
        return self.weight * (x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps))


def rotate_half(x):
    x1, x2 = x.chunk(2, dim=-1)
    return torch.cat((-x2, x1), dim=-1)


class Attention(nn.Module):
    def __init__(self, cfg: LlamaConfig):
        super().__init__()
        d, self.h, self.hd = cfg.hidden_size, cfg.num_attention_heads, cfg.head_dim
        self.q_proj = nn.Linear(d, d, bias=False)
        self.k_proj = nn.Linear(d, d, bias=False)
        self.v_proj = nn.Linear(d, d, bias=False)
        self.o_proj = nn.Linear(d, d, bias=False)

    def forward(self, x, cos, sin, mask, past_k=None, past_v=None):
        B, S, _ = x.shape
        q = self.q_proj(x).view(B, S, self.h, self.hd).transpose(1, 2)
        k = self.k_proj(x).view(B, S, self.h, self.hd).transpose(1, 2)
        v = self.v_proj(x).view(B, S, self.h, self.hd).transpose(1, 2)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        if past_k is not None:
            k = torch.cat([past_k, k], dim=2)
            v = torch.cat([past_v, v], dim=2)
        att = (q @ k.transpose(-1, -2)) / (self.hd ** 0.5) + mask
        att = att.softmax(-1)
        y = (att @ v).transpose(1, 2).reshape(B, S, -1)
        return self.o_proj(y), k, v


class MLP(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.gate_proj = nn.Linear(cfg.hidden_size, cfg.intermediate_size, bias=False)
        self.up_proj = nn.Linear(cfg.hidden_size, cfg.intermediate_size, bias=False)
        self.down_proj = nn.Linear(cfg.intermediate_size, cfg.hidden_size, bias=False)

    def forward(self, x):
        return self.down_proj(F.silu(self.gate_proj(x)) * self.up_proj(x))


class Layer(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.self_attn = Attention(cfg)
        self.mlp = MLP(cfg)
        self.input_layernorm = RMSNorm(cfg.hidden_size, cfg.rms_norm_eps)
        self.post_attention_layernorm = RMSNorm(cfg.hidden_size, cfg.rms_norm_eps)

    def forward(self, x, cos, sin, mask, pk=None, pv=None):
        a, k, v = self.self_attn(self.input_layernorm(x), cos, sin, mask, pk, pv)
        x = x + a
        x = x + self.mlp(self.post_attention_layernorm(x))
        return x, k, v


class LlamaBody(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.embed_tokens = nn.Embedding(cfg.vocab_size, cfg.hidden_size)
        self.layers = nn.ModuleList([Layer(cfg) for _ in range(cfg.num_hidden_layers)])
        self.norm = RMSNorm(cfg.hidden_size, cfg.rms_norm_eps)


NEG = -1e9


class LlamaForCausalLM(nn.Module):
    def __init__(self, cfg: LlamaConfig):
        super().__init__()
        self.cfg = cfg
        self.model = LlamaBody(cfg)
        self.lm_head = nn.Linear(cfg.hidden_size, cfg.vocab_size, bias=False)
        inv = 1.0 / (cfg.rope_theta ** (torch.arange(0, cfg.head_dim, 2).float() / cfg.head_dim))
        self.register_buffer("inv_freq", inv, persistent=False)
        self.apply(self._init)

    def _init(self, m):
        if isinstance(m, (nn.Linear, nn.Embedding)):
            nn.init.normal_(m.weight, std=0.02)

    def rope(self, position_ids):
        freqs = position_ids.float().unsqueeze(-1) * self.inv_freq  # B,S,D/2
        emb = torch.cat([freqs, freqs], -1)
        return emb.cos().unsqueeze(1), emb.sin().unsqueeze(1)  # B,1,S,D

    def forward(self, input_ids, attention_mask=None, position_ids=None, past=None):
        """Training / full-sequence call: past=None, causal mask. Returns logits (and presents)."""
        h, presents = self.hidden(input_ids, attention_mask, position_ids, past)
        return self.lm_head(h), presents

    def hidden(self, input_ids, attention_mask=None, position_ids=None, past=None):
        """The final (normed) hidden states the head reads, and the presents."""
        B, S = input_ids.shape
        if position_ids is None:
            position_ids = torch.arange(S).unsqueeze(0).expand(B, S)
        P = 0 if past is None else past[0][0].shape[2]
        if attention_mask is None:
            attention_mask = torch.ones(B, P + S, dtype=torch.long)
        # query i sits at cache position P+i and sees key j iff j <= P+i and attention_mask[j] == 1
        kpos = torch.cumsum(torch.ones_like(attention_mask[0]), 0) - 1            # [T]
        qpos = kpos[kpos.shape[0] - S:]                                             # [S]
        allowed = (kpos.unsqueeze(0) <= qpos.unsqueeze(1)).unsqueeze(0) & (attention_mask.unsqueeze(1) > 0)
        mask = torch.where(allowed, torch.zeros((), dtype=torch.float32), torch.full((), NEG)).unsqueeze(1)
        cos, sin = self.rope(position_ids)
        x = self.model.embed_tokens(input_ids)
        presents = []
        for i, layer in enumerate(self.model.layers):
            pk, pv = (past[i] if past is not None else (None, None))
            x, k, v = layer(x, cos, sin, mask, pk, pv)
            presents.append((k, v))
        return self.model.norm(x), presents

    def hf_state_dict(self):
        return {k: v for k, v in self.state_dict().items() if k != "inv_freq"}


class OptimumWrapper(nn.Module):
    """Flat-argument wrapper for torch.onnx.export with the Optimum tensor names."""

    def __init__(self, m: LlamaForCausalLM):
        super().__init__()
        self.m = m
        self.n = m.cfg.num_hidden_layers

    def forward(self, input_ids, attention_mask, position_ids, *flat_past):
        past = [(flat_past[2 * i], flat_past[2 * i + 1]) for i in range(self.n)]
        logits, presents = self.m(input_ids, attention_mask, position_ids, past)
        out = [logits]
        for k, v in presents:
            out += [k, v]
        return tuple(out)


def io_names(n_layers):
    past = [f"past_key_values.{i}.{t}" for i in range(n_layers) for t in ("key", "value")]
    present = [f"present.{i}.{t}" for i in range(n_layers) for t in ("key", "value")]
    return ["input_ids", "attention_mask", "position_ids"] + past, ["logits"] + present


def export(m: LlamaForCausalLM, path, module=None, extra_outputs=()):
    """The Optimum interface of `m`; `module` (default OptimumWrapper(m)) may return `extra_outputs`
    ([batch, seq, ...] each) between the logits and the presents."""
    from . import common as C
    cfg = m.cfg
    ins, outs = io_names(cfg.num_hidden_layers)
    outs = [outs[0], *extra_outputs, *outs[1:]]
    B, S, P = 2, 3, 4
    args = [torch.randint(0, cfg.vocab_size, (B, S)), torch.ones(B, P + S, dtype=torch.long),
            (torch.arange(S) + P).unsqueeze(0).expand(B, S).contiguous()]
    args += [torch.randn(B, cfg.num_attention_heads, P, cfg.head_dim) for _ in range(2 * cfg.num_hidden_layers)]
    dyn = {"input_ids": {0: "batch_size", 1: "sequence_length"},
           "attention_mask": {0: "batch_size", 1: "past_sequence_length + sequence_length"},
           "position_ids": {0: "batch_size", 1: "sequence_length"},
           "logits": {0: "batch_size", 1: "sequence_length"}}
    for n in extra_outputs:
        dyn[n] = {0: "batch_size", 1: "sequence_length"}
    for n in ins[3:]:
        dyn[n] = {0: "batch_size", 2: "past_sequence_length"}
    for n in outs[1 + len(extra_outputs):]:
        dyn[n] = {0: "batch_size", 2: "past_sequence_length + sequence_length"}
    C.export_onnx(module or OptimumWrapper(m), tuple(args), path, ins, outs, dyn)


def contract(cfg: LlamaConfig, file: str) -> dict:
    L, H, D = cfg.num_hidden_layers, cfg.num_attention_heads, cfg.head_dim
    return {
        "file": file,
        "interface": "Hugging Face Optimum decoder with past (text-generation-with-past), transformers.js LlamaForCausalLM",
        "inputs": {
            "input_ids": {"dtype": "int64", "shape": ["batch", "seq"]},
            "attention_mask": {"dtype": "int64", "shape": ["batch", "past + seq"], "note": "1 = attend, 0 = padding"},
            "position_ids": {"dtype": "int64", "shape": ["batch", "seq"], "note": "RoPE positions, 0 for the class token"},
            "past_key_values.{i}.key": {"dtype": "float32", "shape": ["batch", H, "past", D], "i": f"0..{L - 1}"},
            "past_key_values.{i}.value": {"dtype": "float32", "shape": ["batch", H, "past", D], "i": f"0..{L - 1}"},
        },
        "outputs": {
            "logits": {"dtype": "float32", "shape": ["batch", "seq", cfg.vocab_size]},
            "present.{i}.key": {"dtype": "float32", "shape": ["batch", H, "past + seq", D], "note": "concat(past, new)"},
            "present.{i}.value": {"dtype": "float32", "shape": ["batch", H, "past + seq", D], "note": "concat(past, new)"},
        },
        "num_layers": L, "num_heads": H, "num_kv_heads": H, "head_dim": D, "hidden_size": cfg.hidden_size,
        "vocab_size": cfg.vocab_size, "empty_past": f"past tensors of shape [batch, {H}, 0, {D}] on the first call",
        "config": asdict(cfg),
    }
