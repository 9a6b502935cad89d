"""The book's build fails loudly, and the real book builds clean.

`make test` builds the book first (``make book``), so the whole-book test below
re-runs the same command against the execution cache: it must finish with exit
code 0 and no warning. The throwaway-book tests use the project's own
``_config.yml`` on a tiny book, so they check the configuration we ship, not a
copy of it.
"""
from __future__ import annotations

from pathlib import Path

import yaml

def _chapter_book(root: Path, project_book, myst_page, body: str) -> Path:
    """A one-chapter book with the project's config."""
    book = project_book(root, ["book/chapter"])
    (book / "book" / "chapter.md").write_text(myst_page("# Chapter\n\n" + body))
    return book


def test_config_is_strict(repo_root: Path) -> None:
    config = yaml.safe_load((repo_root / "_config.yml").read_text())
    assert config["execute"]["execute_notebooks"] == "cache"
    assert config["execute"]["allow_errors"] is False
    assert config["sphinx"]["config"]["nb_execution_raise_on_error"] is True
    makefile = (repo_root / "Makefile").read_text()
    assert "jb build . -W -n --keep-going" in makefile


def test_good_throwaway_book_builds(tmp_path: Path, project_book, myst_page, jb_build) -> None:
    book = _chapter_book(tmp_path, project_book, myst_page, "```{code-cell} ipython3\nprint(6 * 7)\n```\n")
    result = jb_build(book)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    html = (book / "_build" / "html" / "book" / "chapter.html").read_text()
    assert "42" in html


def test_broken_cell_fails_the_build(tmp_path: Path, project_book, myst_page, jb_build) -> None:
    body = "```{code-cell} ipython3\nraise RuntimeError('deliberately broken chapter')\n```\n"
    result = jb_build(_chapter_book(tmp_path, project_book, myst_page, body))
    assert result.returncode != 0
    assert "deliberately broken chapter" in result.stdout + result.stderr


def test_sphinx_warning_fails_the_build(tmp_path: Path, project_book, myst_page, jb_build) -> None:
    body = "A reference to {ref}`a-label-that-does-not-exist`.\n"
    result = jb_build(_chapter_book(tmp_path, project_book, myst_page, body))
    assert result.returncode != 0
    assert "a-label-that-does-not-exist" in result.stdout + result.stderr


def test_whole_book_builds_without_warnings(repo_root: Path, jb_build) -> None:
    """Re-run the README's build (cached after ``make book``): exit 0, no warning."""
    result = jb_build(repo_root)
    log = result.stdout + result.stderr
    assert result.returncode == 0, log[-5000:]
    assert "WARNING" not in log.replace("[IPKernelApp] WARNING", ""), log[-5000:]
    index = repo_root / "_build" / "html" / "book" / "intro.html"
    assert index.exists()
