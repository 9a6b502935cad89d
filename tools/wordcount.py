"""Part I's reading time: does the blitz still read in an hour?

Part I is the first part of ``_toc.yml``; a page ``book/<name>`` is read from
``book/gpu/<name>.md`` when that GPU source exists, else ``book/<name>.md``.
``python -m tools.wordcount`` (``make wordcount``) prints, for every Part I
chapter and in total, the prose words and the lines of code of its main path
and its reading time, prose words / 200 + code lines / 15 minutes
(design.md), and exits with 1 when Part I is over 60 minutes. Each chapter
page shows its own reading time under its title (book/_ext/book_times.py).

The main path is what a reader reads from top to bottom without opening
anything:

- prose counted: paragraphs, lists, headings, tables, and admonitions that are
  open on the page (notes, "Note on the original", tips); an inline code span,
  an inline formula (``$...$``) or a role (``{glue:text}`key```) is one word, a
  role with its own text (``{ref}`the next chapter <ch-gpu>```) counts that
  text;
- code counted: the non-blank lines of visible code cells, of
  ``literalinclude`` listings (the lines of the object or range they show) and
  of Python or shell code blocks;
- not counted: the front matter, hidden or collapsed code cells (tags
  ``remove-cell``, ``remove-input``, ``hide-cell``, ``hide-input``), outputs
  and ``text`` blocks, other directives, display maths (``$$ ... $$``), targets
  (``(label)=``), comments (``%``), cell breaks (``+++``), collapsed asides (a
  colon-fence directive with ``:class: dropdown``, or a ``{dropdown}`` /
  ``{toggle}``), and the exercises: the section whose heading starts with
  "Exercises", up to the next heading of the same or a higher level (so a
  "Recap" after the exercises counts).

A word is a whitespace-separated token with at least one letter or digit.
"""
from __future__ import annotations

import argparse
import ast
import re
import sys
from collections.abc import Iterator
from pathlib import Path

import yaml

from tools.toc import page_source  # noqa: F401  (tools.glossary and tools.i18n read it here too)

#: Part I's reading-time budget in minutes (design.md: "Part I must read in about an hour").
BUDGET_MINUTES = 60
ROOT = Path(__file__).resolve().parents[1]

_FENCE = re.compile(r"^(?P<fence>`{3,}|:{3,})\s*(?P<info>.*)$")
_HEADING = re.compile(r"^(?P<hashes>#{1,6})\s+(?P<title>.*)$")
_COLLAPSED = {"dropdown", "toggle"}
_ROLE = re.compile(r"\{[\w:.-]+\}`(?P<body>[^`]*)`")
_CODE = re.compile(r"`[^`]+`")
_MATH = re.compile(r"\$[^$\n]+\$")
_LINK = re.compile(r"\[(?P<text>[^\]]*)\]\([^)]*\)")
_WORD = re.compile(r"[^\W_]", re.UNICODE)


def _strip_front_matter(lines: list[str]) -> list[str]:
    if lines and lines[0].strip() == "---":
        for i, line in enumerate(lines[1:], start=1):
            if line.strip() == "---":
                return lines[i + 1:]
    return lines


def _directive(info: str) -> str:
    """``{admonition} Title`` -> ``admonition``; a plain code fence (``python``) -> ``""``."""
    m = re.match(r"\{([\w:.-]+)\}", info)
    return m.group(1) if m else ""


