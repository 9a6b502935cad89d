"""The Chinese edition: one set of chapters, executed once, in two languages.

The English site is what ``jb build`` makes. The Chinese site is the same
Sphinx project built again with ``language = zh_CN``: Sphinx's gettext
machinery swaps every paragraph, heading and caption for its translation in
``locales/zh_CN/LC_MESSAGES/<docname>.po``, while code cells, their outputs
and glued values come from the same jupyter-cache as the English build, so no
chapter runs twice and the two languages cannot show different numbers.

Jupyter Book 1 passes no ``-D`` overrides to Sphinx (jupyter-book#1791), so
this module calls its Python entry point, ``jupyter_book.sphinx.build_sphinx``,
with the book's own ``_config.yml`` and a few overrides (:func:`overrides`).

Commands (``python -m tools.i18n ...``; the Makefile wraps them):

* ``build``   the Chinese site into ``_build/html/zh_CN`` (after ``jb build``);
* ``pdf``     the Chinese PDF, ``_build/zh_CN/latex/learn-pytorch-in-one-hour.pdf``;
* ``extract`` the message catalogue (``.pot``) of the English sources;
* ``update``  extract, then merge into the ``.po`` files (``make translations``);
* ``check``   fail, naming the strings, on any untranslated, fuzzy or obsolete
  entry, a translation that drops or alters markup, or a catalogue that is
  out of date with the sources (README, "The Chinese edition").
"""
from __future__ import annotations

import argparse
import ast
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
LANGUAGE = "zh_CN"
LOCALES = ROOT / "locales"
CATALOGS = LOCALES / LANGUAGE / "LC_MESSAGES"
BUILD = ROOT / "_build"
#: Where the Chinese site is built: its own folder, because myst-nb writes
#: executed outputs beside the output folder (``<outdir>/../jupyter_execute``),
#: which must not land inside the published site.
ZH_BUILD = BUILD / LANGUAGE / "html"
#: Where it is published: a folder of the English site, so that the one site
#: serves both (``/book/...`` and ``/zh_CN/book/...``).
ZH_HTML = BUILD / "html" / LANGUAGE


def overrides(language: str) -> dict[str, object]:
    """Sphinx settings that differ from ``_config.yml`` for ``language``.

    The execution cache is named explicitly: myst-nb would otherwise look for
    it beside the output folder, which for ``_build/html/zh_CN`` is not
    ``_build``.
    """
    settings: dict[str, object] = {
        "language": language,
        "nb_execution_cache_path": str(BUILD / ".jupyter_cache"),
        "external_toc_path": str(ROOT / "_toc.yml"),
        "latex_individualpages": False,
    }
    if language == LANGUAGE:
        config = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
        settings |= {
            "html_search_language": "zh",
            "html_title": "一小时学会 PyTorch",
            "html_baseurl": config["html"]["baseurl"] + f"{LANGUAGE}/",
        }
        # myst-nb's "Show code cell content" toggles and sphinx-togglebutton's hints on
        # dropdowns are settings, not gettext strings:
        # their translations are in sphinx.po (book/_templates/ui-strings.html).
        ui = ui_messages(language)
        for setting, english in (("nb_code_prompt_show", "Show code cell {type}"),
                                 ("nb_code_prompt_hide", "Hide code cell {type}"),
                                 ("togglebutton_hint", "Click to show"),
                                 ("togglebutton_hint_hide", "Click to hide")):
            if english in ui:
                settings[setting] = ui[english]
    return settings


def sphinx_build(builder: str, outdir: Path, language: str, doctrees: Path) -> int:
    """Build the book with Jupyter Book's configuration; the exit status."""
    from jupyter_book.sphinx import build_sphinx

    result = build_sphinx(
        ROOT,
        outdir,
        noconfig=True,
        path_config=str(ROOT / "_config.yml"),
        confoverrides=overrides(language),
        doctreedir=doctrees,
        builder=builder,
        warningiserror=True,
        keep_going=True,
        quiet=True,
    )
    if isinstance(result, Exception):
        raise result
    return int(result)


def build() -> int:
    """The Chinese HTML site, from the English build's execution cache, into ``zh_CN/``.

    Run after ``jb build`` (``make book``): the English build has executed
    every chapter, so this one only reads the cache.
    """
    status = sphinx_build("html", ZH_BUILD, LANGUAGE, BUILD / LANGUAGE / ".doctrees")
    if status == 0:
        publish(ZH_BUILD, ZH_HTML)
    return status


