"""The reader's package `blitz` holds only what the chapters use, and its imports run downward.

`blitz` is what a reader pip-installs in Colab: every module must be used by a
chapter (directly or through another blitz module), none may need the book's
documentation toolchain, and a lower layer never imports a higher one. The
layers below are the architecture of the package: a new module must be placed
in one of them.
"""
from __future__ import annotations

import ast
from pathlib import Path

import jupytext
import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "code" / "blitz"

#: Lower numbers are lower layers: helpers, then data/models/views, then training loops, then recipes.
LAYERS: dict[str, int] = {
    "smoke": 0, "device": 0, "batches": 0, "augment": 0, "schedule": 0, "timing": 0,
    "data": 1, "lenet": 1, "cnn": 1, "fast_nets": 1, "shapes": 1, "architecture": 1, "graph": 1,
    "figures": 1, "metrics": 1,
    "train": 2, "throughput": 2, "fast": 2, "ddp": 2, "ddp_check": 2,
    "recipes": 3,
}
#: Book tooling a reader never needs.
FORBIDDEN = {"nbformat", "nbclient", "jupytext", "sphinx", "myst_nb", "myst_parser", "yaml", "tools", "resource"}


def _modules() -> dict[str, Path]:
    return {p.stem: p for p in PACKAGE.glob("*.py") if p.stem != "__init__"}


def _imports(source: str) -> set[str]:
    """Top-level names of every module ``source`` imports (``blitz.x`` gives ``blitz.x``)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            if node.module == "blitz":
                found.update(f"blitz.{a.name}" for a in node.names)
    return found


def _blitz_imports(source: str) -> set[str]:
    return {name.split(".")[1] for name in _imports(source) if name.startswith("blitz.")}


def _code(*chapters: Path) -> str:
    """Every code cell of the chapters (MyST notebooks), IPython magics left out."""
    cells = [c.source for md in chapters for c in jupytext.read(md).cells if c.cell_type == "code"]
    return "\n".join(line for cell in cells for line in cell.splitlines() if not line.lstrip().startswith(("%", "!")))


def _reached(code: str) -> set[str]:
    """The blitz modules ``code`` imports, followed through the package's own imports."""
    reached, todo = set(), _blitz_imports(code)
    while todo:
        name = todo.pop()
        if name not in reached:
            reached.add(name)
            todo |= _blitz_imports(_modules()[name].read_text())
    return reached


def test_every_module_has_a_layer() -> None:
    assert set(_modules()) == set(LAYERS), "place each blitz module in LAYERS (and remove deleted ones)"


@pytest.mark.parametrize("name", sorted(LAYERS))
def test_imports_run_downward_and_need_no_book_tooling(name: str) -> None:
    source = _modules()[name].read_text()
    top = {n.split(".")[0] for n in _imports(source)}
    assert not top & FORBIDDEN, f"blitz.{name} imports book tooling: {sorted(top & FORBIDDEN)}"
    for other in _blitz_imports(source):
        assert LAYERS[other] <= LAYERS[name], f"blitz.{name} (layer {LAYERS[name]}) imports blitz.{other} " \
                                              f"(layer {LAYERS[other]}), a higher layer"


def _chapters() -> list[Path]:
    """Every notebook chapter: a MyST page whose front matter names a kernel (not the appendices)."""
    pages = [*ROOT.glob("book/*.md"), *ROOT.glob("book/gpu/*.md")]
    return [p for p in pages if p.read_text().startswith("---\n") and "kernelspec:" in p.read_text().split("\n---\n")[0]]


def test_every_module_serves_a_chapter() -> None:
    chapters = _chapters()
    unused = set(_modules()) - _reached(_code(*chapters))
    assert not unused, f"no chapter uses {sorted(unused)}: such code belongs in tools/ or nowhere"


def test_chapter_4_needs_neither_resource_nor_the_fast_gpu_code() -> None:
    code = _code(ROOT / "book" / "cifar10_cpu.md")
    assert "resource" not in {n.split(".")[0] for n in _imports(code)}  # absent on Windows
    reached = _reached(code)
    assert not reached & {"fast", "fast_nets"}, f"chapter 4 reaches the fast GPU recipe (blitz.fast, chapter 7): {sorted(reached)}"
