"""Judge for the shape generators: a small 3D CNN over 16^3 occupancy (models/voxel-classifier).

    tools/models/run.sh shape-classifier [--budget-seconds 300]

Trained on the train split of nextx_models/shape_data.py; held-out accuracy (onnxruntime) in model.json. Also writes
models/voxel-classifier/heldout.json: a few real held-out shapes per class for the TypeScript tests.
"""
from __future__ import annotations

import argparse
import shutil

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from . import common as C
from . import shape_data as S

NAME = "voxel-classifier"
FEATURES = 128
HELDOUT_PER_CLASS = 3


class VoxelClassifier(nn.Module):
    """voxels (B,1,16,16,16) [c, z, y, x] in {0,1} -> logits (B,C), features (B,128) (penultimate, after ReLU)."""

    def __init__(self, num_classes: int):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv3d(1, 16, 3, padding=1), nn.BatchNorm3d(16), nn.ReLU(),
            nn.Conv3d(16, 32, 3, padding=1), nn.BatchNorm3d(32), nn.ReLU(), nn.MaxPool3d(2),     # 8
            nn.Conv3d(32, 64, 3, padding=1), nn.BatchNorm3d(64), nn.ReLU(), nn.MaxPool3d(2),     # 4
            nn.Conv3d(64, 96, 3, padding=1), nn.BatchNorm3d(96), nn.ReLU(), nn.MaxPool3d(2),     # 2
        )
        self.fc = nn.Linear(96 * 8, FEATURES)
        self.drop = nn.Dropout(0.3)
        self.out = nn.Linear(FEATURES, num_classes)

    def forward(self, voxels):
        h = self.body(voxels * 2 - 1).flatten(1)
        f = F.relu(self.fc(h))
        return self.out(self.drop(f)), f


