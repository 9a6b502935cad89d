#!/usr/bin/env bash
# On the offline CUDA machine (README, "GPU chapters"):  OUT=<dir> bash tools/gpu_run.sh [chapter ...]
# executes the GPU chapters into $OUT/book/ (log: $OUT/gpu_run.log). That machine has Python,
# torch and torchvision but no Jupyter and no network, and gets a copy of the working tree
# without .git plus .whl/ (the wheels, README) and data/cifar10-jpeg.tar.gz. Set BLITZ_COMMIT
# to the copy's commit; SKIP_INSTALL=1 uses the Python as it is; BENCH=1 also runs tools.bench gpu.
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
