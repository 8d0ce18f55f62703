"""Video transformers over per-frame VQ tokens: NBP (next-block prediction, one frame = one block) and an NTP
(next-token) baseline of the same size, with an Optimum-style KV-cache step graph.

Entries carry: a token id (codes 0..511, BOV 512, MBOS 513), a RoPE entry index (position_ids, relative, so a
cache trimmed from the front keeps its attention distances) and a learned spatial embedding of the TARGET
position (0..63) the entry predicts. Conditions (digits via embedding, motion via a linear layer) are added to
every entry's embedding and modulate every block by AdaLN (shift/scale/gate), so the KV cache holds only token
entries.

Attention of a step call (fed entries S, cached entries P):
  nbp: a fed entry sees every unmasked cached entry and every fed entry (block bidirectional)
  ntp: a fed entry sees every unmasked cached entry and the fed entries up to itself (causal)
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F

NEG = -1e9


@dataclass
class VideoLMConfig:
    mode: str = "nbp"            # "nbp" | "ntp"
    codebook_size: int = 512
    width: int = 128
    depth: int = 4
    heads: int = 4
    mlp_ratio: float = 4.0
    spatial: int = 64
    num_digit_classes: int = 11  # 0..9, 10 = no digit
    max_digits: int = 2
    rope_theta: float = 10000.0
    position_levels: int = 4     # x0 / max_position * 4 in {0..4}: start cell of the digit box on the token grid
    velocity_levels: int = 1     # v / max_speed in {-1, 0, 1}
    block: int = 64              # entries per frame: position_ids // block = frame of the predicted token
    grid: int = 8                # cells per frame side
    box_cells: int = 4           # a 28x28 digit at a cell-aligned position covers 4x4 cells

    @property
    def vocab_in(self):
        return self.codebook_size + 2   # + BOV + MBOS

    @property
    def head_dim(self):
        return self.width // self.heads


class LN(nn.Module):
    """LayerNorm without affine parameters, written out (torch 1.13 exports affine-free LayerNorm invalidly)."""

    def __init__(self, eps=1e-6):
        super().__init__()
        self.eps = eps

    def forward(self, x):
        mu = x.mean(-1, keepdim=True)
        xc = x - mu
        return xc * torch.rsqrt(xc.pow(2).mean(-1, keepdim=True) + self.eps)


def rotate_half(x):
    x1, x2 = x.chunk(2, dim=-1)
    return torch.cat((-x2, x1), dim=-1)


class Block(nn.Module):
    def __init__(self, cfg: VideoLMConfig):
        super().__init__()
        d = cfg.width
        self.h, self.hd = cfg.heads, cfg.head_dim
        self.ln1 = LN(1e-6)
        self.ln2 = LN(1e-6)
        self.qkv = nn.Linear(d, 3 * d)
        self.proj = nn.Linear(d, d)
        hid = int(d * cfg.mlp_ratio)
        self.fc1 = nn.Linear(d, hid)
        self.fc2 = nn.Linear(hid, d)
        self.ada = nn.Linear(d, 6 * d)   # AdaLN from the condition vector

    def forward(self, x, cond, cos, sin, mask, pk=None, pv=None):
        B, S, D = x.shape
        g1, s1, b1, g2, s2, b2 = self.ada(cond).unsqueeze(1).chunk(6, dim=-1)
        h = self.ln1(x) * (1 + s1) + b1
        q, k, v = self.qkv(h).view(B, S, 3, self.h, self.hd).permute(2, 0, 3, 1, 4)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        if pk is not None:
            k = torch.cat([pk, k], dim=2)
            v = torch.cat([pv, v], dim=2)
        att = (q @ k.transpose(-1, -2)) * (self.hd ** -0.5) + mask
        y = (att.softmax(-1) @ v).transpose(1, 2).reshape(B, S, D)
        x = x + g1 * self.proj(y)
        h = self.ln2(x) * (1 + s2) + b2
        x = x + g2 * self.fc2(F.gelu(self.fc1(h)))
        return x, k, v


class VideoLM(nn.Module):
    def __init__(self, cfg: VideoLMConfig):
        super().__init__()
        self.cfg = cfg
        d = cfg.width
        self.tok_emb = nn.Embedding(cfg.vocab_in, d)
        self.spatial_emb = nn.Embedding(cfg.spatial, d)
        self.digit_emb = nn.Embedding(cfg.max_digits * cfg.num_digit_classes, d)   # slot-specific classes
        self.motion_lin = nn.Linear(cfg.max_digits * 4, d)
        # the grid-aligned start cell and velocity as learned tables too: where a digit box starts is a threshold
        # on x0, which a linear map of x0 makes the network learn slowly
        npos, nvel = cfg.position_levels + 1, 2 * cfg.velocity_levels + 1
        self.start_emb = nn.Embedding(cfg.max_digits * npos * npos, d)
        self.velocity_emb = nn.Embedding(cfg.max_digits * nvel * nvel, d)
        # path hint: which cell of which digit's box the predicted token lies in, on the bouncing path
        self.box_emb = nn.Embedding(cfg.max_digits * (cfg.box_cells ** 2 + 1), d)
        self.blocks = nn.ModuleList([Block(cfg) for _ in range(cfg.depth)])
        self.ln_f = LN(1e-6)
        self.head_ada = nn.Linear(d, 2 * d)
        self.head = nn.Linear(d, cfg.codebook_size)
        inv = 1.0 / (cfg.rope_theta ** (torch.arange(0, cfg.head_dim, 2).float() / cfg.head_dim))
        self.register_buffer("inv_freq", inv, persistent=False)
        self.register_buffer("slot_offset", torch.arange(cfg.max_digits) * cfg.num_digit_classes, persistent=False)
        self.apply(self._init)
        for b in self.blocks:   # AdaLN starts as identity-ish with small gates
            nn.init.zeros_(b.ada.weight)
            with torch.no_grad():
                b.ada.bias.zero_(); b.ada.bias[:D_(b)].fill_(1.0); b.ada.bias[3 * D_(b):4 * D_(b)].fill_(1.0)
        nn.init.zeros_(self.head_ada.weight); nn.init.zeros_(self.head_ada.bias)

    @staticmethod
    def _init(m):
        if isinstance(m, (nn.Linear, nn.Embedding)):
            nn.init.normal_(m.weight, std=0.02)
            if isinstance(m, nn.Linear) and m.bias is not None:
                nn.init.zeros_(m.bias)

    def condition(self, digits, motion):
        cfg = self.cfg
        npos, nvel = cfg.position_levels + 1, 2 * cfg.velocity_levels + 1
        cell = torch.round(motion[..., :2] * cfg.position_levels).long().clamp(0, cfg.position_levels)     # B,2,2
        vel = (torch.round(motion[..., 2:] * cfg.velocity_levels).long() + cfg.velocity_levels).clamp(0, nvel - 1)
        slot = torch.arange(cfg.max_digits, device=motion.device).unsqueeze(0)
        start = self.start_emb(slot * npos * npos + cell[..., 1] * npos + cell[..., 0])
        velocity = self.velocity_emb(slot * nvel * nvel + vel[..., 1] * nvel + vel[..., 0])
        present = (digits != cfg.num_digit_classes - 1).unsqueeze(-1).float()                             # B,2,1
        c = (self.digit_emb(digits + self.slot_offset).sum(1) + self.motion_lin(motion.reshape(motion.shape[0], -1))
             + ((start + velocity) * present).sum(1))
        return c

    def box_cells(self, position_ids, spatial_ids, digits, motion):
        """Index (B, S, slots) of the cell of digit slot d's box that the predicted token lies in (0..15, 16 = outside
        or no digit). The box moves on the straight bouncing path of mmnist.trajectory: in cells, start s, velocity
        v in {-1, 0, 1}, reflected at 0 and L = position_levels, i.e. a triangle wave of period 2L in s + v * frame.
        The frame comes from the entry index (position_ids // block, entries counted from the clip's first one), so
        the step graph needs no extra input."""
        cfg = self.cfg
        L, n = cfg.position_levels, cfg.box_cells
        frame = torch.div(position_ids, cfg.block, rounding_mode="floor").unsqueeze(-1)                   # B,S,1
        start = torch.round(motion[..., :2] * L).long().unsqueeze(1)                                      # B,1,2,2
        vel = torch.round(motion[..., 2:] * cfg.velocity_levels).long().unsqueeze(1)
        p = torch.remainder(start + vel * frame.unsqueeze(-1), 2 * L)                                      # B,S,2,2
        p = torch.where(p > L, 2 * L - p, p)
        row = torch.div(spatial_ids, cfg.grid, rounding_mode="floor").unsqueeze(-1)                       # B,S,1
        col = torch.remainder(spatial_ids, cfg.grid).unsqueeze(-1)
        dr, dc = row - p[..., 1], col - p[..., 0]                                                          # B,S,2
        present = (digits != cfg.num_digit_classes - 1).unsqueeze(1)
        inside = (dr >= 0) & (dr < n) & (dc >= 0) & (dc < n) & present
        return torch.where(inside, dr * n + dc, torch.full_like(dr, n * n))

    def rope(self, position_ids):
        freqs = position_ids.float().unsqueeze(-1) * self.inv_freq
        emb = torch.cat([freqs, freqs], -1)
        return emb.cos().unsqueeze(1), emb.sin().unsqueeze(1)

    def forward(self, input_ids, position_ids, spatial_ids, digits, motion, mask, past=None):
        """mask: additive float mask [B, 1, S, P+S] (0 attend, NEG blocked)."""
        c = self.condition(digits, motion)
        cells = self.box_cells(position_ids, spatial_ids, digits, motion)
        slot = torch.arange(self.cfg.max_digits, device=cells.device) * (self.cfg.box_cells ** 2 + 1)
        x = (self.tok_emb(input_ids) + self.spatial_emb(spatial_ids) + c.unsqueeze(1)
             + self.box_emb(cells + slot).sum(2))
        cs = F.silu(c)
        cos, sin = self.rope(position_ids)
        presents = []
        for i, blk in enumerate(self.blocks):
            pk, pv = past[i] if past is not None else (None, None)
            x, k, v = blk(x, cs, cos, sin, mask, pk, pv)
            presents.append((k, v))
        s, b = self.head_ada(cs).unsqueeze(1).chunk(2, dim=-1)
        logits = self.head(self.ln_f(x) * (1 + s) + b)
        return logits, presents

    def step_mask(self, attention_mask, S):
        """Mask of a step call from attention_mask [B, P+S] (1 attend, 0 padding)."""
        allowed = (attention_mask > 0).unsqueeze(1)                                   # B,1,T
        if self.cfg.mode == "ntp":
            kpos = torch.cumsum(torch.ones_like(attention_mask[0]), 0) - 1             # T
            qpos = kpos[kpos.shape[0] - S:]                                            # S
            allowed = allowed & (kpos.unsqueeze(0) <= qpos.unsqueeze(1)).unsqueeze(0)  # B,S,T
        else:
            allowed = allowed.expand(-1, S, -1)
        return torch.where(allowed, torch.zeros((), dtype=torch.float32), torch.full((), NEG)).unsqueeze(1)

    def step(self, input_ids, attention_mask, position_ids, spatial_ids, digits, motion, past):
        return self(input_ids, position_ids, spatial_ids, digits, motion,
                    self.step_mask(attention_mask, input_ids.shape[1]), past)


def D_(b: Block) -> int:
    return b.proj.in_features


def block_mask(block_ids: torch.Tensor) -> torch.Tensor:
    """Training mask from per-entry block ids [B, T]: entry q sees entry k iff block[k] <= block[q]."""
    allowed = block_ids.unsqueeze(1) <= block_ids.unsqueeze(2)   # B, q, k
    return torch.where(allowed, torch.zeros((), dtype=torch.float32), torch.full((), NEG)).unsqueeze(1)


class StepWrapper(nn.Module):
    def __init__(self, m: VideoLM):
        super().__init__()
        self.m = m
        self.n = m.cfg.depth

    def forward(self, input_ids, attention_mask, position_ids, spatial_ids, digits, motion, *flat_past):
        past = [(flat_past[2 * i], flat_past[2 * i + 1]) for i in range(self.n)]
        logits, presents = self.m.step(input_ids, attention_mask, position_ids, spatial_ids, digits, motion, past)
        out = [logits]
        for k, v in presents:
            out += [k, v]
        return tuple(out)


def io_names(n_layers):
    past = [f"past_key_values.{i}.{t}" for i in range(n_layers) for t in ("key", "value")]
    present = [f"present.{i}.{t}" for i in range(n_layers) for t in ("key", "value")]
    return ["input_ids", "attention_mask", "position_ids", "spatial_ids", "digits", "motion"] + past, ["logits"] + present


def export(m: VideoLM, path):
    from . import common as C
    cfg = m.cfg
    ins, outs = io_names(cfg.depth)
    B, S, P = 2, 3, 4
    args = [torch.randint(0, cfg.vocab_in, (B, S)), torch.ones(B, P + S, dtype=torch.long),
            (torch.arange(S) + P).unsqueeze(0).expand(B, S).contiguous(),
            torch.randint(0, 64, (B, S)), torch.randint(0, 11, (B, 2)), torch.randn(B, 2, 4)]
    args += [torch.randn(B, cfg.heads, P, cfg.head_dim) for _ in range(2 * cfg.depth)]
    dyn = {"input_ids": {0: "batch_size", 1: "sequence_length"},
           "attention_mask": {0: "batch_size", 1: "past_sequence_length + sequence_length"},
           "position_ids": {0: "batch_size", 1: "sequence_length"},
           "spatial_ids": {0: "batch_size", 1: "sequence_length"},
           "digits": {0: "batch_size"}, "motion": {0: "batch_size"},
           "logits": {0: "batch_size", 1: "sequence_length"}}
    for n in ins[6:]:
        dyn[n] = {0: "batch_size", 2: "past_sequence_length"}
    for n in outs[1:]:
        dyn[n] = {0: "batch_size", 2: "past_sequence_length + sequence_length"}
    C.export_onnx(StepWrapper(m), tuple(args), path, ins, outs, dyn)


def contract(cfg: VideoLMConfig, file: str) -> dict:
    L, H, D = cfg.depth, cfg.heads, cfg.head_dim
    attn = ("fed entries attend to every unmasked past entry and to each other bidirectionally (one block per call)"
            if cfg.mode == "nbp" else "fed entries attend to every unmasked past entry and causally among themselves")
    return {
        "file": file,
        "interface": "Hugging Face Optimum decoder-with-past names plus spatial_ids / digits / motion",
        "inputs": {
            "input_ids": {"dtype": "int64", "shape": ["batch", "seq"], "note": "codes 0..511, BOV 512, MBOS 513"},
            "attention_mask": {"dtype": "int64", "shape": ["batch", "past + seq"], "note": "1 = attend, 0 = padding"},
            "position_ids": {"dtype": "int64", "shape": ["batch", "seq"],
                             "note": (f"entry index counted from the clip's first entry (BOV = 0), also after the cache is trimmed "
                                      f"and when continuing from prompt frames: RoPE uses only differences, but position_ids // "
                                      f"{cfg.block} is the frame of the predicted token, which places the digit boxes on their paths")},
            "spatial_ids": {"dtype": "int64", "shape": ["batch", "seq"], "note": "0..63: position in the frame of the token this entry predicts"},
            "digits": {"dtype": "int64", "shape": ["batch", 2], "note": "class per digit slot, 10 = no digit"},
            "motion": {"dtype": "float32", "shape": ["batch", 2, 4], "note": "[x0/32, y0/32, vx/8, vy/8] per digit, zeros if absent (x0, y0 in {0,8,..,32}, vx, vy in {-8,0,8})"},
            "past_key_values.{i}.key": {"dtype": "float32", "shape": ["batch", H, "past", D], "i": f"0..{L - 1}"},
            "past_key_values.{i}.value": {"dtype": "float32", "shape": ["batch", H, "past", D], "i": f"0..{L - 1}"},
        },
        "outputs": {
            "logits": {"dtype": "float32", "shape": ["batch", "seq", cfg.codebook_size]},
            "present.{i}.key": {"dtype": "float32", "shape": ["batch", H, "past + seq", D], "note": "concat(past, new)"},
            "present.{i}.value": {"dtype": "float32", "shape": ["batch", H, "past + seq", D], "note": "concat(past, new)"},
        },
        "attention": attn,
        "num_layers": L, "num_heads": H, "num_kv_heads": H, "head_dim": D, "hidden_size": cfg.width,
        "vocab_size": cfg.vocab_in, "logits_size": cfg.codebook_size,
        "empty_past": f"past tensors of shape [batch, {H}, 0, {D}] on the first call",
        "config": asdict(cfg),
    }
