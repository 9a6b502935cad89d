#!/usr/bin/env bash
# Execute every GPU chapter on the offline CUDA build machine and leave the
# executed notebooks, with provenance, in $OUT/book/ (README, "GPU chapters").
#
# That machine has Python 3.12 with torch, torchvision and matplotlib but no
# Jupyter stack and no network. It receives the working tree plus two ignored
# paths, prepared here beforehand:
#   .whl/                       ../shared/tools/device-wheels, then
#                               pip download --no-deps --only-binary=:all: -d .whl myst-nb==1.4.0
#                               (the chapters call myst_nb.glue, which needs nothing else)
#   data/cifar10-jpeg.tar.gz    make data (the offline JPEG copy of CIFAR-10)
# and runs:   bash tools/gpu_run.sh
# Afterwards copy $OUT/book/*.ipynb into book/ here, run `make gpu-check` and commit.
#
# Environment: OUT (required, an empty folder that comes back), PYTHON
# (default python3), SKIP_INSTALL=1 to use the Python as it is (a machine
# that already has nbclient, jupytext and myst-nb), BENCH=1 to run
# `python -m blitz.bench gpu` (chapter 6's final recipe, five timed runs) after
# the chapters, into $OUT/bench_gpu.txt.
set -euo pipefail
: "${OUT:?set OUT to the folder that receives the executed notebooks}"
PYTHON=${PYTHON:-python3}
cd "$(dirname "$0")/.."
mkdir -p "$OUT/book"
exec > >(tee "$OUT/gpu_run.log") 2>&1

if [ "${SKIP_INSTALL:-0}" != 1 ]; then
  ls .whl/*.whl >/dev/null || { echo "error: no wheels in .whl/ (see the header of this script)"; exit 2; }
  "$PYTHON" -m pip install -q --upgrade --no-index --no-deps --no-compile \
    --no-cache-dir --target /tmp/site .whl/*.whl
  export PYTHONPATH=/tmp/site:$PWD/code PATH=/tmp/site/bin:$PATH
else
  export PYTHONPATH=$PWD/code${PYTHONPATH:+:$PYTHONPATH}
fi
export BLITZ_DATA=${BLITZ_DATA:-$PWD/data}
unset BLITZ_SMOKE  # the stored outputs are always the full run

nvidia-smi || true
"$PYTHON" - <<'PY'
import torch, nbclient, jupytext, myst_nb
print("torch", torch.__version__, "| CUDA", torch.version.cuda, "| available:", torch.cuda.is_available())
print("nbclient", nbclient.__version__, "| jupytext", jupytext.__version__, "| myst-nb", myst_nb.__version__)
PY

# Execute on CUDA into $OUT/book (refuses and writes nothing without CUDA; a
# failed chapter leaves <name>.failed.ipynb there), then check the results
# against the sources exactly as the tests will once they are committed.
# Arguments: chapter names (default: every GPU chapter that has a source).
start=$SECONDS
status=0
"$PYTHON" -m blitz.gpu_outputs --out "$OUT/book" "$@" || status=$?
echo "gpu_outputs exited with $status after $((SECONDS - start)) s"
for nb in "$OUT"/book/*.ipynb; do
  case "$nb" in *.failed.ipynb|"$OUT/book/*.ipynb") continue ;; esac
  cp "$nb" book/
done
"$PYTHON" -m blitz.gpu_outputs --check || echo "warning: gpu-check did not pass on the device (see above)"
if [ "${BENCH:-0}" = 1 ]; then
  "$PYTHON" -m blitz.bench gpu | tee "$OUT/bench_gpu.txt" || status=$?
fi
ls -l "$OUT/book"
exit "$status"
