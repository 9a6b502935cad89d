"""Execute, assemble and check the stored notebooks of the GPU chapters.

    python -m blitz.gpu_outputs            # on a CUDA machine: execute every GPU chapter (make gpu-outputs)
    python -m blitz.gpu_outputs --pending  # anywhere: pending notebooks, prose edits synced (make gpu-pending)
    python -m blitz.gpu_outputs --check    # anywhere: is every stored notebook up to date? (make gpu-check)

Without CUDA, executing refuses and writes nothing. ``--cpu-test-run DIR``
exists for the tests only: it executes on the CPU, marks the provenance
``test-cpu`` and refuses to write inside ``book/``.

Introduced in {ref}`ch-gpu`.
"""
from __future__ import annotations

import argparse
import datetime as dt
import platform
import subprocess
import sys
import time
from pathlib import Path

import nbformat

from blitz import gpu_notebooks as g
from blitz.gpu_check import FAILING, check


class NoCudaError(RuntimeError):
    """Executing a GPU chapter was asked for on a machine without CUDA."""


def _driver() -> str:
    try:
        out = subprocess.run(["nvidia-smi", "--query-gpu=driver_version", "--format=csv,noheader"],
                             capture_output=True, text=True, timeout=30)
        return out.stdout.strip().splitlines()[0] if out.returncode == 0 and out.stdout.strip() else "unknown"
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def _data_copy() -> str:
    """Which copy of CIFAR-10 a chapter will load (in blitz.data's order), with the array file's size."""
    from blitz import data

    root = data.data_dir()
    if (root / data.OFFICIAL_FOLDER).is_dir():
        return "official CIFAR-10 (torchvision files)"
    array = root / data.ARRAY_FILE
    if not array.is_file():
        return "none found (torchvision download)"
    return f"JPEG copy {array.name}, {array.stat().st_size:,} bytes"


def provenance(status: str, codes: list[str], package_dir: Path) -> dict:
    """Provenance of a run now on this machine (``status``: executed, test-cpu or pending)."""
    if status == "pending":  # no outputs, so nothing to hash: the check compares code cells
        return {"status": status}
    digest, modules = g.code_hash(codes, package_dir)
    prov = {"status": status, "code_hash": digest, "hashed_modules": modules}
    import torch

    cuda = torch.cuda.is_available()
    return prov | {
        "gpu": torch.cuda.get_device_name(0) if cuda else "none (CPU)",
        "driver": _driver() if cuda else "none", "cuda": torch.version.cuda or "none",
        "torch": torch.__version__, "python": platform.python_version(),
        "date": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "data": _data_copy(),
    }


def execute(source: nbformat.NotebookNode, cwd: Path, timeout: int = 1800) -> nbformat.NotebookNode:
    """Run every cell of ``source`` in place, in a fresh python3 kernel (nbclient); return it."""
    from nbclient import NotebookClient

    NotebookClient(source, kernel_name="python3", timeout=timeout,
                   resources={"metadata": {"path": str(cwd)}}).execute()
    return source


def run_chapter(name: str, root: Path, out_dir: Path, status: str = "executed") -> Path:
    """Execute one chapter and write its notebook with provenance into ``out_dir``.

    If a cell fails and ``out_dir`` is not the book, the partly executed
    notebook is kept there as ``<name>.failed.ipynb`` for diagnosis.
    """
    from nbclient.exceptions import CellExecutionError

    source = g.read_source(g.source_path(name, root))
    start = time.perf_counter()
    nb = nbformat.from_dict(source)
    try:
        done = execute(nb, cwd=root / "book")
    except CellExecutionError:
        if out_dir.resolve() != (root / "book").resolve():
            out_dir.mkdir(parents=True, exist_ok=True)
            nbformat.write(nb, out_dir / f"{name}.failed.ipynb")
        raise
    prov = provenance(status, g.code_cells(source), root / "code" / g.PACKAGE)
    prov["seconds"] = round(time.perf_counter() - start, 1)
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"{name}.ipynb"
    nbformat.write(g.assemble(source, prov, outputs=done), path)
    return path


