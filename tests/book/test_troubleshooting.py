"""Appendix B, "When things go wrong": every message its prose quotes comes from an executed output.

The appendix (``book/troubleshooting.md``) raises each error for real, in
cells tagged ``raises-exception``, so that the page shows the message the
book's torch prints. Its prose quotes a message as inline code right after
"raises", "prints" or "warns" ("It raises `mat1 and mat2 shapes cannot be
multiplied (4x256 and 400x120)`"), and an entry's heading quotes the
message's key words in double quotes, "…" standing for what it leaves out.
These tests execute the page's source as the build does (jupytext, then
nbclient in a ``python3`` kernel, in a temporary folder; about 10 s) and
check that every quoted message, and every fragment of a heading's quote,
occurs in the text of an output: nothing on the page is typed. They also
check the catalogue's shape: at least 15 entries (``###`` headings), each
linking a chapter, and every cell tagged ``raises-exception`` really raised.
When the book is built, the page must show those tracebacks.
"""
from __future__ import annotations

import re
from pathlib import Path

import jupytext
import nbformat
import pytest
from nbclient import NotebookClient

from tools import toc

ROOT = Path(__file__).resolve().parents[2]
SOURCE = ROOT / "book" / "troubleshooting.md"
PAGE = ROOT / "_build" / "html" / "book" / "troubleshooting.html"
#: A message quoted in the prose: inline code right after one of these verbs.
QUOTED = re.compile(r"\b(?:raises|prints|warns)\s+`([^`]+)`")
_ANSI = re.compile(r"\x1b\[[0-9;]*m")
_REF = re.compile(r"\{(?:ref|numref)\}`(?:[^`<]*<)?([\w-]+)>?`")
MIN_ENTRIES = 15


def _squash(text: str) -> str:
    return " ".join(text.split())


def _tags(cell: nbformat.NotebookNode) -> set[str]:
    return set(cell.metadata.get("tags", []))


@pytest.fixture(scope="module")
def executed(tmp_path_factory: pytest.TempPathFactory) -> nbformat.NotebookNode:
    nb = jupytext.read(SOURCE)
    folder = tmp_path_factory.mktemp("troubleshooting")
    NotebookClient(nb, timeout=120, kernel_name="python3",
                   resources={"metadata": {"path": str(folder)}}).execute()
    return nb


def _output_text(nb: nbformat.NotebookNode) -> str:
    """Every output of the executed page as plain text: streams, tracebacks, displayed values."""
    parts = []
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            if output.output_type == "stream":
                parts.append(output.text)
            elif output.output_type == "error":
                parts.append("\n".join(output.traceback))
            else:
                parts.append(output.get("data", {}).get("text/plain", ""))
    return _squash(_ANSI.sub("", "\n".join(parts)))


def _entries(nb: nbformat.NotebookNode) -> list[tuple[str, str]]:
    """(heading, Markdown) of every entry: a ``###`` heading and the prose up to the next heading."""
    markdown = "\n\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    entries: list[tuple[str, list[str]]] = []
    for line in markdown.splitlines():
        if line.startswith("### "):
            entries.append((line[4:].strip(), []))
        elif line.startswith("#"):
            entries.append(("", []))  # a section's own prose: not an entry
        elif entries:
            entries[-1][1].append(line)
    return [(heading, "\n".join(lines)) for heading, lines in entries if heading]


def _quotes(nb: nbformat.NotebookNode) -> list[str]:
    """Every message the prose quotes, and every fragment of a heading's quote."""
    quotes = []
    for heading, text in _entries(nb):
        quotes += [_squash(q) for q in QUOTED.findall(_squash(text))]
        for quote in re.findall(r'^[`"]([^`"]+)[`"]', heading):  # a heading that opens with a message
            quotes += [_squash(part) for part in quote.split("…") if part.strip()]
    return quotes


def _chapter_labels() -> set[str]:
    """Every label defined in a chapter's source (``(ch-nn)=``, ``(vjp)=``...)."""
    labels = set()
    for file in toc.chapters(ROOT):
        text = toc.page_source(ROOT, file).read_text(encoding="utf-8")
        labels |= set(re.findall(r"^\(([\w-]+)\)=\s*$", text, re.MULTILINE))
    return labels


def test_every_quoted_message_is_in_an_output(executed: nbformat.NotebookNode) -> None:
    outputs = _output_text(executed)
    quotes = _quotes(executed)
    assert len(quotes) >= 2 * MIN_ENTRIES, quotes
    missing = [q for q in quotes if q not in outputs]
    assert not missing, f"quoted on the page but printed by no cell: {missing}"


def test_every_error_cell_raised(executed: nbformat.NotebookNode) -> None:
    for cell in executed.cells:
        if cell.cell_type != "code":
            continue
        raised = any(o.output_type == "error" for o in cell.outputs)
        assert raised == ("raises-exception" in _tags(cell)), cell.source


def test_entries_each_link_a_chapter(executed: nbformat.NotebookNode) -> None:
    entries = _entries(executed)
    assert len(entries) >= MIN_ENTRIES, [h for h, _ in entries]
    chapters = _chapter_labels()
    for heading, text in entries:
        assert set(_REF.findall(text)) & chapters, f"{heading!r} links no chapter"


def test_the_built_page_shows_the_tracebacks() -> None:
    if not PAGE.is_file():
        pytest.skip("the book is not built: run `make book`")
    errors = sum("raises-exception" in _tags(c) for c in jupytext.read(SOURCE).cells if c.cell_type == "code")
    html = PAGE.read_text(encoding="utf-8")
    assert len(re.findall(r'class="[^"]*\boutput traceback\b', html)) == errors
