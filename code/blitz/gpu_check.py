"""Is each GPU chapter's stored notebook up to date with its source and the package?

``make gpu-check`` and the tests call :func:`check` for every chapter of
``blitz.gpu_notebooks.GPU_CHAPTERS``. A stored notebook is *stale* when the
chapter's code cells, or the blitz code they import, changed since the CUDA
run (only a CUDA machine can fix that); it is *out of sync* when something a
CPU can fix differs (prose, banner, a pending notebook's code).

Introduced in {ref}`ch-gpu`.
"""
from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

import nbformat

from blitz import gpu_notebooks as g

#: States that fail ``make gpu-check`` and the tests.
FAILING = ("stale", "out-of-sync", "test-only")


class Verdict(NamedTuple):
    """One chapter's state: ok, pending, missing (no source yet), stale (needs a GPU run),
    out-of-sync (fixed without a GPU) or test-only (a CPU test run, never in the book)."""

    name: str
    state: str
    message: str


def _cells(nb: nbformat.NotebookNode) -> list[tuple]:
    return [(c.cell_type, c.source, dict(c.metadata)) for c in nb.cells]


def check(name: str, root: Path) -> Verdict:
    """Compare chapter ``name``'s stored notebook with its source and the package code."""
    src, nbp = g.source_path(name, root), g.notebook_path(name, root)
    if not src.is_file():
        if nbp.is_file():
            return Verdict(name, "out-of-sync", f"{nbp.relative_to(root)} is stored but its source {src.relative_to(root)} is missing")
        return Verdict(name, "missing", f"GPU chapter {name!r} has no source yet ({src.relative_to(root)})")
    if not nbp.is_file():
        return Verdict(name, "out-of-sync", f"{nbp.relative_to(root)} is missing: run `make gpu-pending` (or `{g.REFRESH}` on CUDA)")
    source, stored = g.read_source(src), nbformat.read(nbp, as_version=4)
    prov = stored.metadata.get(g.META_KEY, {})
    status = prov.get("status")
    digest, _ = g.code_hash(g.code_cells(source), root / "code" / g.PACKAGE)
    if status not in ("executed", "pending", "test-cpu"):
        return Verdict(name, "out-of-sync", f"{nbp.relative_to(root)} has provenance status {status!r}; "
                       "the book takes only CUDA runs (executed) or pending notebooks")
    if g.code_cells(stored) != g.code_cells(source):
        if status == "pending":
            return Verdict(name, "out-of-sync", f"the pending notebook of {name!r} does not match its source's code: run `make gpu-pending`")
        return Verdict(name, "stale", f"GPU chapter {name!r} is stale: its code cells changed since the CUDA run. "
                       f"Run `{g.REFRESH}` on a CUDA machine")
    if status != "pending" and prov.get("code_hash") != digest:
        return Verdict(name, "stale", f"GPU chapter {name!r} is stale: the blitz code it imports changed since the "
                       f"CUDA run ({', '.join(prov.get('hashed_modules', []))}). Run `{g.REFRESH}` on a CUDA machine")
    expected = g.assemble(source, prov, outputs=None if status == "pending" else stored)
    if _cells(expected) != _cells(stored):
        return Verdict(name, "out-of-sync", f"the prose or banner of {nbp.relative_to(root)} differs from {src.relative_to(root)}: "
                       "run `make gpu-pending` (no GPU needed; outputs are kept)")
    if status == "pending":
        return Verdict(name, "pending", f"{name!r} is pending: its outputs are not yet produced; run `{g.REFRESH}` on a CUDA machine")
    if status == "test-cpu":
        return Verdict(name, "test-only", f"{nbp.relative_to(root)} was executed on the CPU for a test: "
                       f"never in the book; run `{g.REFRESH}` on a CUDA machine")
    return Verdict(name, "ok", f"{name!r} is up to date (run on {prov.get('gpu')}, {prov.get('date')})")
