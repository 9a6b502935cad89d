"""GPU chapters: which they are, what their outputs depend on, and their provenance.

A GPU chapter's source is ``book/gpu/<name>.md``; its executed notebook,
stored in the repository and rendered by ``jb build`` without execution, is
``book/<name>.ipynb``. The notebook's metadata (key ``blitz_gpu``) records
where its outputs came from and a hash of what produced them: the chapter's
code cells plus the source of every ``blitz`` module they import, directly or
through other ``blitz`` modules. Prose is not hashed, so editing it never
calls for a new GPU run. ``blitz.gpu_outputs`` executes and writes these
notebooks; ``blitz.gpu_check`` checks them.

Introduced in {ref}`ch-gpu`.
"""
from __future__ import annotations

import ast
import hashlib
import re
from pathlib import Path

import nbformat

#: The GPU chapters, by name: the one list every tool and test reads.
GPU_CHAPTERS: tuple[str, ...] = ("training_on_gpu", "going_fast")
#: Metadata key of the provenance in a stored notebook.
META_KEY = "blitz_gpu"
#: Tag of the banner cell that says where the outputs came from.
BANNER_TAG = "gpu-provenance"
PACKAGE = "blitz"
REFRESH = "make gpu-outputs"
PENDING_TEXT = "(measured on the GPU run)"


def repo_root() -> Path:
    """The repository that holds this package (``code/blitz`` -> two levels up)."""
    return Path(__file__).resolve().parents[2]


def source_path(name: str, root: Path | None = None) -> Path:
    """``book/gpu/<name>.md``: the chapter as written."""
    return (root or repo_root()) / "book" / "gpu" / f"{name}.md"


def notebook_path(name: str, root: Path | None = None) -> Path:
    """``book/<name>.ipynb``: the stored notebook the book renders."""
    return (root or repo_root()) / "book" / f"{name}.ipynb"


def read_source(path: Path) -> nbformat.NotebookNode:
    """The chapter source (MyST Markdown) as a notebook, via jupytext."""
    import jupytext  # imported here: only the tools need it, not the chapters

    if not path.is_file():
        raise FileNotFoundError(f"GPU chapter source {path} does not exist")
    return jupytext.read(path)


def code_cells(nb: nbformat.NotebookNode) -> list[str]:
    """The source of every code cell, in order."""
    return [c.source for c in nb.cells if c.cell_type == "code"]


def _imported_blitz(code: str) -> set[str]:
    """Names of the blitz modules ``code`` imports (``blitz``, ``blitz.x``)."""
    found: set[str] = set()
    code = "\n".join(line for line in code.splitlines() if not line.lstrip().startswith(("%", "!")))
    for node in ast.walk(ast.parse(code)):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.split(".")[0] == PACKAGE)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0 \
                and node.module.split(".")[0] == PACKAGE:
            found.add(node.module)
            found.update(f"{node.module}.{a.name}" for a in node.names)
    return found


def imported_modules(codes: list[str], package_dir: Path) -> list[Path]:
    """Files of every blitz module the code imports, followed transitively, sorted."""
    files: set[Path] = set()
    todo = set().union(*(_imported_blitz(c) for c in codes)) if codes else set()
    while todo:
        parts = todo.pop().split(".")
        if parts[0] != PACKAGE:
            continue
        for depth in range(1, len(parts) + 1):  # blitz, blitz.x: importing runs every parent
            sub = package_dir.joinpath(*parts[1:depth])
            for f in (sub / "__init__.py", sub.with_suffix(".py")):
                if f.is_file() and f not in files:
                    files.add(f)
                    todo |= _imported_blitz(f.read_text())
    return sorted(files)


