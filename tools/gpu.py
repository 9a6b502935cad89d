"""GPU chapters: execute them on CUDA, store the notebooks with their provenance, check them.

Every ``book/gpu/<name>.md`` is a GPU chapter. The book renders its stored
notebook ``book/<name>.ipynb`` without executing it; book/_ext/book_gpu.py
shows the provenance (metadata key ``blitz_gpu``) in a note under the title.

    python -m tools.gpu [NAME ...]   on CUDA: execute the chapters into book/ (make gpu-outputs)
    python -m tools.gpu --pending    anywhere: pending notebooks, prose synced (make gpu-pending)
    python -m tools.gpu --check      anywhere: each chapter's state, exit 1 if one fails (make gpu-check)

A chapter is *ok*; *outdated* when package code it imports changed since the
run (the page says so; not a failure: the CUDA machine is rarely available);
*pending* until its first CUDA run; *stale* when its code cells differ from
the stored notebook's (fails: the page would show code that did not produce
its outputs); *unsynced* when only prose differs (fails; ``--pending`` fixes it).
"""
from __future__ import annotations

import argparse
import copy
import datetime as dt
import os
import platform
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import NamedTuple

import nbformat

from tools import deps

ROOT = Path(__file__).resolve().parents[1]
KEY = "blitz_gpu"  # notebook metadata key of the provenance
DATA_ARRAY = "cifar10-jpeg.npz"  # the JPEG copy of CIFAR-10 decoded into arrays (tools.cifar_jpeg)
PENDING_TEXT = "(measured on the GPU run)"
FAILING = ("stale", "unsynced")
TIMEOUT = 3600  # seconds per cell


class State(NamedTuple):
    name: str
    state: str  # ok, outdated, pending, stale or unsynced
    message: str
    changed: list[str]  # modules changed since the run (outdated)


def chapters(root: Path = ROOT) -> list[str]:
    """Names of the GPU chapters: every book/gpu/*.md."""
    return sorted(p.stem for p in (root / "book" / "gpu").glob("*.md"))


def notebook_path(root: Path, name: str) -> Path:
    return root / "book" / f"{name}.ipynb"


def source(root: Path, name: str) -> nbformat.NotebookNode:
    import jupytext

    return jupytext.read(root / "book" / "gpu" / f"{name}.md")


def codes(nb: nbformat.NotebookNode) -> list[str]:
    return [c.source for c in nb.cells if c.cell_type == "code"]


def module_digests(root: Path, nb: nbformat.NotebookNode) -> dict[str, str]:
    return deps.digests(codes(nb), root / "code" / "blitz")


_GLUE_ROLE = re.compile(r"\{glue(?::[a-z]*)?\}`[^`]*`")
_GLUE_BLOCK = re.compile(r"^(?P<fence>`{3,}|:{3,})\{glue(?::[a-z]*)?\}.*?^(?P=fence)[ \t]*$",
                         re.MULTILINE | re.DOTALL)


def without_glue(markdown: str) -> str:
    """Glue roles and directives replaced by a placeholder (a pending notebook has no glue data)."""
    markdown = _GLUE_BLOCK.sub(f"```{{note}}\nA figure goes here {PENDING_TEXT}.\n```", markdown)
    return _GLUE_ROLE.sub(f"*{PENDING_TEXT}*", markdown)


def _finish(nb: nbformat.NotebookNode, prov: dict) -> nbformat.NotebookNode:
    nb.metadata.pop("jupytext", None)
    nb.metadata[KEY] = prov
    for i, cell in enumerate(nb.cells):
        cell.id = f"cell-{i}"  # stable ids: writing an unchanged chapter again changes nothing
    return nb


