"""Fixtures shared by the book tier: MyST pages, throwaway books, strict builds, and a
report of what the notebook smoke test measured."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
import yaml

if TYPE_CHECKING:
    import nbformat

#: The jupytext front matter every chapter starts with.
MYST_HEADER = """---
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
#: The README's build flags: any warning fails the build, which goes on to report them all.
STRICT = ["-W", "-n", "--keep-going"]


@pytest.fixture(scope="session")
def myst_page() -> Callable[[str], str]:
    """``myst_page(body)``: a MyST notebook page (front matter + ``body``)."""
    return lambda body: MYST_HEADER + body


@pytest.fixture(scope="session")
def jb_build() -> Callable[..., subprocess.CompletedProcess[str]]:
    """``jb_build(book, pythonpath=None)``: build ``book`` with the strict flags; never raises."""

    def build(book: Path, pythonpath: Path | None = None) -> subprocess.CompletedProcess[str]:
        env = dict(os.environ)
        if pythonpath is not None:  # what the kernel needs to import (a toy package)
            env["PYTHONPATH"] = os.pathsep.join([str(pythonpath), env.get("PYTHONPATH", "")])
        jb = str(Path(sys.executable).with_name("jb"))
        return subprocess.run([jb, "build", str(book), *STRICT], capture_output=True, text=True,
                              timeout=600, env=env)

    return build


@pytest.fixture(scope="session")
def assert_notebook_current() -> Callable[..., None]:
    """``assert_notebook_current(committed, fresh, stale)``: the committed notebook is what the generator writes.

    Code cells (install cell first, tags and stored outputs included) and the
    notebook's metadata must be exactly the generator's; Markdown cells too,
    except their glued values (``fresh`` is generated with ``mask_glue=True``),
    which are the measurements of the build the notebook came from. Both
    languages' notebook tests use it; ``stale`` is the message to fail with.
    """
    from tools import notebooks

    def check(committed: nbformat.NotebookNode, fresh: nbformat.NotebookNode, stale: str) -> None:
        assert [c.cell_type for c in committed.cells] == [c.cell_type for c in fresh.cells], stale
        assert committed.metadata == fresh.metadata, stale
        for i, (got, want) in enumerate(zip(committed.cells, fresh.cells)):
            if want.cell_type == "code":
                assert got == want, f"{stale} (cell {i}, code)"
            else:
                assert notebooks.masked_pattern(want.source).fullmatch(got.source), \
                    f"{stale} (cell {i}, Markdown):\n{got.source[:300]}"
                assert set(got.get("attachments", {})) == set(want.get("attachments", {})), f"{stale} (cell {i})"

    return check


@pytest.fixture()
def project_book(repo_root: Path) -> Callable[[Path, list[str]], Path]:
    """``project_book(root, chapters)``: make ``root`` a book with the project's own _config.yml.

    It gets the site extensions and static files the config names, the tools they
    import, an intro page and a _toc.yml listing ``chapters`` (paths without suffix);
    the caller writes the chapters. So the tests check the configuration we ship.
    """

    def make(root: Path, chapters: list[str]) -> Path:
        config = yaml.safe_load((repo_root / "_config.yml").read_text())
        config.pop("logo", None)
        config["exclude_patterns"] = ["_build"]
        (root / "_config.yml").write_text(yaml.safe_dump(config))
        for folder in ("_ext", "_static", "_templates", "_latex"):
            shutil.copytree(repo_root / "book" / folder, root / "book" / folder, dirs_exist_ok=True)
        shutil.copyfile(repo_root / "book" / "references.bib", root / "book" / "references.bib")
        shutil.copytree(repo_root / "tools", root / "tools", dirs_exist_ok=True,
                        ignore=shutil.ignore_patterns("__pycache__"))
        (root / "book" / "intro.md").write_text("# Throwaway book\n\nFor tests only.\n")
        toc = "".join(f"  - file: {c}\n" for c in chapters)
        (root / "_toc.yml").write_text(f"format: jb-book\nroot: book/intro\nchapters:\n{toc}")
        return root

    return make


#: What the notebook smoke test measured, printed at the end of the run.
_REPORT: dict[str, str] = {}


@pytest.fixture(scope="session")
def smoke_report() -> dict[str, str]:
    """Notebook name -> one line (peak memory) printed at the end of the run."""
    return _REPORT


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if _REPORT:
        terminalreporter.section("notebook smoke run (Colab-like venv, no GPU)")
        for name, line in sorted(_REPORT.items()):
            terminalreporter.write_line(f"{name}: {line}")
