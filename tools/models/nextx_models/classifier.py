"""MNIST digit classifier used only to score generators (class agreement, Fréchet distance of its features).

    tools/models/run.sh classifier [--mnist PATH]
"""
from __future__ import annotations

import argparse

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from . import common as C

NAME = "mnist-classifier"
FEATURES = 128


class DigitClassifier(nn.Module):
    """Input: image (B,1,32,32) in [0,1]. Outputs: logits (B,10), features (B,128) (penultimate, after ReLU)."""

    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(1, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(),
            nn.Conv2d(32, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(32, 64, 3, padding=1), nn.BatchNorm2d(64), nn.ReLU(),
            nn.Conv2d(64, 64, 3, padding=1), nn.BatchNorm2d(64), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(64, 128, 3, padding=1), nn.BatchNorm2d(128), nn.ReLU(), nn.MaxPool2d(2),
        )
        self.fc = nn.Linear(128 * 4 * 4, FEATURES)
        self.drop = nn.Dropout(0.3)
        self.out = nn.Linear(FEATURES, 10)

    def forward(self, image):
        h = self.body(image * 2 - 1).flatten(1)
        feats = F.relu(self.fc(h))
        return self.out(self.drop(feats)), feats


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--mnist", default=str(C.default_mnist_dir()))
    ap.add_argument("--epochs", type=int, default=12)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    C.setup(args.seed)
    timer = C.Timer()
    xtr, ytr, xte, yte = C.load_mnist(args.mnist)
    model = DigitClassifier()
    opt = torch.optim.AdamW(model.parameters(), lr=2e-3, weight_decay=1e-4)
    bs = 128
    steps = args.epochs * ((len(xtr) + bs - 1) // bs)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=2e-3, total_steps=steps)
    for ep in range(args.epochs):
        model.train()
        perm = torch.randperm(len(xtr))
        tot = 0.0
        for i in range(0, len(xtr), bs):
            idx = perm[i:i + bs]
            x = C.random_shift(xtr[idx], 2)
            logits, _ = model(x)
            loss = F.cross_entropy(logits, ytr[idx], label_smoothing=0.05)
            opt.zero_grad(); loss.backward(); opt.step(); sched.step()
            tot += loss.item() * len(idx)
        acc = evaluate(model, xte, yte)
        print(f"epoch {ep + 1}/{args.epochs} loss {tot / len(xtr):.4f} test acc {acc:.4f} ({timer()} s)", flush=True)
    train_s = timer()
    acc = evaluate(model, xte, yte)
    folder = C.MODELS_DIR / NAME
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "classifier.onnx"
    C.export_onnx(model, (xte[:2],), path, ["image"], ["logits", "features"],
                  {"image": {0: "batch"}, "logits": {0: "batch"}, "features": {0: "batch"}})
    sess = C.ort_session(path)
    with torch.no_grad():
        lt, ft = model(xte[:64])
    lo, fo = sess.run(["logits", "features"], {"image": xte[:64].numpy()})
    parity = C.check_parity("classifier", {"logits": lo, "features": fo}, {"logits": lt.numpy(), "features": ft.numpy()})
    # accuracy through onnxruntime on the whole test split
    lo_all, _ = sess.run(None, {"image": xte.numpy()})
    ort_acc = float((lo_all.argmax(1) == yte.numpy()).mean())
    per_class = [float((lo_all.argmax(1)[yte.numpy() == c] == c).mean()) for c in range(10)]
    manifest = {
        "name": NAME,
        "family": "classifier",
        "version": 1,
        "task": "MNIST digit classification; used by tools/models/eval.py to score generated digits",
        "files": [C.file_entry(folder, "classifier.onnx")],
        "contract": {
            "graphs": {
                "classifier": {
                    "file": "classifier.onnx",
                    "inputs": {"image": {"dtype": "float32", "shape": ["batch", 1, 32, 32], "range": [0, 1]}},
                    "outputs": {
                        "logits": {"dtype": "float32", "shape": ["batch", 10]},
                        "features": {"dtype": "float32", "shape": ["batch", FEATURES],
                                     "note": "penultimate activations, used for the Fréchet distance"},
                    },
                }
            },
            "classes": [str(c) for c in range(10)],
        },
        "parameters": C.count_params(model),
        "training": {"command": "tools/models/run.sh classifier", "seed": args.seed, "epochs": args.epochs,
                     "augmentation": "random integer shifts of up to 2 pixels", "seconds": train_s,
                     "threads": torch.get_num_threads()},
        "data": C.data_source(__import__("pathlib").Path(args.mnist)),
        "eval": {"test_accuracy": round(ort_acc, 4), "test_accuracy_per_class": [round(a, 4) for a in per_class],
                 "test_images": int(len(xte)), "measured_with": "onnxruntime (Python), classifier.onnx"},
        "parity": {"max_abs_error": parity, "tolerance": 1e-4},
        "toolchain": C.toolchain(),
    }
    C.write_json(folder / "model.json", manifest)
    print(f"test accuracy {ort_acc:.4f}; wrote {folder}")


@torch.no_grad()
def evaluate(model, x, y) -> float:
    model.eval()
    logits, _ = model(x)
    return float((logits.argmax(1) == y).float().mean())


if __name__ == "__main__":
    main()
