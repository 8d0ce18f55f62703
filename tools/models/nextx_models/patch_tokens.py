"""Continuous tokens of the xAR / MAR image models: raw 4x4 pixel patches of the 32x32 digit.

One definition for training, export and evaluation (the TypeScript side reads the same facts from
`contract.tokens` in model.json):
- the 32x32 image in [-1, 1] (2x - 1 of the [0, 1] grey values) is cut into an 8x8 grid of 4x4 patches;
- token index = grid_row * 8 + grid_col (raster order over the grid), token vector = the patch's 16 values,
  row-major inside the patch; no further scaling (the models see [-1, 1] values, noise is N(0, I));
- xAR cells: the 2x2 quadrants of the grid, each 4x4 tokens, in raster order of the quadrants; inside a
  cell its tokens keep their grid raster order (`CELLS[k]` lists them).
"""
from __future__ import annotations

import numpy as np
import torch

IMAGE = 32
PATCH = 4
GRID = IMAGE // PATCH          # 8
SEQ = GRID * GRID              # 64 tokens
DIM = PATCH * PATCH            # 16 values per token
CELL_GRID = 4                  # a cell is 4x4 tokens
CELLS = [[(cr * CELL_GRID + r) * GRID + cc * CELL_GRID + c for r in range(CELL_GRID) for c in range(CELL_GRID)]
         for cr in range(GRID // CELL_GRID) for cc in range(GRID // CELL_GRID)]
CELL_ORDER = [i for cell in CELLS for i in cell]   # grid index of each position of the cell-major sequence


def patchify(x01: torch.Tensor) -> torch.Tensor:
    """(B, 1, 32, 32) in [0, 1] -> (B, 64, 16) tokens in [-1, 1], grid raster order."""
    x = x01 * 2 - 1
    b = x.shape[0]
    x = x.reshape(b, GRID, PATCH, GRID, PATCH).permute(0, 1, 3, 2, 4)
    return x.reshape(b, SEQ, DIM)


def unpatchify(tokens: np.ndarray | torch.Tensor) -> np.ndarray:
    """(B, 64, 16) tokens in grid raster order -> (B, 1, 32, 32) images in [0, 1] (clipped)."""
    t = tokens.detach().cpu().numpy() if isinstance(tokens, torch.Tensor) else np.asarray(tokens)
    b = t.shape[0]
    x = t.reshape(b, GRID, GRID, PATCH, PATCH).transpose(0, 1, 3, 2, 4).reshape(b, 1, IMAGE, IMAGE)
    return np.clip((x + 1) / 2, 0, 1).astype(np.float32)


def contract(cells: bool = False) -> dict:
    """`contract.tokens` of model.json: what the service needs to turn tokens into pixels."""
    out = {"kind": "pixel-patches", "image_size": IMAGE, "patch_size": PATCH, "grid": GRID, "seq_len": SEQ,
           "token_dim": DIM, "value_range": [-1, 1],
           "layout": "token index = grid_row * 8 + grid_col; vector = the 4x4 patch row-major; pixel = (v + 1) / 2"}
    if cells:
        out["cells"] = CELLS
        out["cell_note"] = "xAR cells: the 2x2 quadrants of the token grid in raster order; lists are grid token indices"
    return out


if __name__ == "__main__":  # round trip self-check
    x = torch.rand(3, 1, 32, 32)
    assert np.allclose(unpatchify(patchify(x)), x.numpy(), atol=1e-6)
    assert sorted(CELL_ORDER) == list(range(SEQ))
    print("patch tokens ok", CELLS[1][:4])
