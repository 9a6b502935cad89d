"""Code comments in the page's language: the Chinese edition's code cells read in Chinese.

A reader of the original (一小时学会PyTorch) learned LeNet and the training
loop from its Chinese comments. The Chinese pages and ``notebooks/zh_CN``
therefore show the same code cells with their comments translated, from a
gettext catalogue like the prose's, ``locales/<language>/LC_MESSAGES/comments.po``.
Only comments change: code and outputs are the ones the English build
executed (:func:`code_lines` is what a test compares).

A message is one comment (``# decoding a JPEG costs more``) or a block of
full-line comments at the same indent on consecutive lines, joined with
spaces. Its translation may contain line breaks: a block becomes as many
comment lines as the translation has lines. Comments with fewer than two
letters in a row (``# -> (B, 16, 5, 5)``) are not messages: they stay. A
translated cell has the same messages in the same places, in Chinese, which
is what the tests compare.
"""
from __future__ import annotations

import io
import re
import tokenize
from functools import lru_cache
from pathlib import Path
from typing import Any, NamedTuple

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.transforms.post_transforms import SphinxPostTransform

#: The catalogue's name: ``locales/<language>/LC_MESSAGES/comments.po``.
DOMAIN = "comments"


class Message(NamedTuple):
    """One comment to translate: lines ``first``..``last`` (0-based) from column ``col``.

    ``trailing`` is a comment after code on its line (``x = 1  # one``),
    which must stay one line.
    """

    first: int
    last: int
    col: int
    text: str
    trailing: bool


class NotPython(ValueError):
    """A code cell that Python cannot tokenize, even with its IPython syntax turned into calls."""


def _python(source: str) -> str:
    """``source`` as Python, line for line: IPython's ``%magic`` and ``!shell`` lines become calls.

    IPython's own transformer knows a magic from a continuation line that
    starts with ``%`` (``    % n)``); a comment on a magic's line becomes part
    of the call's string, so it is not translated. A cell magic (``%%time``)
    would turn the whole cell into one line: such a cell is refused.
    """
    if source.lstrip().startswith("%%"):
        raise NotPython("a cell magic: its body is not Python")
    try:
        from IPython.core.inputtransformer2 import TransformerManager
    except ImportError:  # no IPython: blank the lines that start like magics
        return "\n".join("" if line.lstrip().startswith(("%", "!")) else line for line in source.split("\n"))
    python = TransformerManager().transform_cell(source)
    return python[:-1] if python.endswith("\n") and not source.endswith("\n") else python


def _comments(source: str) -> list[tuple[int, int, str]]:
    """(line, column, text after ``#``) of every comment; :class:`NotPython` if it does not tokenize."""
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(_python(source)).readline))
    except (tokenize.TokenError, SyntaxError) as err:
        raise NotPython(f"cannot tokenize the cell: {err}") from None
    return [(t.start[0] - 1, t.start[1], t.string[1:]) for t in tokens if t.type == tokenize.COMMENT]


def _is_message(text: str) -> bool:
    """Words to translate (two Latin letters in a row), or words already translated (Chinese)."""
    return bool(re.search(r"[A-Za-z]{2}|[\u4e00-\u9fff]", text)) and not text.startswith("@")


def messages(source: str) -> list[Message]:
    """The comments of a code cell's ``source`` that a translation replaces, in order."""
    lines = source.split("\n")
    found: list[Message] = []
    for row, col, text in _comments(source):
        trailing = bool(lines[row][:col].strip())
        text = text.strip()
        previous = found[-1] if found else None
        if (not trailing and previous and not previous.trailing and previous.last == row - 1
                and previous.col == col and text and _is_message(previous.text)):
            found[-1] = previous._replace(last=row, text=f"{previous.text} {text}")
        else:
            found.append(Message(row, row, col, text, trailing))
    return [m for m in found if _is_message(m.text)]


def anchor(source: str, message: Message) -> str:
    """The line of code ``message`` explains: the code before it on its line, or the next line of code below it."""
    lines = source.split("\n")
    if message.trailing:
        return lines[message.first][:message.col].rstrip()
    below = (line.rstrip() for line in lines[message.last + 1:] if line.strip() and not line.strip().startswith("#"))
    return next(below, "")


class Untranslated(KeyError):
    """A comment has no translation in the catalogue."""


def translate(source: str, catalog: dict[str, str], strict: bool = False) -> str:
    """``source`` with every comment in ``catalog`` translated; code untouched.

    An untranslated comment stays in English, or raises :class:`Untranslated`
    when ``strict``; so does a cell that is not Python (:class:`NotPython`).
    A translation's line breaks become comment lines at the block's indent
    (tabs included); a comment after code stays on its line.
    """
    try:
        found = messages(source)
    except NotPython:
        if strict:
            raise
        return source
    lines = source.split("\n")
    for message in reversed(found):
        translated = catalog.get(message.text)
        if translated is None:
            if strict:
                raise Untranslated(message.text)
            continue
        parts = translated.split("\n")
        if message.trailing and len(parts) > 1:
            raise ValueError(f"a comment after code must stay one line: {translated!r}")
        head = lines[message.first][:message.col]
        indent = head if not message.trailing else ""
        new = [head + "# " + parts[0]] + [indent + "# " + p for p in parts[1:]]
        lines[message.first:message.last + 1] = new
    return "\n".join(lines)


def code_lines(source: str) -> list[str]:
    """The code of ``source`` without its comments: each line with code, stripped of any comment.

    Lines that hold only a comment, and blank lines, are left out, so that a
    comment block translated into fewer lines compares equal.
    """
    lines = source.split("\n")
    for row, col, _ in _comments(source):
        lines[row] = lines[row][:col]
    return [line.rstrip() for line in lines if line.strip()]


@lru_cache(maxsize=4)
def catalog(path: Path, mtime: float) -> dict[str, str]:
    """English comment -> translation, from ``comments.po`` (translated, not fuzzy)."""
    from babel.messages.pofile import read_po

    with path.open("rb") as handle:
        return {m.id: m.string for m in read_po(handle) if m.id and m.string and not m.fuzzy}


def catalog_for(language: str, locales: Path) -> dict[str, str]:
    """The comment translations for ``language`` (empty for English or without a catalogue)."""
    path = locales / language / "LC_MESSAGES" / f"{DOMAIN}.po"
    if language == "en" or not path.is_file():
        return {}
    return catalog(path, path.stat().st_mtime)


class TranslateComments(SphinxPostTransform):
    """Translate the comments of every code cell's source on a page in another language."""

    default_priority = 900

    def run(self, **kwargs: Any) -> None:
        language = self.config.language or "en"
        found: dict[str, str] = {}
        for folder in self.config.locale_dirs:
            found |= catalog_for(language, Path(self.env.srcdir) / folder)
        if not found:
            return
        for cell in self.document.findall(nodes.container):
            if cell.get("nb_element") != "cell_code_source":
                continue
            for block in cell.findall(nodes.literal_block):
                text = block.astext()
                translated = translate(text, found)
                if translated != text:
                    block.children = [nodes.Text(translated)]
                    block.rawsource = translated


def setup(app: Sphinx) -> dict[str, Any]:
    app.add_post_transform(TranslateComments)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