def _walk(text: str) -> Iterator[tuple[str, str, list[str]]]:
    """The parts of a MyST chapter a reader reads on its main path, in order.

    Yields ``("prose", line, [])`` for each counted prose line and
    ``("code", info, body)`` for each visible backtick fence (its info string,
    e.g. ``{code-cell} ipython3``, and its lines, options included). Nothing is
    yielded inside collapsed asides or the exercises (the module docstring).
    """
    lines = _strip_front_matter(text.splitlines())
    stack: list[tuple[str, bool]] = []  # open colon fences: (fence, hidden)
    i, skip_level = 0, 0  # skip_level > 0: inside an Exercises section of that heading level
    while i < len(lines):
        line = lines[i]
        stripped = line.strip()
        hidden = bool(skip_level or (stack and stack[-1][1]))
        m = _FENCE.match(stripped)
        if m and m.group("fence")[0] == "`":  # code, hidden cells, every backtick directive: not prose
            fence, body = m.group("fence"), []
            i += 1
            while i < len(lines) and not (lines[i].strip().startswith(fence)
                                          and lines[i].strip().strip("`") == ""):
                body.append(lines[i])
                i += 1
            i += 1
            if not hidden:
                yield "code", m.group("info").strip(), body
            continue
        if m:  # a colon fence opens or closes
            fence, info = m.group("fence"), m.group("info")
            if stack and not info and len(fence) >= len(stack[-1][0]):
                stack.pop()
            else:
                name = _directive(info)
                collapsed = name in _COLLAPSED
                j = i + 1
                while j < len(lines) and lines[j].strip().startswith(":") and not _FENCE.match(lines[j].strip()):
                    collapsed |= bool(re.match(r":class:.*\bdropdown\b", lines[j].strip()))
                    j += 1
                parent_hidden = bool(stack) and stack[-1][1]
                stack.append((fence, collapsed or parent_hidden))
                title = re.sub(r"^\{[\w:.-]+\}\s*", "", info)
                if title and not stack[-1][1] and not skip_level:
                    yield "prose", title, []
                i = j
                continue
            i += 1
            continue
        if stripped.startswith("$$"):  # display maths, up to the closing $$
            if not (len(stripped) > 2 and stripped.endswith("$$")):
                i += 1
                while i < len(lines) and not lines[i].strip().endswith("$$"):
                    i += 1
            i += 1
            continue
        h = _HEADING.match(stripped)
        if h and not stack:
            skip_level = exercises_level(skip_level, len(h.group("hashes")), h.group("title"))
        hidden = bool(skip_level or (stack and stack[-1][1]))
        if (not hidden and stripped and stripped != "+++" and not stripped.startswith("%")
                and not re.fullmatch(r"\(.+\)=", stripped)):
            yield "prose", stripped, []
        i += 1


def exercises_level(level: int, heading_level: int, title: str) -> int:
    """The heading level of the Exercises section open after a heading (0: none), given the one before.

    The section starts at a heading whose title starts with "Exercises" and
    ends at the next heading of the same or a higher level (a "Recap" after it
    is not an exercise). tools.notebooks uses the same rule.
    """
    if level and heading_level <= level:
        level = 0
    if not level and title.strip().lower().startswith("exercises"):
        level = heading_level
    return level


def prose_lines(text: str) -> list[str]:
    """The lines of a MyST chapter that count as prose (see the module docstring)."""
    return [line for kind, line, _ in _walk(text) if kind == "prose"]


def _options(body: list[str]) -> tuple[dict[str, str], list[str]]:
    """A directive's options (``:name: value`` lines, or a ``---`` YAML block), and the lines after them."""
    if body and body[0].strip() == "---" and "---" in (line.strip() for line in body[1:]):
        end = next(i for i, line in enumerate(body[1:], start=1) if line.strip() == "---")
        block = yaml.safe_load("\n".join(body[1:end])) or {}
        return {str(k): str(v) for k, v in block.items()}, body[end + 1:]
    options, i = {}, 0
    while i < len(body) and (m := re.match(r"^:([\w-]+):\s*(.*)$", body[i].strip())):
        options[m.group(1)] = m.group(2).strip()
        i += 1
    return options, body[i:]