def publish(built: Path, site: Path) -> None:
    """Replace ``site`` by a copy of ``built``, keeping its ``downloads/`` (``make downloads``)."""
    site.mkdir(parents=True, exist_ok=True)
    for entry in site.iterdir():
        if entry.name == "downloads":
            continue
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry)
        else:
            entry.unlink()
    shutil.copytree(built, site, dirs_exist_ok=True)


#: The Chinese PDF: the same LaTeX set-up as the English one (_config.yml ``latex:``).
ZH_LATEX = BUILD / LANGUAGE / "latex"


def pdf() -> int:
    """The Chinese PDF (``make pdf``), from the English build's execution cache.

    The same XeLaTeX route as ``jb build --builder pdflatex``: Sphinx's LaTeX
    builder, then ``make all-pdf`` in its output folder.
    """
    status = sphinx_build("latex", ZH_LATEX, LANGUAGE, BUILD / LANGUAGE / ".doctrees-latex")
    if status:
        return status
    return subprocess.call(["make", "all-pdf"], cwd=ZH_LATEX, stdout=subprocess.DEVNULL)


def extract(outdir: Path) -> int:
    """Write the message templates of the sources into ``outdir``.

    Sphinx's gettext builder writes one ``<docname>.pot`` per page (prose) and
    ``sphinx.pot`` (the templates' strings); :func:`write_glue_template` adds
    ``glue.pot``, the words that chapters glue into their prose, and
    :func:`write_comment_template` ``comments.pot``, the comments of their code cells.
    """
    status = sphinx_build("gettext", outdir, "en", BUILD / ".doctrees-gettext")
    if status == 0:
        write_glue_template(outdir / f"{GLUE_DOMAIN}.pot")
        write_comment_template(outdir / f"{COMMENT_DOMAIN}.pot")
    return status


# ---------------------------------------------------------------- glued words

#: The catalogue of glued words (``glue.po``), read by book/_ext/book_i18n.py.
GLUE_DOMAIN = "glue"


def _branches(node: ast.expr, names: dict[str, ast.expr] | None = None) -> list[str]:
    """The strings a glued value's expression can evaluate to.

    A literal, either arm of a conditional expression, the text of a
    ``Markdown(...)``, and an f-string as a pattern with ``{}`` for each
    formatted field; a variable that the same cell assigns (``names``), what
    it was assigned; anything else (a number) is not a phrase.
    """
    names = names or {}
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.IfExp):
        return _branches(node.body, names) + _branches(node.orelse, names)
    if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "Markdown" and node.args:
        return _branches(node.args[0], names)
    if isinstance(node, ast.Name) and node.id in names:
        return _branches(names.pop(node.id), names)  # popped: no endless loop on x = f(x)
    if isinstance(node, ast.JoinedStr):
        return ["".join(v.value if isinstance(v, ast.Constant) else "{}" for v in node.values)]
    return []


def _code_trees(source: str) -> list[ast.Module]:
    """The parsed code cells of a MyST chapter (IPython magics and shell lines blanked)."""
    import jupytext

    return [ast.parse("\n".join("" if line.lstrip().startswith(("%", "!")) else line
                                for line in cell.source.splitlines()))
            for cell in jupytext.reads(source, fmt="md:myst").cells if cell.cell_type == "code"]


def glued_phrases(source: str) -> list[tuple[str, str]]:
    """Phrases of English glued by a chapter's code cells, as (glue key, phrase).

    The verdicts ("faster than", "**meets**") are chosen by the code at
    build time, so the catalogue holds every string the code can glue, found
    by reading the code (:func:`_branches`), not only the ones this build chose.
    """
    phrases: list[tuple[str, str]] = []
    for tree in _code_trees(source):
        assigned = {node.targets[0].id: node.value for node in ast.walk(tree)
                    if isinstance(node, ast.Assign) and len(node.targets) == 1
                    and isinstance(node.targets[0], ast.Name)}
        for call in ast.walk(tree):
            if not (isinstance(call, ast.Call) and getattr(call.func, "id", None) == "glue"
                    and len(call.args) >= 2):
                continue
            keys = _branches(call.args[0])  # a constant, or an f-string: "ct_th_verdict{}"
            for phrase in _branches(call.args[1], dict(assigned)) if len(keys) == 1 else []:
                key = keys[0]
                if re.search(r"[A-Za-z]{2}", phrase.replace("{}", "")) and (key, phrase) not in phrases:
                    phrases.append((key, phrase))
    return phrases


