"""Binder's environment (binder/) is CPU-only and matches the book's pins.

repo2docker reads binder/ instead of the repository root when it exists: torch
must come from PyTorch's CPU wheel index (a CUDA wheel from PyPI is about
5 GB) and at the versions the book is built with.
"""
from __future__ import annotations

import os
import re
from pathlib import Path


def _pins(path: Path) -> dict[str, str]:
    pins = re.findall(r"^([A-Za-z0-9_.-]+)==([^\s#]+)", path.read_text(), re.MULTILINE)
    return {name.lower(): version for name, version in pins}


def test_binder_is_cpu_only_and_pinned_like_the_book(repo_root: Path) -> None:
    text = (repo_root / "binder" / "requirements.txt").read_text()
    assert "--extra-index-url https://download.pytorch.org/whl/cpu" in text
    book, binder = _pins(repo_root / "requirements.txt"), _pins(repo_root / "binder" / "requirements.txt")
    for name in ("torch", "torchvision"):
        assert binder[name] == book[name] + "+cpu"
    for name in ("matplotlib", "numpy", "pillow", "jupytext"):
        assert binder[name] == book[name]


def test_binder_post_build_installs_the_package(repo_root: Path) -> None:
    post_build = repo_root / "binder" / "postBuild"
    assert os.access(post_build, os.X_OK)
    assert re.search(r"pip install .*\.\s*$", post_build.read_text(), re.MULTILINE)