def _included(path: Path, options: dict[str, str]) -> list[str]:
    """The lines a ``literalinclude`` shows: the whole file, a ``:pyobject:``, or ``:start-at:``/``:end-at:``."""
    if not path.is_file():
        raise FileNotFoundError(f"literalinclude of a missing file: {path}")
    lines = path.read_text(encoding="utf-8").splitlines()
    if "pyobject" in options:
        scope: list[ast.stmt] = ast.parse("\n".join(lines)).body
        node: ast.AST | None = None
        for name in options["pyobject"].split("."):
            node = next((n for n in scope if isinstance(n, (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
                         and n.name == name), None)
            if node is None:
                raise ValueError(f"{path} has no object {options['pyobject']!r} to include")
            scope = node.body
        first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
        lines = lines[first - 1:node.end_lineno]
    if "start-at" in options:
        lines = lines[next(i for i, line in enumerate(lines) if options["start-at"] in line):]
    if "end-at" in options:
        lines = lines[:next(i for i, line in enumerate(lines) if options["end-at"] in line) + 1]
    return lines


def _include_path(source: Path, target: str) -> Path:
    """The file a ``literalinclude`` in ``source`` names, as Sphinx resolves it.

    Relative to the page's folder (a GPU chapter's page is ``book/<name>``, not
    its source ``book/gpu/<name>.md``), or to the repository root for ``/...``.
    """
    folder = source.parent.parent if source.parent.name == "gpu" else source.parent
    root = folder.parent if folder.name == "book" else folder
    return (root / target.lstrip("/")) if target.startswith("/") else (folder / target).resolve()


#: Code-cell tags that keep a cell off the main path: removed, or collapsed behind a click.
OFF_PATH_TAGS = ("remove-cell", "remove-input", "hide-cell", "hide-input")
#: Plain code blocks a reader reads as code (a ``text`` block shows output).
CODE_LANGUAGES = {"python", "py", "ipython3", "bash", "sh", "shell", "console"}


def code_lines(text: str, source: Path | None = None) -> int:
    """The non-blank lines of code a reader reads on a chapter's main path (README, "Reading time").

    Counted: visible code cells, ``literalinclude`` listings (their file is
    read relative to ``source``, the chapter's path) and Python or shell code
    blocks, outside collapsed asides and the exercises. Not counted: cells
    tagged ``remove-cell``/``remove-input`` (hidden) or ``hide-cell``/``hide-input``
    (collapsed), outputs, and the lines of a directive's options.
    """
    total = 0
    for kind, info, body in _walk(text):
        if kind != "code":
            continue
        directive = _directive(info)
        options, content = _options(body)
        if directive == "code-cell":
            tags = options.get("tags", "")
            if any(tag in tags for tag in OFF_PATH_TAGS):
                continue
        elif directive == "literalinclude":
            if source is None:
                raise ValueError("a literalinclude needs the chapter's path to be counted")
            content = _included(_include_path(source, info.split(None, 1)[1].strip()), options)
        elif directive or info.split()[0:1] and info.split()[0] not in CODE_LANGUAGES or not info:
            continue  # another directive (a figure, a note), a text block or output
        total += sum(1 for line in content if line.strip())
    return total


#: Reading speeds of design.md's measure: prose words and code lines a reader reads a minute.
WORDS_PER_MINUTE = 200
LINES_PER_MINUTE = 15


def reading_minutes(text: str, source: Path | None = None) -> float:
    """A chapter's main-path reading time: prose words / 200 + code lines / 15, in minutes."""
    return count_words(text) / WORDS_PER_MINUTE + code_lines(text, source) / LINES_PER_MINUTE


def count_words(text: str) -> int:
    """Prose words of one MyST chapter: roles, inline code and inline maths count as one word each."""
    prose = "\n".join(prose_lines(text))  # joined: a role or a code span may run over two lines
    prose = _ROLE.sub(lambda r: _role_text(r.group("body")), prose)
    prose = _CODE.sub(" x ", prose)
    prose = _MATH.sub(" x ", prose)
    prose = _LINK.sub(lambda r: f" {r.group('text')} ", prose)
    return sum(1 for token in prose.split() if _WORD.search(token))


def _role_text(body: str) -> str:
    """``text <target>`` -> ``text``; a bare target (a label, a glue key) is one word."""
    m = re.match(r"(?P<text>.*\S)\s*<[^>]*>$", body.strip(), re.DOTALL)
    return f" {m.group('text')} " if m else " x "


def part_one(root: Path = ROOT) -> list[Path]:
    """The sources of the chapters of the first part of ``_toc.yml``, in order."""
    toc = yaml.safe_load((root / "_toc.yml").read_text(encoding="utf-8"))
    parts = toc.get("parts") or []
    if not parts:
        raise ValueError(f"{root / '_toc.yml'} has no parts: Part I is its first part")
    return [page_source(root, entry["file"]) for entry in parts[0].get("chapters", [])]


def chapter_table(sources: list[Path]) -> list[tuple[str, int, int, float]]:
    """(name, prose words, code lines, reading minutes) of each chapter source."""
    rows = []
    for source in sources:
        text = source.read_text(encoding="utf-8")
        rows.append((source.stem, count_words(text), code_lines(text, source), reading_minutes(text, source)))
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=BUDGET_MINUTES,
                        help=f"longest reading time allowed for Part I (default {BUDGET_MINUTES})")
    args = parser.parse_args(argv)
    rows = chapter_table(part_one())
    width = max(len("Part I chapter"), *(len(name) for name, *_ in rows))
    print(f"{'Part I chapter':{width}s}  {'words':>6s}  {'code lines':>10s}  {'minutes':>7s}")
    for name, words, lines, minutes in rows:
        print(f"{name:{width}s}  {words:6,d}  {lines:10,d}  {minutes:7.1f}")
    words, lines, minutes = (sum(r[i] for r in rows) for i in (1, 2, 3))
    print(f"{'total':{width}s}  {words:6,d}  {lines:10,d}  {minutes:7.1f}  (budget {args.minutes:g} minutes: "
          f"words / {WORDS_PER_MINUTE} + code lines / {LINES_PER_MINUTE})")
    if minutes > args.minutes:
        print(f"wordcount: Part I reads in {minutes:.0f} minutes, over its budget of {args.minutes:g}",
              file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