def class_names(source: str) -> list[str]:
    """The names in a chapter's ``classes = (...)`` tuples (the original's spelling: plane, car)."""
    names: list[str] = []
    for tree in _code_trees(source):
        for node in ast.walk(tree):
            if (isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "classes" for t in node.targets)
                    and isinstance(node.value, (ast.Tuple, ast.List))):
                names += [e.value for e in node.value.elts
                          if isinstance(e, ast.Constant) and isinstance(e.value, str) and e.value not in names]
    return names


def alt_texts(source: str) -> list[str]:
    """The ``alt`` option of every figure directive in a page's source (``:alt:`` or YAML ``alt:``).

    Glued figures get their image in myst-nb's glue step, after Sphinx has
    extracted and translated the page's messages, so their descriptions are
    never gettext messages: they are catalogued here, in ``glue.po``.
    """
    found = []
    for match in re.finditer(r"^[ \t]*(?::alt:|alt:)[ \t]*(.+)$", source, re.MULTILINE):
        value = match.group(1).strip()
        value = str(yaml.safe_load(value)) if value[:1] in "'\"" else value
        if value not in found:
            found.append(value)
    return found


def write_glue_template(path: Path) -> None:
    """``glue.pot``: every phrase the chapters can glue, CIFAR-10's class names
    (``blitz.data.CLASSES`` and the chapters' ``classes`` tuples), and the
    figures' descriptions (context ``alt``, :func:`alt_texts`).

    Each phrase has its glue key as context (``msgctxt``): the same English
    ("faster than") may need different Chinese in different sentences. A key
    made by an f-string is a pattern (``ct_th_verdict{}``).
    A class name has the context ``class``.
    """
    from babel.messages.catalog import Catalog
    from babel.messages.pofile import write_po

    from blitz.data import CLASSES
    from tools.wordcount import page_source

    catalog = Catalog(project="Learn PyTorch in One Hour", charset="utf-8")
    classes = list(CLASSES)
    for file in toc_files():
        source = page_source(ROOT, file)
        name, text = source.relative_to(ROOT).as_posix(), source.read_text(encoding="utf-8")
        for key, phrase in glued_phrases(text):
            catalog.add(phrase, context=key, auto_comments=[f"glued in {name}"],
                        flags=["python-brace-format"] if "{}" in phrase else [])
        classes += [c for c in class_names(text) if c not in classes]
        for alt in alt_texts(text):
            catalog.add(alt, context="alt", auto_comments=[f"a figure's description in {name}"])
    for name in classes:
        catalog.add(name, context="class", auto_comments=["a CIFAR-10 class (blitz.data.CLASSES)"])
    with path.open("wb") as handle:
        write_po(handle, catalog, omit_header=False, width=76)


#: The catalogue of code comments (``comments.po``), read by book/_ext/book_comments.py.
COMMENT_DOMAIN = "comments"


def code_comments(source: str) -> list[tuple[str, str]]:
    """(comment, the code line it sits on or above) for every comment a chapter's code cells translate."""
    import jupytext

    comments = book_extension("book_comments")
    found = []
    for cell in jupytext.reads(source, fmt="md:myst").cells:
        if cell.cell_type != "code":
            continue
        found += [(message.text, comments.anchor(cell.source, message).strip())
                  for message in comments.messages(cell.source)]
    return found


def write_comment_template(path: Path) -> None:
    """``comments.pot``: every comment of the chapters' code cells (book/_ext/book_comments.py).

    One entry per distinct comment, whatever page it is on: a comment reads
    the same everywhere. Each entry names the pages and the line of code the
    comment explains, for the translator.
    """
    from babel.messages.catalog import Catalog
    from babel.messages.pofile import write_po

    from tools.wordcount import page_source

    catalog = Catalog(project="Learn PyTorch in One Hour", charset="utf-8")
    for file in toc_files():
        source = page_source(ROOT, file)
        name = source.relative_to(ROOT).as_posix()
        for text, code in code_comments(source.read_text(encoding="utf-8")):
            note = f"in {name}" + (f", on or above: {code[:60]}" if code else "")
            if text in catalog:
                catalog[text].auto_comments.append(note)
            else:
                catalog.add(text, auto_comments=[note])
    with path.open("wb") as handle:
        write_po(handle, catalog, omit_header=False, width=76)


