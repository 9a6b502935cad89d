#!/usr/bin/env bash
# Execute the GPU chapters on the offline CUDA machine (README, "GPU chapters"):
#   OUT=<folder that comes back> bash tools/gpu_run.sh [chapter ...]
# leaves book/<name>.ipynb, with provenance, in $OUT/book/ (a failed chapter:
# <name>.failed.ipynb) and the log in $OUT/gpu_run.log. Copy the notebooks into
# book/ here, run `make gpu-check` and commit.
#
# That machine has Python 3.12, torch, torchvision and matplotlib, but no
# Jupyter and no network, and receives a copy of the working tree without .git
# plus two ignored paths: .whl/ (../shared/tools/device-wheels, then
# `pip download --no-deps --only-binary=:all: -d .whl myst-nb==1.4.0`) and
# data/cifar10-jpeg.tar.gz (make data). Set BLITZ_COMMIT to the commit the copy
# was made from (git rev-parse HEAD): the provenance records it.
# SKIP_INSTALL=1 uses the Python as it is; BENCH=1 then runs `python -m tools.bench gpu`.
set -euo pipefail
: "${OUT:?set OUT to the folder that receives the executed notebooks}"
PYTHON=${PYTHON:-python3}
cd "$(dirname "$0")/.."
mkdir -p "$OUT/book"
exec > >(tee "$OUT/gpu_run.log") 2>&1

if [ "${SKIP_INSTALL:-0}" != 1 ]; then
  "$PYTHON" -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --target /tmp/site .whl/*.whl
  export PYTHONPATH=/tmp/site PATH=/tmp/site/bin:$PATH
fi
export PYTHONPATH=$PWD:$PWD/code${PYTHONPATH:+:$PYTHONPATH}  # tools, blitz
export BLITZ_DATA=${BLITZ_DATA:-$PWD/data}
unset BLITZ_SMOKE  # the stored outputs are always the full run
nvidia-smi || true

"$PYTHON" -m tools.cifar_jpeg data/cifar10-jpeg.tar.gz "$BLITZ_DATA"  # -> cifar10-jpeg.npz
"$PYTHON" -m tools.gpu --out "$OUT/book" "$@"
if [ "${BENCH:-0}" = 1 ]; then
  "$PYTHON" -m tools.bench gpu | tee "$OUT/bench_gpu.txt"
fi
