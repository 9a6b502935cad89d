"""The book's table of contents, ``_toc.yml``: which pages there are, in reading order.

The lowest of the tools: ``tools.i18n``, ``tools.notebooks`` and the others read
the page list from here, so none of them needs to import another for it.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]


def load(root: Path = ROOT) -> dict:
    """``_toc.yml`` as a dictionary."""
    return yaml.safe_load((root / "_toc.yml").read_text(encoding="utf-8"))


def toc_files(entry: Any) -> list[str]:
    """Every ``file:`` in a _toc.yml subtree, in reading order."""
    if isinstance(entry, list):
        return [f for item in entry for f in toc_files(item)]
    if not isinstance(entry, dict):
        return []
    files = [entry["file"]] if "file" in entry else []
    for key in ("parts", "chapters", "sections"):
        files += toc_files(entry.get(key, []))
    return files


def pages(root: Path = ROOT) -> list[str]:
    """Every page of ``_toc.yml``, in order: the root page, then every ``file:``."""
    toc = load(root)
    return [toc["root"], *toc_files(toc)]


def page_source(root: Path, file: str) -> Path:
    """The MyST source of a ``_toc.yml`` page: ``book/gpu/<name>.md`` for a GPU chapter, else ``book/<name>.md``."""
    page = Path(re.sub(r"\.(md|ipynb)$", "", file))
    gpu = root / page.parent / "gpu" / f"{page.name}.md"
    source = gpu if gpu.exists() else root / page.with_suffix(".md")
    if not source.exists():
        raise FileNotFoundError(f"_toc.yml lists {file}, but neither {gpu} nor {source} exists")
    return source


def chapters(root: Path = ROOT) -> list[str]:
    """The numbered chapters (every ``file:`` of a ``numbered: true`` part), in reading order."""
    return [chapter["file"] for part in load(root).get("parts", []) if part.get("numbered")
            for chapter in part.get("chapters", [])]


def chapter_labels(root: Path = ROOT) -> dict[str, int]:
    """The label of each numbered chapter (``(ch-nn)=`` above its title) -> its number.

    Jupyter Book numbers the chapters of every ``numbered: true`` part in one
    sequence (Part I: 1-5, Part II: 6-8); appendices are not numbered.
    """
    labels = {}
    for number, file in enumerate(chapters(root), start=1):
        m = re.search(r"^\(([\w-]+)\)=\s*\n#\s", page_source(root, file).read_text(encoding="utf-8"), re.M)
        if m:
            labels[m.group(1)] = number
    return labels
