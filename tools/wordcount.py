"""Count the prose words of Part I: does the blitz still read in about an hour?

Part I is the first part of ``_toc.yml``; a page ``book/<name>`` is read from
``book/gpu/<name>.md`` when that GPU source exists, else ``book/<name>.md``.
``python -m tools.wordcount`` (``make wordcount``) prints a table of every
Part I chapter and the total, and exits with 1 when the total is over the
budget (8,000 words, design.md).

What counts is the prose a reader reads from top to bottom:

- counted: paragraphs, lists, headings, tables, and admonitions that are open
  on the page (notes, "Note on the original", tips); an inline code span, an
  inline formula (``$...$``) or a role (``{glue:text}`key```) is one word, a
  role with its own text (``{ref}`the next chapter <ch-gpu>```) counts that
  text;
- not counted: the front matter, every backtick fence (code cells, hidden or
  not, code blocks, ``literalinclude`` and other directives), display maths
  (``$$ ... $$``), targets (``(label)=``), comments (``%``), cell breaks
  (``+++``), collapsed asides (a colon-fence directive with ``:class:
  dropdown``, or a ``{dropdown}`` / ``{toggle}``), and the exercises: the
  section whose heading starts with "Exercises", up to the next heading of
  the same or a higher level (so a "Recap" after the exercises counts).

A word is a whitespace-separated token with at least one letter or digit.
"""
from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import yaml

#: The prose budget of Part I (design.md: "Part I must read in about an hour").
BUDGET = 8000
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


def prose_lines(text: str) -> list[str]:
    """The lines of a MyST chapter that count as prose (see the module docstring)."""
    lines = _strip_front_matter(text.splitlines())
    kept: list[str] = []
    stack: list[tuple[str, bool]] = []  # open colon fences: (fence, hidden)
    i, skip_level = 0, 0  # skip_level > 0: inside an Exercises section of that heading level
    while i < len(lines):
        line = lines[i]
        stripped = line.strip()
        m = _FENCE.match(stripped)
        if m and m.group("fence")[0] == "`":  # code, hidden cells, every backtick directive: skip it all
            fence = m.group("fence")
            i += 1
            while i < len(lines) and not (lines[i].strip().startswith(fence)
                                          and lines[i].strip().strip("`") == ""):
                i += 1
            i += 1
            continue
        if m:  # a colon fence opens or closes
            fence, info = m.group("fence"), m.group("info")
            if stack and not info and len(fence) >= len(stack[-1][0]):
                stack.pop()
            else:
                name = _directive(info)
                hidden = name in _COLLAPSED
                j = i + 1
                while j < len(lines) and lines[j].strip().startswith(":") and not _FENCE.match(lines[j].strip()):
                    hidden |= bool(re.match(r":class:.*\bdropdown\b", lines[j].strip()))
                    j += 1
                parent_hidden = bool(stack) and stack[-1][1]
                stack.append((fence, hidden or parent_hidden))
                title = re.sub(r"^\{[\w:.-]+\}\s*", "", info)
                if title and not stack[-1][1] and not skip_level:
                    kept.append(title)
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
            level = len(h.group("hashes"))
            if skip_level and level <= skip_level:
                skip_level = 0
            if not skip_level and h.group("title").strip().lower().startswith("exercises"):
                skip_level = level
        hidden = skip_level or (stack and stack[-1][1])
        if (not hidden and stripped and stripped != "+++" and not stripped.startswith("%")
                and not re.fullmatch(r"\(.+\)=", stripped)):
            kept.append(stripped)
        i += 1
    return kept


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


def page_source(root: Path, file: str) -> Path:
    """The MyST source of a ``_toc.yml`` page: ``book/gpu/<name>.md`` for a GPU chapter, else ``book/<name>.md``."""
    page = Path(re.sub(r"\.(md|ipynb)$", "", file))
    gpu = root / page.parent / "gpu" / f"{page.name}.md"
    source = gpu if gpu.exists() else root / page.with_suffix(".md")
    if not source.exists():
        raise FileNotFoundError(f"_toc.yml lists {file}, but neither {gpu} nor {source} exists")
    return source


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--budget", type=int, default=BUDGET, help=f"most words allowed (default {BUDGET})")
    args = parser.parse_args(argv)
    rows = [(source.relative_to(ROOT) if source.is_relative_to(ROOT) else source,
             count_words(source.read_text(encoding="utf-8"))) for source in part_one()]
    total = sum(n for _, n in rows)
    width = max(len(str(path)) for path, _ in rows)
    print(f"{'Part I chapter':{width}s}  words")
    for path, n in rows:
        print(f"{str(path):{width}s}  {n:5,d}")
    print(f"{'total':{width}s}  {total:5,d}  (budget {args.budget:,})")
    if total > args.budget:
        print(f"wordcount: Part I has {total - args.budget:,} words too many", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
