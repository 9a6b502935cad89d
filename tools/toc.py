"""The book's table of contents, ``_toc.yml``: which pages there are, in reading order.

The lowest of the tools: ``tools.i18n``, ``tools.notebooks`` and the others read
the page list from here, so none of them needs to import another for it.
"""
from __future__ import annotations

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
