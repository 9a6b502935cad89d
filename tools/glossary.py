"""Link every chapter's first use of each glossary term to the glossary (Appendix C).

The glossary (``book/glossary.md``) promises that "chapters link a term here
the first time they use it". This tool keeps that promise mechanically:

- ``python -m tools.glossary --check`` (a test runs it) lists every chapter
  whose first use of a term in its prose is not a ``{term}`` link, or whose
  ``{term}`` role names a term the glossary lacks; it exits with 1 if any;
- ``python -m tools.glossary`` (``make glossary-links``) adds the missing
  links: it wraps the first prose use of each unlinked term in
  ``{term}`text <term>```, leaving code, maths, roles, links, headings and
  directive lines alone. Run it after writing new prose, then read the diff.

A chapter is every page of ``_toc.yml`` except the landing page, the glossary
and the errata appendix; a GPU chapter is read from ``book/gpu/<name>.md``
(``make gpu-pending`` then copies its prose into the stored notebook).

A "use" is the term as a whole word, in any case (an acronym such as CUDA or
SGD only in its own case), optionally with a plural ``s``/``es``. A few terms
have everyday meanings elsewhere in the book (an autograd *node* is not a
machine; a convolution *kernel* is not a GPU kernel): ``ONLY_IN`` limits them
to the chapters where the glossary's sense is the one meant.
"""
from __future__ import annotations

import argparse
import re
import sys
from dataclasses import dataclass
from pathlib import Path

import yaml

from tools.wordcount import page_source

ROOT = Path(__file__).resolve().parents[1]
GLOSSARY = "book/glossary.md"
#: Pages of the book that are not chapters (the landing page, and appendices that define terms or list sources).
NOT_CHAPTERS = {"book/intro", "book/glossary", "book/errata", "book/references"}
#: Terms whose glossary sense holds only in these pages (by page name); elsewhere the word means something else.
ONLY_IN: dict[str, set[str]] = {
    **{term: {"distributed"} for term in (
        "node", "rank", "local rank", "world size", "process group", "rendezvous", "global batch",
        "communication backend", "all-reduce", "FSDP", "data parallelism", "DistributedDataParallel")},
    "kernel": {"training_on_gpu", "going_fast", "distributed"},
}

#: Every chapter opens with a line naming the original's section, and some sections with one
#: naming its subsection: quotations of the original, left as they are.
ORIGINAL_LINE = ("*Original section:", "*Original subsection")
_FENCE = re.compile(r"^(`{3,}|:{3,})")
_ROLE_TERM = re.compile(r"\{term\}`(?P<body>[^`]*)`")
# Spans of a prose line that are not prose: roles, inline code, inline maths, links, bold-less HTML.
_MASK = re.compile(r"\{[\w:.-]+\}`[^`]*`|`[^`]*`|\$[^$]+\$|\[[^\]]*\]\([^)]*\)|<[^>]+>")


@dataclass(frozen=True)
class Use:
    """One use of a term in a chapter: where it is and whether it is a ``{term}`` link."""
    term: str
    offset: int
    linked: bool


def glossary_terms(root: Path = ROOT) -> list[str]:
    """The terms of the glossary directive, in file order."""
    text = (root / GLOSSARY).read_text(encoding="utf-8")
    block = re.search(r"^:::\{glossary\}\n(.*?)^:::$", text, re.S | re.M)
    if not block:
        raise ValueError(f"{root / GLOSSARY} has no :::{{glossary}} block")
    return [line.strip() for line in block.group(1).splitlines()
            if line.strip() and not line.startswith((" ", ":"))]


def chapters(root: Path = ROOT) -> list[Path]:
    """The source of every chapter of ``_toc.yml`` (a GPU chapter's ``book/gpu/<name>.md``)."""
    toc = yaml.safe_load((root / "_toc.yml").read_text(encoding="utf-8"))
    return [page_source(root, entry["file"]) for part in toc.get("parts", []) for entry in part.get("chapters", [])
            if re.sub(r"\.(md|ipynb)$", "", entry["file"]) not in NOT_CHAPTERS]


