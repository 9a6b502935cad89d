"""A chapter is executed again when package code it imports changes (book/_ext/book_deps.py).

A throwaway book with two pages, each importing its own module of a toy
package, is built three times: from scratch; after a change to module A's
code (page A executes again, page B stays cached); after edits of docstrings
and comments only (nothing executes).
"""
from __future__ import annotations

import re
import shutil
from pathlib import Path

from jupyter_cache import get_cache

PAGE = """
# Page {name}

```{{code-cell}} ipython3
from toypkg.mod_{name} import value

print("page {name} says", value())
```
"""
MODULE = '''"""Module {name}."""


def value() -> int:
    """What page {name} prints."""
    return 1
'''
CONFIG = """title: Throwaway
only_build_toc_files: true
execute:
  execute_notebooks: cache
sphinx:
  local_extensions:
    book_deps: _ext
  config:
    deps_package: toypkg
    nb_execution_raise_on_error: true
"""


def _build(book: Path, jb_build) -> str:
    result = jb_build(book, pythonpath=book)  # the kernel imports toypkg from the book's folder
    log = result.stdout + result.stderr
    assert result.returncode == 0, log[-3000:]
    return log


def _records(book: Path) -> dict[str, int]:
    """Page -> primary key of its executed notebook in jupyter-cache (a new key: executed again)."""
    return {Path(r.uri).stem: r.pk for r in get_cache(book / "_build" / ".jupyter_cache").list_cache_records()}


def _says(book: Path, name: str) -> str:
    """The page's output line (its code shows the words in a string, in other markup)."""
    html = (book / "_build" / "html" / f"{name}.html").read_text()
    return re.search(rf"page {name} says \d", html).group()


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))


def test_rebuild_executes_pages_whose_package_code_changed(tmp_path: Path, repo_root: Path, myst_page,
                                                          jb_build) -> None:
    book = tmp_path
    (book / "toypkg").mkdir()
    (book / "toypkg" / "__init__.py").write_text('"""Toy package."""\n')
    for name in "ab":
        (book / f"{name}.md").write_text(myst_page(PAGE.format(name=name)))
        (book / "toypkg" / f"mod_{name}.py").write_text(MODULE.format(name=name))
    (book / "intro.md").write_text("# Throwaway\n\nFor tests only.\n")
    (book / "_toc.yml").write_text("format: jb-book\nroot: intro\nchapters:\n  - file: a\n  - file: b\n")
    (book / "_config.yml").write_text(CONFIG)
    (book / "_ext").mkdir()
    shutil.copy(repo_root / "book" / "_ext" / "book_deps.py", book / "_ext")
    shutil.copytree(repo_root / "tools", book / "tools")  # the extension imports tools.deps

    _build(book, jb_build)
    first = _records(book)
    assert set(first) == {"a", "b"} and _says(book, "a") == "page a says 1"

    _edit(book / "toypkg" / "mod_a.py", "return 1", "return 2")  # code: page a executes again
    log = _build(book, jb_build)
    second = _records(book)
    assert "a: package code changed (toypkg.mod_a)" in log
    assert second["a"] != first["a"] and second["b"] == first["b"]
    assert _says(book, "a") == "page a says 2" and _says(book, "b") == "page b says 1"

    _edit(book / "toypkg" / "mod_a.py", '"""What page a prints."""', '"""What page a prints, now."""')
    _edit(book / "toypkg" / "mod_b.py", "    return 1", "    # a comment\n    return 1")
    log = _build(book, jb_build)
    assert _records(book) == second and "package code changed" not in log
    assert _says(book, "a") == "page a says 2"
