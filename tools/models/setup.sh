#!/usr/bin/env bash
# Installs the pinned Python toolchain for tools/models.
#   PyTorch, ONNX, NumPy, SciPy, Pillow: Debian bookworm packages (CPU PyTorch 1.13, no CUDA wheels).
#   fluidsynth + fluid-soundfont-gm (FluidR3_GM.sf2): render the audio models' notes (nextx_models/audio_data.py).
#   r-base-core (Rscript + R's datasets package), python3-statsmodels + python3-pandas: real series bundled in those
#   packages, the chronos model's training corpus (nextx_models/ts_data.py).
#   onnxruntime (parity checks and quality evaluation) and sktime (only its bundled dataset files are read): PyPI,
#   into tools/models/.venv.
# The venv sees the Debian packages (--system-site-packages) and uses /usr/bin/python3.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
$SUDO apt-get update
$SUDO apt-get install -y --no-install-recommends \
  python3-torch=1.13.1+dfsg-4 \
  python3-onnx=1.12.0-2+b4 \
  python3-numpy=1:1.24.2-1+deb12u1 \
  python3-scipy=1.10.1-2 \
  python3-pil \
  python3-venv \
  fluidsynth=2.3.1-2 \
  fluid-soundfont-gm=3.1-5.3 \
  r-base-core=4.2.2.20221110-2 \
  python3-statsmodels=0.13.5+dfsg-7 \
  python3-pandas=1.5.3+dfsg-2
/usr/bin/python3 -m venv --system-site-packages "$here/.venv"
"$here/.venv/bin/pip" install --no-cache-dir -r "$here/requirements.txt"
"$here/.venv/bin/python" -c "import torch, onnx, onnxruntime; print('torch', torch.__version__, 'onnx', onnx.__version__, 'onnxruntime', onnxruntime.__version__)"