def prose_ranges(text: str) -> list[tuple[int, int]]:
    """Character ranges of ``text`` that are prose lines: not front matter, code, directives or headings."""
    ranges, offset, fence = [], 0, None
    lines = text.splitlines(keepends=True)
    in_front = bool(lines) and lines[0].strip() == "---"
    in_math = False
    for i, line in enumerate(lines):
        start, offset = offset, offset + len(line)
        stripped = line.strip()
        if in_front:
            in_front = not (i > 0 and stripped == "---")
            continue
        if fence:  # inside a backtick fence: code, a code cell or a directive
            if stripped.startswith(fence) and stripped.strip("`") == "":
                fence = None
            continue
        m = _FENCE.match(stripped)
        if m and m.group(1)[0] == "`":
            fence = m.group(1)
            continue
        if stripped.startswith("$$"):
            in_math = not (len(stripped) > 2 and stripped.endswith("$$")) and not in_math
            continue
        if in_math or m or not stripped or stripped.startswith(("#", ":", "%", "+++", *ORIGINAL_LINE)) \
                or re.fullmatch(r"\(.+\)=", stripped):
            continue
        ranges.append((start, offset))
    return ranges


def _pattern(term: str) -> re.Pattern[str]:
    acronym = term.isupper() or any(c.isupper() for c in term[1:])
    words = r"[\s]+".join(re.escape(w) for w in term.split())  # a term may wrap across lines
    return re.compile(rf"(?<![\w-]){words}(?:e?s)?(?![\w-])", 0 if acronym else re.I)


def uses(text: str, terms: list[str]) -> list[Use]:
    """Every use of every term in the prose of ``text``, linked or not, longest terms first for overlaps."""
    found: list[Use] = []
    taken: list[tuple[int, int]] = []
    ranges = prose_ranges(text)
    for start, end in ranges:
        for role in _ROLE_TERM.finditer(text, start, end):
            body = role.group("body")
            target = re.search(r"<([^>]*)>$", body)
            found.append(Use((target.group(1) if target else body).strip(), role.start(), True))
    masked = _masked(text, ranges)
    for term in sorted(terms, key=len, reverse=True):
        for m in _pattern(term).finditer(masked):
            span = (m.start(), m.end())
            if any(a < span[1] and span[0] < b for a, b in taken):
                continue
            taken.append(span)
            found.append(Use(term, m.start(), False))
    return sorted(found, key=lambda u: u.offset)


def _masked(text: str, ranges: list[tuple[int, int]]) -> str:
    """``text`` with everything outside its prose ``ranges`` replaced by NUL characters (offsets kept)."""
    out = ["\0"] * len(text)
    for start, end in ranges:
        # join the prose line by line, masking roles, code, maths and links inside it
        segment = _MASK.sub(lambda m: "\0" * len(m.group()), text[start:end])
        out[start:end] = segment
    return "".join(out)


def _allowed(term: str, page: str) -> bool:
    return page in ONLY_IN.get(term, {page})


def problems(source: Path, terms: list[str]) -> list[str]:
    """What is wrong with one chapter: unknown ``{term}`` targets, and first uses that are not links."""
    text = source.read_text(encoding="utf-8")
    known = {t.lower() for t in terms}
    found, seen, out = uses(text, terms), set(), []
    for use in found:
        line = text.count("\n", 0, use.offset) + 1
        if use.linked and use.term.lower() not in known:
            out.append(f"{source.name}:{line}: {{term}} names {use.term!r}, which the glossary lacks")
        key = use.term.lower()
        if key in seen or not _allowed(use.term, source.stem):
            continue
        seen.add(key)
        if not use.linked:
            out.append(f"{source.name}:{line}: first use of {use.term!r} is not a {{term}} link")
    return out


def link_first_uses(text: str, terms: list[str], page: str) -> str:
    """``text`` with the first use of each term that has no earlier link wrapped in a ``{term}`` role."""
    first: dict[str, Use] = {}
    for use in uses(text, terms):
        if _allowed(use.term, page):
            first.setdefault(use.term.lower(), use)
    edits = sorted((u for u in first.values() if not u.linked), key=lambda u: u.offset, reverse=True)
    for use in edits:
        m = _pattern(use.term).match(text, use.offset)
        words = " ".join(m.group().split())  # a term wrapped across lines becomes one line
        role = f"{{term}}`{words}`" if words == use.term else f"{{term}}`{words} <{use.term}>`"
        text = text[:use.offset] + role + text[m.end():]
    return text


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only list missing links; exit 1 if any")
    args = parser.parse_args(argv)
    terms = glossary_terms()
    if args.check:
        found = [p for source in chapters() for p in problems(source, terms)]
        print("\n".join(found) or f"glossary: every chapter links its first use of each of {len(terms)} terms")
        return 1 if found else 0
    for source in chapters():
        text = source.read_text(encoding="utf-8")
        new = link_first_uses(text, terms, source.stem)
        if new != text:
            source.write_text(new, encoding="utf-8")
            print(f"glossary: linked {new.count('{term}') - text.count('{term}')} terms in {source.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