def page_source_text(page: str) -> str:
    """The MyST source of a page (``book/tensors``; a GPU chapter's ``book/gpu/<name>.md``)."""
    from tools.wordcount import page_source

    return page_source(ROOT, page).read_text(encoding="utf-8")


def toc_files() -> list[str]:
    """Every page of ``_toc.yml``, in order: the root page, then every ``file:``."""
    from tools.toc import pages

    return pages(ROOT)


# ---------------------------------------------------------------- translating Markdown

def catalog_messages(path: Path) -> dict[str, str]:
    """The translated entries of a ``.po`` file (msgid -> msgstr; fuzzy ones left out)."""
    from babel.messages.pofile import read_po

    if not path.is_file():
        return {}
    with path.open("rb") as handle:
        return {m.id: m.string for m in read_po(handle) if m.id and m.string and not m.fuzzy
                and not m.context}


def page_messages(docname: str, language: str = LANGUAGE) -> dict[str, str]:
    """The translations of one page (``book/tensors``): its ``.po`` file's entries."""
    return catalog_messages(LOCALES / language / "LC_MESSAGES" / f"{docname}.po")


def ui_messages(language: str = LANGUAGE) -> dict[str, str]:
    """The translations of the site's own strings (``sphinx.po``: templates, book_site, notebooks)."""
    return catalog_messages(LOCALES / language / "LC_MESSAGES" / "sphinx.po")


class Untranslated(KeyError):
    """A block of a page's Markdown has no translation in its catalogue."""


_HEADING = re.compile(r"^(?P<hashes>#{1,6})\s+(?P<title>.*?)\s*$")
_ITEM = re.compile(r"^(?P<prefix>\s*(?:[-*+]|\d+[.)])\s+)(?P<rest>.*)$")


def translate_markdown(text: str, messages: dict[str, str]) -> str:
    """MyST prose with every heading, paragraph and list item replaced by its translation.

    A message is what Sphinx extracts: a paragraph's source lines, stripped
    and joined with spaces; a heading's title; a list item's text without its
    marker. Display maths (``$$``) is not a message and stays. A block with
    no translation raises :class:`Untranslated`, naming it: the catalogue is
    behind the sources (``make translations``).
    """
    blocks = re.split(r"(\n[ \t]*\n)", text)
    return "".join(block if not block.strip() or block.lstrip().startswith("$$")
                   else _translate_block(block, messages) for block in blocks)


def _groups(lines: list[str]) -> list[list[str]]:
    """A block's lines, one group per message: headings alone, items at their markers."""
    groups: list[list[str]] = []
    in_list = bool(lines) and bool(_ITEM.match(lines[0]))
    for line in lines:
        item = _ITEM.match(line)
        # CommonMark: inside a paragraph, only a bullet or "1." starts a list ("255. The" does not).
        starts_item = item and (in_list or not re.match(r"\s*\d", line) or re.match(r"\s*1[.)]", line))
        if not groups or _HEADING.match(line) or starts_item or _HEADING.match(groups[-1][0]):
            groups.append([line])
        else:
            groups[-1].append(line)
    return groups


def _translate_block(block: str, messages: dict[str, str]) -> str:
    def lookup(message: str) -> str:
        if message in messages:
            return messages[message]
        if not re.search(r"[A-Za-z]{2}", re.sub(r"\{[\w:.-]+\}`[^`]*`|`[^`]*`", "", message)):
            return message  # only roles, code or numbers: nothing to translate
        raise Untranslated(message)

    blank = block[:len(block) - len(block.lstrip())]
    lead = blank[:blank.rfind("\n") + 1]  # whole blank lines only: the first line keeps its indent
    core = block[len(lead):].rstrip()
    trail = block[len(lead) + len(core):]
    out = []
    for group in _groups(core.split("\n")):
        heading, item = _HEADING.match(group[0]), _ITEM.match(group[0])
        if heading and len(group) == 1:
            out.append(f"{heading['hashes']} {lookup(heading['title'])}")
        elif item:
            text = " ".join([item["rest"].strip(), *(line.strip() for line in group[1:])]).strip()
            out.append(item["prefix"] + lookup(text))
        else:
            indent = re.match(r"[ \t]*", group[0]).group()
            out.append(indent + lookup(" ".join(line.strip() for line in group).strip()))
    return lead + "\n".join(out) + trail