def pending(src: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """The notebook of a chapter never run on CUDA: its code without outputs, no glue."""
    nb = copy.deepcopy(src)
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            cell.source = without_glue(cell.source)
    return _finish(nb, {"status": "pending"})


def synced(src: nbformat.NotebookNode, stored: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """The source's cells with the stored notebook's outputs and metadata (``jupytext --update``)."""
    from jupytext.combine import combine_inputs_with_outputs

    nb = combine_inputs_with_outputs(copy.deepcopy(src), copy.deepcopy(stored))
    return _finish(nb, stored.metadata[KEY])


def _command(*args: str) -> str | None:
    try:
        out = subprocess.run(args, capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip().splitlines()[0] if out.returncode == 0 and out.stdout.strip() else None


def data_copy(root: Path) -> str:
    """Which copy of CIFAR-10 the chapters will load (the loader's order)."""
    data = Path(os.environ.get("BLITZ_DATA") or root / "data")
    if (data / "cifar-10-batches-py").is_dir():
        return "official CIFAR-10 (torchvision files)"
    if (data / DATA_ARRAY).is_file():
        return f"JPEG copy of CIFAR-10 ({DATA_ARRAY}, {(data / DATA_ARRAY).stat().st_size:,} bytes)"
    return "none found"


def machine(root: Path) -> dict:
    """Facts about this run: GPU, driver, CUDA, torch, Python, date, data copy, commit."""
    import torch

    in_git = (root / ".git").exists()  # the CUDA machine gets a copy without .git: BLITZ_COMMIT
    commit = in_git and _command("git", "-C", str(root), "rev-parse", "HEAD")
    return {"gpu": torch.cuda.get_device_name(0),
            "driver": _command("nvidia-smi", "--query-gpu=driver_version", "--format=csv,noheader") or "unknown",
            "cuda": torch.version.cuda, "torch": torch.__version__, "python": platform.python_version(),
            "date": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
            "data": data_copy(root), "commit": commit or os.environ.get("BLITZ_COMMIT", "unknown")}


def run(root: Path, name: str, out: Path, facts: dict) -> Path:
    """Execute chapter ``name`` (cwd book/) and write ``out/<name>.ipynb`` with its provenance.

    ``facts`` describe the machine (:func:`machine`). If a cell fails outside the
    book, the partly executed notebook is left as ``<name>.failed.ipynb``.
    """
    from nbclient import NotebookClient

    src, start = source(root, name), time.perf_counter()
    nb = copy.deepcopy(src)
    out.mkdir(parents=True, exist_ok=True)
    try:
        NotebookClient(nb, kernel_name="python3", timeout=TIMEOUT, record_timing=False,
                       resources={"metadata": {"path": str(root / "book")}}).execute()
    except Exception:
        if out.resolve() != (root / "book").resolve():
            nbformat.write(nb, out / f"{name}.failed.ipynb")
        raise
    prov = {"status": "executed", **facts, "modules": module_digests(root, src),
            "seconds": round(time.perf_counter() - start, 1)}
    nbformat.write(_finish(nb, prov), out / f"{name}.ipynb")
    return out / f"{name}.ipynb"


def _cells(nb: nbformat.NotebookNode) -> list[tuple]:
    return [(c.cell_type, c.source, dict(c.metadata)) for c in nb.cells]


def state(root: Path, name: str) -> State:
    """Compare chapter ``name``'s stored notebook with its source and the package code."""
    path, src = notebook_path(root, name), source(root, name)
    if not path.is_file():
        return State(name, "unsynced", f"{name}: no book/{name}.ipynb: run `make gpu-pending`", [])
    nb = nbformat.read(path, as_version=4)
    prov = nb.metadata.get(KEY, {})
    status, commit = prov.get("status"), prov.get("commit", "unknown")[:12]
    if status not in ("executed", "pending"):
        return State(name, "unsynced", f"{name}: provenance status {status!r}: run `make gpu-pending`", [])
    if codes(nb) != codes(src):
        if status == "pending":
            return State(name, "unsynced", f"{name}: code differs from the source: run `make gpu-pending`", [])
        return State(name, "stale", f"{name}: code cells changed since the CUDA run (commit {commit}): "
                     "run `make gpu-outputs` on a CUDA machine", [])
    if _cells(pending(src) if status == "pending" else synced(src, nb)) != _cells(nb):
        return State(name, "unsynced", f"{name}: prose out of sync with book/gpu/{name}.md: "
                     "run `make gpu-pending` (outputs are kept)", [])
    if status == "pending":
        return State(name, "pending", f"{name}: not yet run on CUDA: run `make gpu-outputs` on a CUDA machine", [])
    changed = deps.changed(prov.get("modules", {}), module_digests(root, src))
    if changed:
        return State(name, "outdated", f"{name}: package code changed since the run (commit {commit}): "
                     f"{', '.join(changed)}; the page says so. Refresh with `make gpu-outputs` on CUDA", changed)
    return State(name, "ok", f"{name}: up to date (run on {prov.get('gpu')}, {prov.get('date')})", [])


def write_pending(root: Path, name: str) -> str:
    """``--pending`` for one chapter: a pending notebook, or prose synced into an executed one."""
    st, path = state(root, name), notebook_path(root, name)
    if st.state == "stale":  # real outputs are never discarded silently
        return f"{st.message} (or delete book/{name}.ipynb to make it pending)"
    stored = nbformat.read(path, as_version=4) if path.is_file() else None
    executed = stored is not None and stored.metadata.get(KEY, {}).get("status") == "executed"
    src = source(root, name)
    nbformat.write(synced(src, stored) if executed else pending(src), path)
    return f"{name}: {'prose synced, outputs kept' if executed else 'pending notebook written'}"


def main(argv: list[str] | None = None, root: Path = ROOT) -> int:
    p = argparse.ArgumentParser(prog="python -m tools.gpu", description=__doc__.split("\n\n")[0])
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--pending", action="store_true", help="write pending notebooks, sync prose")
    mode.add_argument("--check", action="store_true", help="print each chapter's state; exit 1 on a failing one")
    p.add_argument("--out", type=Path, help="folder for the executed notebooks (default: book/)")
    p.add_argument("names", nargs="*", help="chapters (default: every book/gpu/*.md)")
    a = p.parse_args(argv)
    names = a.names or chapters(root)
    if set(names) - set(chapters(root)):
        p.error(f"not GPU chapters: {', '.join(sorted(set(names) - set(chapters(root))))}")
    if a.check or a.pending:
        lines = [write_pending(root, n) if a.pending else state(root, n) for n in names]
        for line in lines:
            print(line if a.pending else f"{line.state:9} {line.message}")
        failing = [s for s in map(lambda n: state(root, n), names) if s.state in FAILING]
        return 1 if failing else 0
    import torch

    if not torch.cuda.is_available():
        print("error: CUDA is not available: GPU chapters are executed on a CUDA machine. Nothing "
              "was written (`make gpu-pending` and `make gpu-check` need no GPU).", file=sys.stderr)
        return 2
    facts = machine(root)
    for name in names:
        print(f"wrote {run(root, name, a.out or root / 'book', facts)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
