"""GPU chapters: every ``book/gpu/<name>.md``, rendered from its stored notebook ``book/<name>.ipynb``.

    python -m tools.gpu [NAME ...]  on CUDA: execute them into book/ (make gpu-outputs)
    python -m tools.gpu --pending   anywhere: pending notebooks, prose synced (make gpu-pending)
    python -m tools.gpu --check     anywhere: each chapter's state, exit 1 if one fails (make gpu-check)

A stored notebook carries its provenance in its metadata (``blitz_gpu``),
which book/_ext/book_gpu.py shows on the page. Its state is ok; *outdated*
when package code it imports changed since the run (shown on the page, not a
failure); *pending* before its first CUDA run; *stale* when its code cells
differ from the source's (fails); *unsynced* when only prose differs (fails;
``--pending`` fixes it, outputs kept).
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
KEY = "blitz_gpu"
PENDING_TEXT = "(measured on the GPU run)"
FAILING = ("stale", "unsynced")


class State(NamedTuple):
    name: str
    state: str  # ok, outdated, pending, stale or unsynced
    message: str
    changed: list[str]  # modules changed since the run, when outdated


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


def without_glue(markdown: str) -> str:
    """Glue roles and directives replaced by a placeholder: a pending notebook has no glue data."""
    block = r"^(?P<f>`{3,}|:{3,})\{glue(?::[a-z]*)?\}.*?^(?P=f)[ \t]*$"
    markdown = re.sub(block, f"```{{note}}\nA figure goes here {PENDING_TEXT}.\n```", markdown, flags=re.M | re.S)
    return re.sub(r"\{glue(?::[a-z]*)?\}`[^`]*`", f"*{PENDING_TEXT}*", markdown)


def _store(nb: nbformat.NotebookNode, prov: dict) -> nbformat.NotebookNode:
    nb.metadata.pop("jupytext", None)
    nb.metadata[KEY] = prov
    for i, cell in enumerate(nb.cells):
        cell.id = f"cell-{i}"  # stable ids: storing an unchanged chapter again changes nothing
    return nb


def pending(src: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """The notebook of a chapter not yet run on CUDA: its code without outputs, no glue."""
    nb = copy.deepcopy(src)
    for cell in nb.cells:
        cell.source = without_glue(cell.source) if cell.cell_type == "markdown" else cell.source
    return _store(nb, {"status": "pending"})


def synced(src: nbformat.NotebookNode, stored: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """The source's cells with the stored notebook's outputs and metadata (``jupytext --update``)."""
    from jupytext.combine import combine_inputs_with_outputs

    return _store(combine_inputs_with_outputs(copy.deepcopy(src), copy.deepcopy(stored)), stored.metadata[KEY])


def _first_line(*command: str) -> str | None:
    try:
        out = subprocess.run(command, capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip().splitlines()[0] if out.returncode == 0 and out.stdout.strip() else None


def machine(root: Path) -> dict:
    """This CUDA run's facts: GPU, driver, versions, date, data copy, commit."""
    import torch

    from blitz.data import ARRAY_FILE, OFFICIAL_FOLDER  # the loader's file names, in the loader's order

    data = Path(os.environ.get("BLITZ_DATA") or root / "data")
    copy_used = ("official CIFAR-10 (torchvision files)" if (data / OFFICIAL_FOLDER).is_dir()
                 else f"JPEG copy of CIFAR-10 ({ARRAY_FILE})" if (data / ARRAY_FILE).is_file() else "none found")
    commit = (root / ".git").exists() and _first_line("git", "-C", str(root), "rev-parse", "HEAD")
    return {"gpu": torch.cuda.get_device_name(0), "cuda": torch.version.cuda,
            "driver": _first_line("nvidia-smi", "--query-gpu=driver_version", "--format=csv,noheader") or "unknown",
            "torch": torch.__version__, "python": platform.python_version(),
            "date": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"), "data": copy_used,
            "commit": commit or os.environ.get("BLITZ_COMMIT", "unknown")}  # no .git on the CUDA machine