def book_extension(name: str):
    """A module of the site's extensions in book/_ext (``book_i18n``, ``book_comments``),
    whose translators the notebooks share."""
    import importlib

    ext = str(ROOT / "book" / "_ext")
    if ext not in sys.path:
        sys.path.insert(0, ext)
    return importlib.import_module(name)


def book_i18n():
    """book/_ext/book_i18n.py, the site's extension, whose glued-word translator the notebooks share."""
    return book_extension("book_i18n")


def comment_words(language: str = LANGUAGE) -> dict[str, str]:
    """English code comment -> translation, from ``comments.po`` (as the site reads it)."""
    return book_extension("book_comments").catalog_for(language, LOCALES)


def glue_words(language: str = LANGUAGE) -> dict[tuple[str, str], str]:
    """(glue key or "class", English) -> translation, from ``glue.po`` (as the site reads it)."""
    path = LOCALES / language / "LC_MESSAGES" / f"{GLUE_DOMAIN}.po"
    return book_i18n().glue_catalog(path, path.stat().st_mtime) if path.is_file() else {}


# ---------------------------------------------------------------- checks

#: Roles whose text a translation may change, as long as it keeps the target:
#: {term}`张量 <tensor>` for {term}`tensor`.
TITLED_ROLES = {"term", "ref", "numref", "doc", "download", "eq", "site-download"}
#: Markup left as plain text after parsing: a sign that a translation broke it
#: (CommonMark does not close ``**“张量”**是``: the closing ``**`` follows
#: punctuation and precedes a letter).
STRAY = re.compile(r"\*\*|\*|(?<!\\)`|\{[a-z:]+\}")


@lru_cache(maxsize=1)
def _parser():
    """The MyST Markdown parser with the book's extensions (``_config.yml``)."""
    from markdown_it.renderer import RendererHTML
    from myst_parser.config.main import MdParserConfig
    from myst_parser.parsers.mdit import create_md_parser

    config = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
    extensions = set(config["parse"]["myst_enable_extensions"])
    return create_md_parser(MdParserConfig(enable_extensions=extensions), RendererHTML)


@dataclass(frozen=True)
class Markup:
    """What a message's translation must keep: roles, code, maths and links."""

    roles: tuple[tuple[str, str], ...]
    code: tuple[str, ...]
    maths: tuple[str, ...]
    links: tuple[str, ...]
    stray: tuple[str, ...]


def _role_key(name: str, content: str) -> tuple[str, str]:
    if name in TITLED_ROLES:
        titled = re.fullmatch(r"(?s).*<([^<>]+)>\s*", content)
        return name, (titled.group(1) if titled else content).strip()
    return name, content


def markup(message: str) -> Markup:
    """The markup of one message (a paragraph, heading or caption of MyST)."""
    roles, code, maths, links, stray = [], [], [], [], []
    # An escaped star is a star, not markup: hide it from the stray-markup search.
    message = message.replace("\\*", "\ue000")
    for block in _parser().parse(message):
        for token in block.children or []:
            if token.type == "myst_role":
                roles.append(_role_key(token.meta["name"], token.content))
            elif token.type == "code_inline":
                code.append(token.content)
            elif token.type in ("math_inline", "math_single"):
                maths.append(token.content)
            elif token.type in ("link_open", "image"):
                links.append(str(token.attrs.get("href") or token.attrs.get("src")))
            elif token.type == "text":
                stray += STRAY.findall(token.content)
    return Markup(*(tuple(sorted(x)) for x in (roles, code, maths, links, stray)))


def markup_problems(msgid: str, msgstr: str) -> list[str]:
    """How ``msgstr`` fails to keep the markup of ``msgid`` (empty: it keeps it)."""
    source, target = markup(msgid), markup(msgstr)
    problems = []
    for name in ("roles", "code", "maths", "links"):
        want, got = getattr(source, name), getattr(target, name)
        if want != got:
            missing = sorted(set(want) - set(got))
            extra = sorted(set(got) - set(want))
            problems.append(f"{name} differ (missing {missing}, added {extra})")
    if msgid.count("{}") != msgstr.count("{}"):
        problems.append("a glued pattern's {} placeholders differ")
    stray = set(target.stray) - set(source.stray)
    if stray:
        problems.append(f"unparsed markup {sorted(stray)} (CJK punctuation beside ** or a role?)")
    if TYPED_CHAPTER_NUMBER.search(msgstr):
        problems.append("a typed chapter number around a chapter reference: the build writes "
                        "第 N 章（title） itself (book_i18n.NumberedChapterRefs); keep only {ref}`label`")
    return problems