def augment(x: torch.Tensor) -> torch.Tensor:
    """Random mirror in x and in y (KiCad parts are near-symmetric about both board axes) and a random shift of up
    to 1 voxel along each axis (zero fill)."""
    b = x.shape[0]
    fx = torch.rand(b) < 0.5
    fy = torch.rand(b) < 0.5
    x = x.clone()
    x[fx] = x[fx].flip(-1)
    x[fy] = x[fy].flip(-2)
    xp = F.pad(x, (1, 1, 1, 1, 1, 1))
    out = torch.empty_like(x)
    s = torch.randint(0, 3, (b, 3))
    for i in range(b):
        out[i] = xp[i, :, s[i, 0]:s[i, 0] + 16, s[i, 1]:s[i, 1] + 16, s[i, 2]:s[i, 2] + 16]
    return out


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--budget-seconds", type=float, default=300)
    ap.add_argument("--epochs", type=int, default=60)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=None)
    args = ap.parse_args(argv)
    C.setup(args.seed, args.threads)
    timer = C.Timer()
    d = S.load()
    nc = len(S.CLASSES)
    x = torch.from_numpy(d["vox"][:, None].astype(np.float32))
    y = torch.from_numpy(d["labels"])
    te = torch.from_numpy(d["test"])
    xtr, ytr, xte, yte = x[~te], y[~te], x[te], y[te]
    model = VoxelClassifier(nc)
    # class-balanced loss weights (Capacitor_THT has 4x the shapes of Crystal)
    cnt = torch.bincount(ytr, minlength=nc).float()
    w = (cnt.sum() / cnt) / (cnt.sum() / cnt).mean()
    bs = 32
    steps_per_epoch = (len(xtr) + bs - 1) // bs
    total = args.epochs * steps_per_epoch
    opt = torch.optim.AdamW(model.parameters(), lr=2e-3, weight_decay=1e-3)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=2e-3, total_steps=total)
    step, losses, ep = 0, [], 0
    for ep in range(args.epochs):
        model.train()
        perm = torch.randperm(len(xtr))
        tot = 0.0
        for i in range(0, len(xtr), bs):
            idx = perm[i:i + bs]
            logits, _ = model(augment(xtr[idx]))
            loss = F.cross_entropy(logits, ytr[idx], weight=w, label_smoothing=0.05)
            opt.zero_grad(); loss.backward(); opt.step(); sched.step(); step += 1
            tot += loss.item() * len(idx)
        losses.append(round(tot / len(xtr), 4))
        acc = evaluate(model, xte, yte)
        print(f"[{NAME}] epoch {ep + 1}/{args.epochs} loss {losses[-1]:.4f} held-out acc {acc:.4f} ({timer()} s)", flush=True)
        if timer() > args.budget_seconds:
            print(f"[{NAME}] time budget reached after epoch {ep + 1}", flush=True)
            break
    train_s = timer()
    folder = C.MODELS_DIR / NAME
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    path = folder / "classifier.onnx"
    model.eval()
    C.export_onnx(model, (xte[:2],), path, ["voxels"], ["logits", "features"],
                  {"voxels": {0: "batch"}, "logits": {0: "batch"}, "features": {0: "batch"}})
    sess = C.ort_session(path)
    with torch.no_grad():
        lt, ft = model(xte[:64])
    lo, fo = sess.run(["logits", "features"], {"voxels": xte[:64].numpy()})
    parity = C.check_parity(NAME, {"logits": lo, "features": fo}, {"logits": lt.numpy(), "features": ft.numpy()})
    lo_all = sess.run(["logits"], {"voxels": xte.numpy()})[0]
    pred = lo_all.argmax(1)
    yn = yte.numpy()
    acc = float((pred == yn).mean())
    per_class = [round(float((pred[yn == c] == c).mean()), 4) for c in range(nc)]
    conf = np.zeros((nc, nc), int)
    for a, b in zip(yn, pred):
        conf[a, b] += 1
    lo_tr = sess.run(["logits"], {"voxels": xtr.numpy()})[0]
    train_acc = float((lo_tr.argmax(1) == ytr.numpy()).mean())
    # held-out shapes for the TypeScript tests: the first HELDOUT_PER_CLASS test shapes of each class (name order)
    names = d["names"][d["test"]]
    items = []
    for c in range(nc):
        for j in np.flatnonzero(yn == c)[:HELDOUT_PER_CLASS]:
            v = xte[j, 0].numpy().astype(bool)
            items.append({"class": int(c), "class_name": S.CLASSES[c], "name": str(names[j]), "voxels": int(v.sum()),
                          "occupancy_base64": S.pack_base64(v), "judge_class": int(pred[j]),
                          "level_tokens_0_2": S.octree_tokens(v)[:S.LEVEL_START[3]].tolist()})
    C.write_json(folder / "heldout.json", {
        "description": "real held-out (test split) KiCad shapes as 16^3 occupancy, for tests",
        "format": "occupancy_base64 = base64 of 512 bytes; voxel j = x + 16 * (y + 16 * z) (x fastest) is bit (j % 8) "
                  "of byte floor(j / 8), least significant bit first; judge_class = argmax of classifier.onnx's logits; "
                  "level_tokens_0_2 = the first 73 octree tokens (levels 0..2, see models/shape-octree model.json tokens)",
        "classes": S.CLASSES, "per_class": HELDOUT_PER_CLASS, "shapes": items,
        "data": "tools/models/run.sh shape-data (provenance in model.json data)"})
    prov = d["provenance"]
    man = {
        "name": NAME,
        "family": "voxel-classifier",
        "version": 1,
        "task": "KiCad 3D part class from 16^3 occupancy; judge of models/shape-octree and models/shape-raster",
        "files": [C.file_entry(folder, "classifier.onnx"), C.file_entry(folder, "heldout.json")],
        "contract": {
            "graphs": {
                "classifier": {
                    "file": "classifier.onnx",
                    "inputs": {"voxels": {"dtype": "float32", "shape": ["batch", 1, 16, 16, 16], "range": [0, 1],
                                          "layout": "[channel, z, y, x]: the flat 4096 values are x + 16 * (y + 16 * z)"}},
                    "outputs": {
                        "logits": {"dtype": "float32", "shape": ["batch", nc]},
                        "features": {"dtype": "float32", "shape": ["batch", FEATURES],
                                     "note": "penultimate activations (after ReLU)"},
                    },
                }
            },
            "classes": S.CLASSES,
            "grid": [16, 16, 16],
        },
        "heldout": {"file": "heldout.json", "shapes": len(items), "per_class": HELDOUT_PER_CLASS},
        "parameters": C.count_params(model),
        "training": {"command": C.command_line(), "seed": args.seed, "epochs": ep + 1, "steps": step, "batch": bs,
                     "optimizer": "AdamW lr 2e-3 one-cycle, weight decay 1e-3", "loss": "class-weighted cross-entropy, label smoothing 0.05",
                     "augmentation": "random mirror in x and y, random shift up to 1 voxel per axis",
                     "epoch_losses": losses, "seconds": train_s, "budget_seconds": args.budget_seconds,
                     "threads": torch.get_num_threads()},
        "data": prov,
        "eval": {"test_accuracy": round(acc, 4), "test_accuracy_per_class": per_class, "test_shapes": int(len(yn)),
                 "train_accuracy": round(train_acc, 4), "confusion": conf.tolist(),
                 "confusion_layout": "confusion[true][predicted]",
                 "measured_with": "onnxruntime (Python), classifier.onnx"},
        "parity": {"max_abs_error": parity, "tolerance": 1e-4},
        "toolchain": C.toolchain(),
    }
    C.write_json(folder / "model.json", man)
    print(f"[{NAME}] held-out accuracy {acc:.4f} (train {train_acc:.4f}); wrote {folder}", flush=True)


@torch.no_grad()
def evaluate(model, x, y) -> float:
    model.eval()
    return float((model(x)[0].argmax(1) == y).float().mean())


if __name__ == "__main__":
    main()
