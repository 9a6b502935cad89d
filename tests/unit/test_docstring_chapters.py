"""The package's docstrings name chapters in words a reader of help() can follow (design.md, "Style").

A docstring is read in a page's listing, in a notebook and in ``help()``: a
MyST role such as {ref}`ch-nn` shows there as raw markup. Docstrings say
"chapter 3, Neural networks" instead, and this test keeps each such mention
true to _toc.yml's numbering and the chapter's title.
"""
from __future__ import annotations

import re
from pathlib import Path

from tools import toc, wordcount

ROOT = Path(__file__).resolve().parents[2]
SOURCES = sorted((ROOT / "code" / "blitz").glob("*.py"))
MENTION = re.compile(r"\bchapters? (\d+), ([A-Z][^.;:()\n]*(?:\n\s*[^.;:()\n]+)*)")


def numbered_chapters() -> dict[int, str]:
    """Chapter number -> title, numbered across the numbered parts as Jupyter Book does (tools.toc)."""
    return {n: re.search(r"^# (.+)$", wordcount.page_source(ROOT, file).read_text(encoding="utf-8"),
                         re.M).group(1).strip()
            for n, file in enumerate(toc.chapters(ROOT), start=1)}


def test_no_myst_role_in_the_package() -> None:
    raw = [f"{p.name}: {m.group(0)}" for p in SOURCES for m in re.finditer(r"\{[\w:-]+\}`[^`]*`", p.read_text())]
    assert not raw, raw


def test_every_chapter_mention_has_the_chapters_number_and_title() -> None:
    titles = numbered_chapters()
    mentions = [(p.name, int(m.group(1)), " ".join(m.group(2).split()))
                for p in SOURCES for m in MENTION.finditer(p.read_text(encoding="utf-8"))]
    assert len(mentions) >= 40, mentions  # the package names where each part is introduced
    wrong = [(name, n, title) for name, n, title in mentions if not titles.get(n, "\0").startswith(title)
             and not title.startswith(titles.get(n, "\0"))]
    assert not wrong, f"the chapters are {titles}; these mentions do not match: {wrong}"


def test_the_mention_pattern_reads_a_wrapped_title() -> None:
    m = MENTION.search("Introduced in chapter 6, Where the time goes\n    on a CPU. More text.")
    assert m and (m.group(1), " ".join(m.group(2).split())) == ("6", "Where the time goes on a CPU")