#: What a code comment's translation must keep: calls, attributes, names_with_underscores,
#: keyword=values and numbers (``root='./data'``, ``x.view(-1, 8)``, ``4``).
CODE_IN_COMMENT = re.compile(r"\w[\w.]*\([^()]*\)|\w+(?:\.\w+)+|\w*_\w+|\w+=[^\s，。；：）]+|\d+(?:\.\d+)?",
                             re.ASCII)


def comment_problems(msgid: str, msgstr: str) -> list[str]:
    """How a code comment's translation fails to keep the code and numbers it names."""
    from collections import Counter

    want = Counter(t for t in CODE_IN_COMMENT.findall(msgid) if t not in ("e.g", "i.e"))
    missing = sorted((want - Counter(CODE_IN_COMMENT.findall(msgstr))).elements())
    return [f"code or numbers of the comment missing from the translation: {missing}"] if missing else []


#: Full-width punctuation carries its own spacing: no space beside it (``即 “airbench” 系列``).
SPACED_PUNCTUATION = re.compile(r"[ \t][，。：；！？（）“”「」、《》]|[，。：；！？（）“”「」、《》][ \t]")
#: A number, or a glued value, then % with no space (the book writes ``95.3 %``, as the outputs do).
TIGHT_PERCENT = re.compile(r"[\d`]%")
#: Seconds written ``s`` in a Chinese sentence: the Chinese pages write 秒 (``12 秒``).
SECONDS_AS_S = re.compile(r"[\d`] ?s(?![A-Za-z/])")


#: A space between Chinese and a {ref}: the reference renders as Chinese (第 4 章（…）, a
#: translated section title), so the space would show between two Chinese words.
SPACED_REF = re.compile(r"[\u4e00-\u9fff，。：；！？（）“”、《》] \{ref\}`|\{ref\}`[^`]*` [\u4e00-\u9fff，。：；！？（）“”、《》]")


def chinese_style_problems(msgstr: str) -> list[str]:
    """The translators' guide's rules for punctuation and numbers (locales/zh_CN/README.md)."""
    problems = []
    spaced_ref = SPACED_REF.search(msgstr)
    if spaced_ref:
        problems.append(f"no space between Chinese and a {{ref}}, which renders as Chinese: {spaced_ref.group()!r}")
    prose = re.sub(r"`[^`]*`", "`x`", msgstr.replace("\n", " "))  # code and roles' contents are not prose
    prose = re.sub(r"\*[^*\u4e00-\u9fff]+\*", "*x*", prose)  # nor an English title quoted in italics
    spaced = SPACED_PUNCTUATION.search(prose)
    if spaced:
        problems.append(f"a space beside full-width punctuation: {spaced.group()!r}")
    if TIGHT_PERCENT.search(prose):
        problems.append("a number and % need a space between them (95.3 %)")
    if SECONDS_AS_S.search(prose):
        problems.append("seconds are 秒 in a Chinese sentence (12 秒), not s")
    return problems


def inconsistent_translations(paths: list[Path]) -> list[str]:
    """English strings that two page catalogues translate differently: one msgid, one translation."""
    from babel.messages.pofile import read_po

    seen: dict[str, dict[str, str]] = {}
    for path in paths:
        if path.stem in (COMMENT_DOMAIN, GLUE_DOMAIN, "sphinx"):
            continue
        with path.open("rb") as handle:
            for message in read_po(handle):
                if message.id and message.string and not message.fuzzy:
                    seen.setdefault(message.id, {})[path.relative_to(CATALOGS).as_posix()] = message.string
    return [f"{message[:70]!r} is translated in {len(set(where.values()))} ways: "
            + "; ".join(f"{name}: {text[:40]!r}" for name, text in sorted(where.items()))
            for message, where in seen.items() if len(set(where.values())) > 1]


#: 第 4 章（{ref}`ch-cifar10`）or 第 4 章 {ref}`ch-cifar10`: the number is the build's job.
TYPED_CHAPTER_NUMBER = re.compile(r"第\s*\d+\s*章\s*[（(]?\s*\{ref\}`[^`<>]*`")


