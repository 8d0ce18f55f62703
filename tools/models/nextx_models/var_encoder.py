"""VAR tokenizer encoder for zero-shot in-painting: image -> multi-scale token maps (VAR quant.py semantics).

    tools/models/run.sh var-encoder     # adds var_encoder.onnx to models/var-mnist (after `run.sh var`)

The residual quantisation loop of vq.VQModel.quantize, with the area-downsample and bicubic-upsample
written as the same exact linear maps var.py uses for var_scale_update (F.interpolate is linear), so the
graph exports at opset 17: for each scale, rest -> area down -> nearest code -> bicubic up -> phi -> subtract.
"""
from __future__ import annotations

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from . import common as C
from . import vq as VQ
from .var import resize_matrices

NAME = "var-mnist"


class EncoderGraph(nn.Module):
    def __init__(self, vq: VQ.VQModel):
        super().__init__()
        self.vq = vq
        up, down = resize_matrices(vq.scales, VQ.LATENT)
        self.register_buffer("up", torch.from_numpy(up))
        self.register_buffer("down", torch.from_numpy(down))

    def forward(self, image):
        f = self.vq.encoder(image * 2 - 1)
        B, Cc, H, W = f.shape
        rest = f.reshape(B, Cc, H * W)
        idxs = []
        SN = len(self.vq.scales)
        for si, pn in enumerate(self.vq.scales):
            n = pn * pn
            # Area down to pn x pn (the last scale is the full map).
            small = rest @ self.down_to(si).t() if si != SN - 1 else rest
            z = small.transpose(1, 2)                                                  # B,n,C
            d = (z.unsqueeze(2) - self.vq.embedding.weight.view(1, 1, -1, Cc)).pow(2).sum(-1)
            idx = d.argmin(-1)                                                        # B,n
            h = self.vq.embedding(idx).transpose(1, 2)                                # B,C,n
            if si != SN - 1:
                h = h @ self.up[si, :, :n].t()                                        # B,C,64
            h = self.vq.phi(si, h.reshape(B, Cc, H, W)).reshape(B, Cc, H * W)
            rest = rest - h
            idxs.append(idx)
        return torch.cat(idxs, 1), f

    def down_to(self, si):
        # down[si - 1] maps full -> scales[si]; scale 0 (1x1) is the plain mean.
        pn = self.vq.scales[si]
        if si == 0:
            return torch.full((pn * pn, VQ.LATENT * VQ.LATENT), 1.0 / (VQ.LATENT * VQ.LATENT))
        return self.down[si - 1, : pn * pn, :]


def main(argv=None):
    C.setup(0)
    vq = VQ.load("var")
    folder = C.MODELS_DIR / NAME
    graph = EncoderGraph(vq).eval()
    imgs = torch.rand(3, 1, 32, 32)
    with torch.no_grad():
        want_idx, want_f = graph(imgs)
        ref = torch.cat(vq.encode(imgs), 1)
    agree = float((want_idx == ref).float().mean())
    path = folder / "var_encoder.onnx"
    C.export_onnx(graph, (imgs,), path, ["image"], ["indices", "f"], {"image": {0: "batch"}, "indices": {0: "batch"}, "f": {0: "batch"}})
    got = dict(zip(["indices", "f"], C.ort_session(path).run(None, {"image": imgs.numpy()})))
    parity = C.check_parity("var_encoder", {"f": got["f"]}, {"f": want_f.numpy()})
    idx_equal = float((got["indices"] == want_idx.numpy()).mean())
    man = C.read_json(folder / "model.json")
    L = sum(p * p for p in vq.scales)
    man["contract"]["graphs"]["encoder"] = {
        "file": "var_encoder.onnx",
        "inputs": {"image": {"dtype": "float32", "shape": ["batch", 1, 32, 32], "range": [0, 1]}},
        "outputs": {
            "indices": {"dtype": "int64", "shape": ["batch", L], "note": "multi-scale token maps, scale by scale, row-major"},
            "f": {"dtype": "float32", "shape": ["batch", vq.cvae, VQ.LATENT, VQ.LATENT]},
        },
        "use": "zero-shot in-painting: tokens outside the mask are teacher-forced at every scale",
    }
    man.setdefault("parity", {})["encoder"] = {"f_max_abs_error": parity, "indices_equal_onnx_vs_pytorch": idx_equal,
                                                  "indices_equal_vs_vq_encode": agree}
    files = [f for f in man.get("files", []) if f.get("path") != "var_encoder.onnx"]
    man["files"] = files + [C.file_entry(folder, "var_encoder.onnx")]
    C.write_json(folder / "model.json", man)
    print(f"var_encoder: indices equal to vq.encode {agree:.3f}, onnx vs torch {idx_equal:.3f}, f max err {parity:.2e}")


if __name__ == "__main__":
    main()