def execute_all(root: Path, names: tuple[str, ...] | None = None, out_dir: Path | None = None) -> list[Path]:
    """Execute GPU chapters on CUDA (``make gpu-outputs``); refuse without CUDA.

    ``names=None`` means every chapter of GPU_CHAPTERS that has a source (the
    others are reported and skipped); a name given explicitly must have one.
    """
    import torch

    if not torch.cuda.is_available():
        raise NoCudaError("CUDA is not available on this machine: GPU chapters must be executed on one. "
                          "Nothing was written. (Without a GPU, `make gpu-pending` refreshes the "
                          "pending notebooks and `make gpu-check` checks them.)")
    chosen = names or g.GPU_CHAPTERS
    missing = [n for n in chosen if not g.source_path(n, root).is_file()]
    where = ", ".join(str(g.source_path(n, root).relative_to(root)) for n in missing)
    if missing and (names or len(missing) == len(chosen)):
        raise FileNotFoundError(f"no source for GPU chapter(s) {', '.join(missing)} (expected {where})")
    if missing:
        print(f"skipped, no source yet: {', '.join(missing)} (expected {where})", file=sys.stderr)
    return [run_chapter(n, root, out_dir or root / "book") for n in chosen if n not in missing]


def cpu_test_run(name: str, root: Path, out_dir: Path) -> Path:
    """Execute on the CPU for the tests only; never into the book."""
    book = (root / "book").resolve()
    if out_dir.resolve() == book or book in out_dir.resolve().parents:
        raise ValueError(f"a CPU test run must not write into {book}")
    return run_chapter(name, root, out_dir, status="test-cpu")


def _stored(name: str, root: Path) -> nbformat.NotebookNode:
    return nbformat.read(g.notebook_path(name, root), as_version=4)


def write_pending(name: str, root: Path, discard_outputs: bool = False) -> str:
    """Write a pending notebook, or sync prose into an executed one whose code still matches."""
    source = g.read_source(g.source_path(name, root))
    path = g.notebook_path(name, root)
    stored = _stored(name, root) if path.is_file() else None
    prov = stored.metadata.get(g.META_KEY, {}) if stored else {}
    if prov.get("status") in ("executed", "test-cpu") and not discard_outputs:
        verdict = check(name, root)
        if verdict.state == "stale":
            raise RuntimeError(f"{verdict.message} (or replace it by a pending notebook, discarding "
                               "its outputs: python -m blitz.gpu_outputs --pending --discard-outputs)")
        nbformat.write(g.assemble(source, prov, outputs=stored), path)
        return f"{name}: executed outputs kept, prose synced"
    pending = provenance("pending", g.code_cells(source), root / "code" / g.PACKAGE)
    nbformat.write(g.assemble(source, pending), path)
    return f"{name}: pending notebook written ({path.relative_to(root)})"


def main(argv: list[str] | None = None) -> int:
    """Command line: execute on CUDA (default), --pending or --check."""
    p = argparse.ArgumentParser(prog="python -m blitz.gpu_outputs", description=__doc__.split("\n\n")[0])
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--pending", action="store_true", help="write pending notebooks / sync prose")
    mode.add_argument("--check", action="store_true", help="exit 1 if a stored notebook is stale or out of sync")
    mode.add_argument("--cpu-test-run", metavar="DIR", help="tests only: execute on the CPU into DIR")
    p.add_argument("--discard-outputs", action="store_true", help="with --pending: replace stale executed notebooks")
    p.add_argument("--root", type=Path, default=g.repo_root(), help="repository root (default: this package's)")
    p.add_argument("--out", type=Path, help="where to write executed notebooks (default: ROOT/book)")
    p.add_argument("names", nargs="*", help=f"chapters (default: all of {', '.join(g.GPU_CHAPTERS)})")
    a = p.parse_args(argv)
    names = tuple(a.names) or g.GPU_CHAPTERS
    unknown = [n for n in names if n not in g.GPU_CHAPTERS and not a.cpu_test_run]
    if unknown:
        p.error(f"not GPU chapters: {', '.join(unknown)} (the list is blitz.gpu_notebooks.GPU_CHAPTERS)")
    if a.check:
        verdicts = [check(n, a.root) for n in names]
        for v in verdicts:
            print(f"{v.state:12} {v.message}")
        return 1 if any(v.state in FAILING for v in verdicts) else 0
    if a.pending:
        for n in names:
            if not g.source_path(n, a.root).is_file():
                print(f"{n}: skipped, no source yet ({g.source_path(n, a.root).relative_to(a.root)})")
                continue
            print(write_pending(n, a.root, a.discard_outputs))
        return 0
    from nbclient.exceptions import CellExecutionError

    try:
        if a.cpu_test_run:
            paths = [cpu_test_run(n, a.root, Path(a.cpu_test_run)) for n in names]
        else:
            paths = execute_all(a.root, tuple(a.names) or None, a.out)
    except (NoCudaError, FileNotFoundError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except CellExecutionError as exc:
        print(f"error: a cell failed; nothing more was written:\n{exc}", file=sys.stderr)
        return 1
    for path in paths:
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