def catalogs() -> dict[str, Path]:
    """Every translation file by the page it translates ("book/tensors", "sphinx")."""
    return {
        path.relative_to(CATALOGS).with_suffix("").as_posix(): path
        for path in sorted(CATALOGS.rglob("*.po"))
    }


def catalog_problems(path: Path) -> list[str]:
    """Untranslated, fuzzy and obsolete entries of one ``.po`` file, and broken markup."""
    from babel.messages.pofile import read_po

    with path.open("rb") as handle:
        catalog = read_po(handle)
    problems = []
    for message in catalog:
        if not message.id:
            continue
        where = f"{path.relative_to(ROOT)}: {message.id[:70]!r}"
        if not message.string:
            problems.append(f"{where}: untranslated")
        elif message.fuzzy:
            problems.append(f"{where}: fuzzy")
        elif message.id.startswith("\n") and message.string != message.id:
            # Display maths ($$...$$) is a message too, but Sphinx would parse its
            # translation as Markdown and break it: it must stay as it is.
            problems.append(f"{where}: display maths must be copied unchanged (msgstr = msgid)")
        elif path.stem == COMMENT_DOMAIN:
            problems += [f"{where}: {p}" for p in comment_problems(message.id, message.string)]
        else:
            problems += [f"{where}: {p}" for p in chinese_style_problems(message.string)
                         + markup_problems(message.id, message.string)]
    problems += [f"{path.relative_to(ROOT)}: {mid[:70]!r}: obsolete" for mid in catalog.obsolete]
    return problems


def messages(path: Path) -> set[str]:
    """The messages of a ``.pot`` or ``.po`` file (``context|id`` where there is a context)."""
    from babel.messages.pofile import read_po

    with path.open("rb") as handle:
        return {f"{m.context}|{m.id}" if m.context else m.id for m in read_po(handle) if m.id}


def staleness(templates: Path) -> list[str]:
    """How the ``.po`` files differ from a fresh extraction in ``templates``."""
    fresh = {
        path.relative_to(templates).with_suffix("").as_posix(): path
        for path in sorted(templates.rglob("*.pot"))
    }
    have = catalogs()
    problems = [f"{name}: no translation file (run make translations)" for name in sorted(set(fresh) - set(have))]
    problems += [f"{name}: translates a page that no longer exists" for name in sorted(set(have) - set(fresh))]
    for name in sorted(set(fresh) & set(have)):
        new = messages(fresh[name]) - messages(have[name])
        gone = messages(have[name]) - messages(fresh[name])
        problems += [f"{name}: new English string, not in the catalogue: {m[:70]!r}" for m in sorted(new)]
        problems += [f"{name}: string no longer in the sources: {m[:70]!r}" for m in sorted(gone)]
    return problems


def check(files: list[str], fresh: bool) -> list[str]:
    """Every problem of the named catalogues (all when none is named)."""
    paths = [Path(f).resolve() for f in files] or list(catalogs().values())
    problems = [p for path in paths for p in catalog_problems(path)]
    problems += inconsistent_translations(paths)
    if fresh:
        with tempfile.TemporaryDirectory() as templates:
            if extract(Path(templates)):
                problems.append("extracting the message catalogue failed")
            problems += staleness(Path(templates))
    return problems


def update() -> int:
    """Extract, then merge into the ``.po`` files (sphinx-intl): ``make translations``."""
    if extract(BUILD / "gettext"):
        return 1
    return subprocess.call(
        [sys.executable, "-m", "sphinx_intl", "update", "-p", str(BUILD / "gettext"),
         "-l", LANGUAGE, "-d", str(LOCALES)]
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.i18n", description=__doc__.split("\n")[0])
    parser.add_argument("command", choices=["build", "pdf", "extract", "update", "check"])
    parser.add_argument("files", nargs="*", help="check: only these .po files")
    parser.add_argument("--no-extract", action="store_true",
                        help="check: skip comparing with a fresh extraction of the sources")
    args = parser.parse_intermixed_args(argv)
    if args.command == "build":
        return build()
    if args.command == "pdf":
        return pdf()
    if args.command == "extract":
        return extract(BUILD / "gettext")
    if args.command == "update":
        return update()
    problems = check(args.files, fresh=not (args.no_extract or args.files))
    print("\n".join(problems) or "translations: complete and up to date")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
