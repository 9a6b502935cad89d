"""The book's build fails loudly, and the real book builds clean.

`make test` builds the book first (``make book``), so the whole-book test below
re-runs the same command against the execution cache: it must finish with exit
code 0 and no warning. The throwaway-book tests use the project's own
``_config.yml`` on a tiny book, so they check the configuration we ship, not a
copy of it.
"""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

JB = [str(Path(sys.executable).with_name("jb")), "build"]
FLAGS = ["-W", "-n", "--keep-going"]

HEADER = """---
jupytext:
  text_representation:
    extension: .md
    format_name: myst
    format_version: 0.13
kernelspec:
  display_name: Python 3
  language: python
  name: python3
---
"""


def _throwaway_book(root: Path, repo_root: Path, chapter_body: str) -> Path:
    """Make a one-chapter book in ``root`` that uses the repository's config."""
    config = yaml.safe_load((repo_root / "_config.yml").read_text())
    config.pop("logo", None)
    config["exclude_patterns"] = ["_build"]
    config.setdefault("execute", {})["exclude_patterns"] = []
    (root / "_config.yml").write_text(yaml.safe_dump(config))
    for folder in ("_ext", "_static"):  # the site extension and assets the config names
        shutil.copytree(repo_root / "book" / folder, root / "book" / folder)
    shutil.copytree(repo_root / "tools", root / "tools")  # the extensions import tools.gpu, tools.deps
    (root / "_toc.yml").write_text("format: jb-book\nroot: intro\nchapters:\n  - file: chapter\n")
    (root / "intro.md").write_text("# Throwaway book\n\nFor tests only.\n")
    (root / "chapter.md").write_text(HEADER + "# Chapter\n\n" + chapter_body)
    return root


def _build(book: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(JB + [str(book)] + FLAGS, capture_output=True, text=True, timeout=600)


def test_config_is_strict(repo_root: Path) -> None:
    config = yaml.safe_load((repo_root / "_config.yml").read_text())
    assert config["execute"]["execute_notebooks"] == "cache"
    assert config["execute"]["allow_errors"] is False
    assert config["sphinx"]["config"]["nb_execution_raise_on_error"] is True
    makefile = (repo_root / "Makefile").read_text()
    assert "jb build . -W -n --keep-going" in makefile


def test_good_throwaway_book_builds(tmp_path: Path, repo_root: Path) -> None:
    book = _throwaway_book(tmp_path, repo_root, "```{code-cell} ipython3\nprint(6 * 7)\n```\n")
    result = _build(book)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    html = (book / "_build" / "html" / "chapter.html").read_text()
    assert "42" in html


def test_broken_cell_fails_the_build(tmp_path: Path, repo_root: Path) -> None:
    body = "```{code-cell} ipython3\nraise RuntimeError('deliberately broken chapter')\n```\n"
    result = _build(_throwaway_book(tmp_path, repo_root, body))
    assert result.returncode != 0
    assert "deliberately broken chapter" in result.stdout + result.stderr


def test_sphinx_warning_fails_the_build(tmp_path: Path, repo_root: Path) -> None:
    body = "A reference to {ref}`a-label-that-does-not-exist`.\n"
    result = _build(_throwaway_book(tmp_path, repo_root, body))
    assert result.returncode != 0
    assert "a-label-that-does-not-exist" in result.stdout + result.stderr


def test_whole_book_builds_without_warnings(repo_root: Path, tmp_path: Path) -> None:
    """Re-run the README's build (cached after ``make book``): exit 0, no warning."""
    result = subprocess.run(
        JB + [str(repo_root)] + FLAGS, capture_output=True, text=True, timeout=1800, cwd=repo_root
    )
    log = result.stdout + result.stderr
    assert result.returncode == 0, log[-5000:]
    assert "WARNING" not in log.replace("[IPKernelApp] WARNING", ""), log[-5000:]
    index = repo_root / "_build" / "html" / "book" / "intro.html"
    assert index.exists()
