"""Generate the runnable notebooks (notebooks/<chapter>.ipynb) that Colab and Binder open.

Colab cannot run a MyST Markdown file, so every chapter gets an .ipynb made
from its source: ``book/<name>.md`` through jupytext, or, for a GPU chapter
whose executed notebook is stored as ``book/<name>.ipynb``, that notebook with
its CUDA outputs kept. The chapters are read from ``_toc.yml``, so a new
chapter gets a notebook without any edit here. Each notebook starts with one
install cell (:func:`install_cell`); its other code cells are the chapter's,
unchanged (``tests/test_notebooks.py`` checks that).

Run ``make notebooks`` (``python -m tools.notebooks``) after editing a chapter.
"""
from __future__ import annotations

import argparse
import re
from pathlib import Path
from typing import Any

import jupytext
import nbformat
import yaml

from tools import gpu

#: The folder, relative to the repository root, that holds the generated notebooks.
NOTEBOOK_DIR = "notebooks"

#: Modules a chapter may import that are not dependencies of ``blitz``, and the
#: pip requirement that provides each (Colab lacks them).
EXTRA_REQUIREMENTS = {"myst_nb": "myst-nb>=1.1"}

_IMPORT = re.compile(r"^\s*(?:from|import)\s+([A-Za-z_][\w]*)", re.MULTILINE)


def repository(root: Path) -> tuple[str, str]:
    """Return (url, branch) from ``_config.yml`` ``repository:``, the one place they are set."""
    config = yaml.safe_load((root / "_config.yml").read_text(encoding="utf-8"))
    repo = config.get("repository") or {}
    if "url" not in repo:
        raise ValueError(f"{root / '_config.yml'} has no repository: url: (needed for the install cell)")
    return str(repo["url"]).rstrip("/"), str(repo.get("branch", "main"))


def _toc_files(entry: Any) -> list[str]:
    """Every ``file:`` in a _toc.yml subtree, in reading order."""
    if isinstance(entry, list):
        return [f for item in entry for f in _toc_files(item)]
    if not isinstance(entry, dict):
        return []
    files = [entry["file"]] if "file" in entry else []
    for key in ("parts", "chapters", "sections"):
        files += _toc_files(entry.get(key, []))
    return files


def _is_notebook_source(path: Path) -> bool:
    """True for an .ipynb, or a MyST .md whose front matter declares a kernel."""
    if path.suffix == ".ipynb":
        return True
    text = path.read_text(encoding="utf-8")
    match = re.match(r"---\n(.*?)\n---\n", text, re.DOTALL)
    return bool(match and "kernelspec:" in match.group(1))


def chapters(root: Path) -> dict[str, Path]:
    """Map chapter name -> source for every notebook page listed in ``_toc.yml``.

    ``book/<name>.ipynb`` (a stored, executed GPU notebook) wins over
    ``book/<name>.md``; pages without a kernel (intro, appendices) are skipped.
    """
    toc = yaml.safe_load((root / "_toc.yml").read_text(encoding="utf-8"))
    found: dict[str, Path] = {}
    for entry in [toc.get("root", "")] + _toc_files(toc):
        stem = root / re.sub(r"\.(md|ipynb)$", "", entry)
        for suffix in (".ipynb", ".md"):
            source = stem.with_suffix(suffix)
            if source.exists():
                if _is_notebook_source(source):
                    found[stem.name] = source
                break
    return found


def is_gpu_chapter(root: Path, name: str) -> bool:
    """A GPU chapter is one whose source lies in ``book/gpu/`` (README, "GPU chapters")."""
    return name in gpu.chapters(root)


def extra_requirements(code: str) -> list[str]:
    """Pip requirements for the modules ``code`` imports that the package does not bring."""
    modules = set(_IMPORT.findall(code))
    return sorted(req for module, req in EXTRA_REQUIREMENTS.items() if module in modules)


def install_cell(url: str, branch: str, extras: list[str]) -> str:
    """The first cell of every notebook: install ``blitz`` (and extras) if missing.

    pip keeps a torch/torchvision that already satisfies the package's
    requirements (Colab's), so nothing large is reinstalled. ``BLITZ_SOURCE``
    lets a test install from a local checkout instead of GitHub.
    """
    requirements = ", ".join(f'"{r}"' for r in extras)
    return f"""\
# Setup for Colab, Binder or any Jupyter: installs the book's package `blitz`
# (and what this chapter needs beyond it) unless it is already importable.
# pip keeps an installed torch that satisfies blitz's requirements.
# CIFAR-10 is downloaded by torchvision the first time a chapter asks for it.
import importlib, importlib.util, os, subprocess, sys

if importlib.util.find_spec("blitz") is None:
    source = os.environ.get("BLITZ_SOURCE", "git+{url}@{branch}")
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", source, {requirements}], check=True)
    importlib.invalidate_caches()""".replace(", ]", "]")


def build_notebook(root: Path, name: str, source: Path) -> Any:
    """Return the runnable notebook of one chapter (an nbformat NotebookNode)."""
    nb = nbformat.read(source, as_version=4) if source.suffix == ".ipynb" else jupytext.read(source)
    code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    url, branch = repository(root)
    first = nbformat.v4.new_code_cell(install_cell(url, branch, extra_requirements(code)))
    first.metadata["tags"] = ["blitz-install"]
    nb.cells.insert(0, first)
    for i, cell in enumerate(nb.cells):  # stable ids: regenerating changes nothing
        cell["id"] = f"{name}-{i}"
    nb.metadata.pop("jupytext", None)
    nb.metadata["kernelspec"] = {"display_name": "Python 3", "language": "python", "name": "python3"}
    nb.metadata["blitz"] = {"source": source.relative_to(root).as_posix()}
    if is_gpu_chapter(root, name):
        nb.metadata["accelerator"] = "GPU"  # Colab opens it with a GPU runtime
        nb.metadata.setdefault("colab", {})["gpuType"] = "T4"
    nb.nbformat, nb.nbformat_minor = 4, 5
    return nb


def write_notebooks(root: Path) -> list[Path]:
    """Write notebooks/<name>.ipynb for every chapter; remove ones for deleted chapters."""
    out = root / NOTEBOOK_DIR
    out.mkdir(exist_ok=True)
    written = []
    for name, source in chapters(root).items():
        path = out / f"{name}.ipynb"
        text = nbformat.writes(build_notebook(root, name, source)) + "\n"
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
        written.append(path)
    for stale in set(out.glob("*.ipynb")) - set(written):
        stale.unlink()
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("root", nargs="?", default=".", help="repository root (default: .)")
    root = Path(parser.parse_args().root).resolve()
    for path in write_notebooks(root):
        print(path.relative_to(root))


if __name__ == "__main__":
    main()