def code_hash(codes: list[str], package_dir: Path) -> tuple[str, list[str]]:
    """SHA-256 of the code cells and the imported blitz modules, and those modules' names."""
    h = hashlib.sha256()
    for code in codes:
        h.update(b"cell\0" + code.replace("\r\n", "\n").encode() + b"\0")
    names = []
    for f in imported_modules(codes, package_dir):
        name = f"{PACKAGE}/{f.relative_to(package_dir).as_posix()}"
        names.append(name)
        h.update(f"module {name}\0".encode() + f.read_text().replace("\r\n", "\n").encode() + b"\0")
    return h.hexdigest(), names


def banner(prov: dict) -> str:
    """The note shown near the top of a GPU page, written from its provenance."""
    status = prov.get("status")
    if status == "pending":
        return (":::{warning}\n**Outputs not yet produced on a CUDA machine.** This page shows the "
                "chapter's code without its results; numbers and figures read "
                f"*{PENDING_TEXT}*. Run `{REFRESH}` on a machine with CUDA to produce them.\n:::")
    where = "the **CPU**, for a test only" if status == "test-cpu" else f"a **{prov['gpu']}** GPU"
    return (":::{admonition} Where these outputs come from\n:class: note\n"
            f"Executed on {where} on {prov['date']} with torch {prov['torch']} "
            f"(CUDA {prov['cuda']}, driver {prov['driver']}), Python {prov['python']}, "
            f"data: {prov['data']}. Code hash `{prov['code_hash'][:12]}`; refresh with "
            f"`{REFRESH}` on a CUDA machine.\n:::")


_GLUE_ROLE = re.compile(r"\{glue(?::[a-z]*)?\}`[^`]*`")
_GLUE_BLOCK = re.compile(r"^(?P<fence>`{3,}|:{3,})\{glue(?::[a-z]*)?\}.*?^(?P=fence)[ \t]*$",
                         re.MULTILINE | re.DOTALL)


def without_glue(markdown: str) -> str:
    """Markdown with glue roles and glue directives replaced by an honest placeholder.

    A pending notebook has no outputs, so a glue key would be missing (a warning).
    """
    markdown = _GLUE_BLOCK.sub(f"```{{note}}\nA figure goes here {PENDING_TEXT}.\n```", markdown)
    return _GLUE_ROLE.sub(f"*{PENDING_TEXT}*", markdown)


def assemble(source: nbformat.NotebookNode, prov: dict,
             outputs: nbformat.NotebookNode | None = None) -> nbformat.NotebookNode:
    """The notebook to store: the source's cells, its banner, and the outputs of ``outputs``.

    ``outputs`` is an executed notebook with the same code cells (or None for
    a pending notebook, whose glue is replaced by :func:`without_glue`).
    """
    nb = nbformat.v4.new_notebook(metadata={k: v for k, v in source.metadata.items() if k != "jupytext"})
    nb.metadata[META_KEY] = dict(prov)
    executed = [c for c in outputs.cells if c.cell_type == "code"] if outputs is not None else []
    ran = iter(executed)
    for cell in source.cells:
        if cell.cell_type == "code":
            new = nbformat.v4.new_code_cell(cell.source, metadata=dict(cell.metadata))
            if outputs is not None:
                done = next(ran)
                if done.source != cell.source:
                    raise ValueError("the executed notebook's code cells differ from the source's")
                new.outputs, new.execution_count = done.outputs, done.execution_count
        else:
            text = cell.source if outputs is not None else without_glue(cell.source)
            new = nbformat.v4.new_markdown_cell(text, metadata=dict(cell.metadata))
        nb.cells.append(new)
    if outputs is not None and len(executed) != len(code_cells(source)):
        raise ValueError("the executed notebook has a different number of code cells")
    first = next((i for i, c in enumerate(nb.cells) if c.cell_type == "markdown"), -1)
    nb.cells.insert(first + 1, nbformat.v4.new_markdown_cell(banner(prov), metadata={"tags": [BANNER_TAG]}))
    for i, cell in enumerate(nb.cells):
        cell.id = f"cell-{i}"  # stable ids: re-assembling an unchanged chapter changes nothing
    return nb