def run(root: Path, name: str, out: Path, facts: dict) -> Path:
    """Execute chapter ``name`` (cwd book/) into ``out/<name>.ipynb``, with ``facts`` (:func:`machine`)."""
    from nbclient import NotebookClient

    src, start = source(root, name), time.perf_counter()
    nb = copy.deepcopy(src)
    NotebookClient(nb, kernel_name="python3", timeout=3600, record_timing=False,
                   resources={"metadata": {"path": str(root / "book")}}).execute()
    prov = {"status": "executed", **facts, "modules": deps.digests(codes(src), root / "code" / "blitz"),
            "seconds": round(time.perf_counter() - start, 1)}
    out.mkdir(parents=True, exist_ok=True)
    nbformat.write(_store(nb, prov), out / f"{name}.ipynb")
    return out / f"{name}.ipynb"


def provenance(root: Path, name: str) -> dict:
    """The provenance stored in chapter ``name``'s notebook (``{}`` when there is no notebook yet)."""
    path = notebook_path(root, name)
    return nbformat.read(path, as_version=4).metadata.get(KEY, {}) if path.is_file() else {}


def state(root: Path, name: str) -> State:
    """Compare chapter ``name``'s stored notebook with its source and the package code."""
    path, src = notebook_path(root, name), source(root, name)
    nb = nbformat.read(path, as_version=4) if path.is_file() else None
    prov = nb.metadata.get(KEY, {}) if nb else {}
    status, commit = prov.get("status"), prov.get("commit", "unknown")[:12]
    if status not in ("executed", "pending"):
        return State(name, "unsynced", f"{name}: no notebook with provenance: run `make gpu-pending`", [])
    if codes(nb) != codes(src) and status == "executed":
        return State(name, "stale", f"{name}: code cells changed since the CUDA run (commit {commit}): "
                     "run `make gpu-outputs` on a CUDA machine", [])
    cells = [(c.cell_type, c.source, c.metadata) for c in nb.cells]
    expected = pending(src) if status == "pending" else synced(src, nb)
    if [(c.cell_type, c.source, c.metadata) for c in expected.cells] != cells:
        return State(name, "unsynced", f"{name}: out of sync with book/gpu/{name}.md: run `make gpu-pending`", [])
    if status == "pending":
        return State(name, "pending", f"{name}: not yet run on CUDA: run `make gpu-outputs` on a CUDA machine", [])
    changed = deps.changed(prov.get("modules", {}), deps.digests(codes(src), root / "code" / "blitz"))
    if changed:
        return State(name, "outdated", f"{name}: package code changed since the run (commit {commit}): "
                     f"{', '.join(changed)}; the page says so", changed)
    return State(name, "ok", f"{name}: up to date (run on a {prov.get('gpu')}, {prov.get('date')})", [])


def write_pending(root: Path, name: str) -> str:
    """A pending notebook, or the prose synced into an executed one; never discards outputs."""
    st, path = state(root, name), notebook_path(root, name)
    if st.state == "stale":
        return f"{st.message} (or delete book/{name}.ipynb to make it pending)"
    stored = nbformat.read(path, as_version=4) if path.is_file() else None
    executed = stored is not None and stored.metadata.get(KEY, {}).get("status") == "executed"
    nbformat.write(synced(source(root, name), stored) if executed else pending(source(root, name)), path)
    return f"{name}: {'prose synced, outputs kept' if executed else 'pending notebook written'}"


def main(argv: list[str] | None = None, root: Path = ROOT) -> int:
    p = argparse.ArgumentParser(prog="python -m tools.gpu", description=__doc__.split("\n")[0])
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--pending", action="store_true", help="write pending notebooks, sync prose")
    mode.add_argument("--check", action="store_true", help="print each chapter's state; exit 1 if one fails")
    p.add_argument("--out", type=Path, help="folder for the executed notebooks (default: book/)")
    p.add_argument("names", nargs="*", help="chapters (default: all)")
    a = p.parse_args(argv)
    if set(a.names) - set(chapters(root)):
        p.error(f"not GPU chapters: {' '.join(sorted(set(a.names) - set(chapters(root))))}")
    names = a.names or chapters(root)
    for name in names if a.pending else []:
        print(write_pending(root, name))
    if a.pending or a.check:
        states = [state(root, n) for n in names]
        for s in states if a.check else []:
            print(f"{s.state:9} {s.message}")
        return int(any(s.state in FAILING for s in states))
    import torch

    if not torch.cuda.is_available():
        print("error: no CUDA here, and GPU chapters are executed on CUDA. Nothing was written "
              "(`make gpu-pending` and `make gpu-check` need no GPU).", file=sys.stderr)
        return 2
    facts = machine(root)
    for name in names:
        print(f"wrote {run(root, name, a.out or root / 'book', facts)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
