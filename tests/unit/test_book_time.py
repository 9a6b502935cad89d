"""The execution-time benchmark (tools/book_time.py): the right pages, the right package, a fair table."""
from __future__ import annotations

import subprocess

import pytest

from tools import book_time
from tools.book_time import ROOT

PAGE = """\
---
jupytext:
  text_representation:
    format_name: myst
kernelspec:
  display_name: Python 3
  language: python
  name: python3
---

# A page

```{code-cell} ipython3
import blitz
open("which.txt", "w").write(blitz.__file__)
```
"""


def test_the_pages_are_those_the_build_executes():
    pages = book_time.executed_pages(ROOT)
    assert pages[:2] == ["tensors", "autograd"]
    assert "cpu_time" in pages and "troubleshooting" in pages
    assert "training_on_gpu" not in pages and "going_fast" not in pages  # run on a CUDA machine
    assert "intro" not in pages  # no kernel


def test_a_page_runs_with_its_own_versions_package(tmp_path):
    (tmp_path / "book").mkdir()
    (tmp_path / "code" / "blitz").mkdir(parents=True)
    (tmp_path / "code" / "blitz" / "__init__.py").write_text("")
    (tmp_path / "book" / "page.md").write_text(PAGE)
    assert book_time.execute(tmp_path, "page") > 0
    assert (tmp_path / "book" / "which.txt").read_text() == str(tmp_path / "code" / "blitz" / "__init__.py")


def test_unpack_gives_a_commits_book_and_code(tmp_path):
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout.strip()
    root = book_time.unpack(head, tmp_path)
    assert (root / "book" / "tensors.md").is_file() and (root / "code" / "blitz" / "train.py").is_file()


def test_the_table_has_medians_totals_and_the_ratio():
    rows = book_time.table({"a": {"new": 10.0, "old": 20.0}, "b": {"new": 5.0, "old": 10.0}}, ["new", "old"])
    assert rows[1].split() == ["a", "10.0", "s", "20.0", "s", "0.50"]
    assert rows[-1].split() == ["total", "15.0", "s", "30.0", "s", "0.50"]


def test_unknown_pages_are_refused():
    with pytest.raises(SystemExit):
        book_time.main(["no_such_page"])


def test_turns_alternate_which_version_goes_first(monkeypatch):
    calls = []
    monkeypatch.setattr(book_time, "execute", lambda root, page: calls.append((page, root)) or 1.0)
    medians = book_time.compare(["a", "b"], {"new": "N", "old": "O"}, repeats=2)
    assert calls == [("a", "N"), ("a", "O"), ("b", "O"), ("b", "N"),
                     ("a", "O"), ("a", "N"), ("b", "N"), ("b", "O")]
    assert medians == {"a": {"new": 1.0, "old": 1.0}, "b": {"new": 1.0, "old": 1.0}}


def test_an_unknown_commit_is_named(tmp_path):
    with pytest.raises(SystemExit, match="git archive no-such-rev"):
        book_time.unpack("no-such-rev", tmp_path)
