"""Generate the runnable notebooks (notebooks/<chapter>.ipynb) that Colab and Binder open.

A notebook reads like the chapter's page, not like its MyST source: the book
is built first (``make notebooks`` depends on ``make book``) and this module
rewrites each chapter with what the build produced.

* **Markdown.** Every ``literalinclude`` becomes the code it shows (a Markdown
  code block, read by Sphinx's own reader, so it is the page's code); every
  glue role becomes its value formatted as the page shows it (myst-nb's own
  formatter, on the outputs of the executed chapter in the build's
  jupyter-cache, or of a GPU chapter's stored notebook); a glued figure becomes
  a Markdown image attached to its cell, with its caption and number;
  admonitions become titled block quotes, dropdowns ``<details>``;
  cross-references become links to the page on the published site
  (``html: baseurl:`` in ``_config.yml``, titles and anchors from the build's
  ``objects.inv``, figure numbers from the built page), glossary terms
  (``{term}``) links to their entry on the glossary page, ``{download}``
  links to the file as the site serves it, citations (``{cite:p}``,
  ``{cite:t}``, ``{cite:alp}``) the author-year text the page shows (from the
  bibliography files of ``_config.yml``), linked to the references page;
  labels disappear.
  Syntax this rewrite does not know fails loudly, naming the chapter.
* **Code.** The chapter's code cells, with the build plumbing taken out:
  ``from myst_nb import glue`` and ``glue(...)`` statements (the reader's
  runtime has no myst-nb and needs none), and cells that only glue. Cells
  the page hides (``remove-cell``: set-up, checks) keep their code as cells
  marked hidden, since later cells may use what they define; exercise answers
  (``hide-cell``) become collapsed ``<details>`` with their code. Everything
  else is the chapter's code, unchanged (``tests/book/test_notebooks.py``
  checks both).
* **Install cell.** One cell first: install ``blitz`` from the exact commit
  whose ``code/`` the notebook was generated with (:func:`package_commit`).

Chapters are read from ``_toc.yml``: a new chapter gets a notebook with no edit
here. Why not sphinx-tojupyter (QuantEcon's builder): see README, "Run a
chapter in Colab or Binder".

Run ``make notebooks`` (``python -m tools.notebooks``) after editing a chapter.
"""
from __future__ import annotations

import argparse
import ast
import hashlib
import html
import posixpath
import re
import subprocess
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import jupytext
import nbformat
import yaml

from tools import gpu
from tools.toc import chapter_labels, toc_files
from tools.wordcount import exercises_level
from tools.i18n import (LANGUAGE, Untranslated, book_extension, book_i18n, comment_words, glue_words,
                        page_messages, translate_markdown, ui_messages)

#: The folder, relative to the repository root, that holds the generated notebooks.
NOTEBOOK_DIR = "notebooks"
#: The book's translations (tools/i18n.py): each has its site in ``_build/html/<language>/``
#: and its notebooks in ``notebooks/<language>/``.
TRANSLATIONS = (LANGUAGE,)


def language_folder(language: str) -> str:
    """``""`` for English, ``"zh_CN/"`` for a translation: where its site and notebooks live."""
    if language != "en" and language not in TRANSLATIONS:
        raise ValueError(f"unknown language {language!r} (the book has en and {', '.join(TRANSLATIONS)})")
    return "" if language == "en" else f"{language}/"
#: What the generator reads from the build (``make book``).
BUILD_DIR = "_build"
#: Paths whose content the install cell's commit must match (what ``pip install`` builds).
PACKAGE_PATHS = ("code", "pyproject.toml")

_LABEL = re.compile(r"^\(([^()\s]+)\)=\s*$")
_COMMENT = re.compile(r"^%(?!%).*$")
_FENCE = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|:{3,})(?P<rest>.*)$")
_DIRECTIVE = re.compile(r"^\{(?P<name>[\w:.-]+)\}\s*(?P<arg>.*)$")
_ROLE_OR_CODE = re.compile(r"\{(?P<name>[\w:.-]+)\}`(?P<content>[^`]*)`|(`+)[^`]+?\3")
#: What a glued value becomes with ``mask_glue`` (a notebook whose measured numbers do not matter).
GLUE_MASK = "\u27e8glued value\u27e9"


def masked_pattern(text: str) -> re.Pattern[str]:
    """``text`` (written with ``mask_glue``) as a pattern in which each :data:`GLUE_MASK` matches any text.

    A notebook generated with masked measurements matches a committed one
    whatever values that one's build glued.
    """
    return re.compile("(?s:.*?)".join(re.escape(part) for part in text.split(GLUE_MASK)), re.DOTALL)
_ADMONITIONS = {"admonition", "note", "warning", "tip", "important", "caution", "attention",
                "danger", "error", "hint", "seealso"}


class NotebookError(ValueError):
    """A chapter uses syntax the rewrite does not know, or the build it needs is missing."""


# --- the repository: config, chapters, commit -------------------------------

def _config(root: Path) -> dict:
    return yaml.safe_load((root / "_config.yml").read_text(encoding="utf-8")) or {}


def repository(root: Path) -> tuple[str, str]:
    """Return (url, branch) from ``_config.yml`` ``repository:``, the one place they are set."""
    repo = _config(root).get("repository") or {}
    if "url" not in repo:
        raise ValueError(f"{root / '_config.yml'} has no repository: url: (needed for the install cell)")
    return str(repo["url"]).rstrip("/"), str(repo.get("branch", "main"))


def site_url(root: Path) -> str:
    """The published site, ``html: baseurl:`` in ``_config.yml`` (ends with a slash)."""
    url = ((_config(root).get("html") or {}).get("baseurl") or "").strip()
    if not url:
        raise ValueError(f"{root / '_config.yml'} has no html: baseurl: (cross-references link there)")
    return url.rstrip("/") + "/"


def _is_notebook_source(path: Path) -> bool:
    """True for an .ipynb, or a MyST .md whose front matter declares a kernel."""
    if path.suffix == ".ipynb":
        return True
    text = path.read_text(encoding="utf-8")
    match = re.match(r"---\n(.*?)\n---\n", text, re.DOTALL)
    return bool(match and "kernelspec:" in match.group(1))


def chapters(root: Path) -> dict[str, Path]:
    """Map chapter name -> source for every notebook page listed in ``_toc.yml``.

    ``book/<name>.ipynb`` (a stored, executed GPU notebook) wins over
    ``book/<name>.md``; pages without a kernel (intro, appendices) are skipped.
    """
    toc = yaml.safe_load((root / "_toc.yml").read_text(encoding="utf-8"))
    found: dict[str, Path] = {}
    for entry in [toc.get("root", "")] + toc_files(toc):
        stem = root / re.sub(r"\.(md|ipynb)$", "", entry)
        for suffix in (".ipynb", ".md"):
            source = stem.with_suffix(suffix)
            if source.exists():
                if _is_notebook_source(source):
                    found[stem.name] = source
                break
    return found


def is_gpu_chapter(root: Path, name: str) -> bool:
    """A GPU chapter is one whose source lies in ``book/gpu/`` (README, "GPU chapters")."""
    return name in gpu.chapters(root)


def _git(root: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True)


def package_commit(root: Path) -> str:
    """The last commit that changed the package (``code/``, ``pyproject.toml``).

    The install cell installs ``blitz`` from it. Refuses when the working tree's
    package differs from that commit (commit the code first): the notebook
    would install code other than the code it was generated with.
    """
    log = _git(root, "log", "-1", "--format=%H", "--", *PACKAGE_PATHS)
    if log.returncode != 0 or not log.stdout.strip():
        raise NotebookError(f"{root} is not a git checkout with a committed package: {log.stderr.strip()}")
    commit = log.stdout.strip()
    if not package_matches(root, commit):
        raise NotebookError("code/ or pyproject.toml has uncommitted changes: commit them, then run "
                            "`make notebooks` (the install cell names the commit to install)")
    return commit


def package_matches(root: Path, commit: str) -> bool:
    """Whether ``commit``'s package (code/, pyproject.toml) equals the working tree's."""
    diff = _git(root, "diff", "--quiet", commit, "--", *PACKAGE_PATHS)
    untracked = _git(root, "ls-files", "--others", "--exclude-standard", "--", *PACKAGE_PATHS)
    return diff.returncode == 0 and not untracked.stdout.strip()


def torch_floor(root: Path) -> tuple[int, int]:
    """The oldest torch (major, minor) the package declares (pyproject.toml), tested weekly."""
    from tools.torch_versions import floors

    major, minor = floors(root / "pyproject.toml")["torch"].split(".")[:2]
    return int(major), int(minor)


def install_cell(url: str, commit: str) -> str:
    """The first cell of every notebook: install ``blitz`` at ``commit`` unless it is importable.

    pip keeps an installed torch/torchvision that satisfies the package's
    requirements (Colab's), so nothing large is downloaded. A torch older than
    the package's floor stops the cell with one line saying which is needed,
    before pip would download a new one (or a chapter fail later). ``BLITZ_SOURCE``
    lets a test install from a local checkout instead of GitHub.
    """
    floor = torch_floor(Path(__file__).resolve().parents[1])
    return f"""\
# Installs the book's package `blitz` at commit {commit[:12]} (the code shown here) unless present; keeps your torch.
import importlib.util, os, subprocess, sys
import torch

if tuple(int(n) for n in torch.__version__.split("+")[0].split(".")[:2]) < {floor}:
    raise SystemExit(f"This book needs torch >= {floor[0]}.{floor[1]}; this runtime has {{torch.__version__}}.")
if importlib.util.find_spec("blitz") is None:
    source = os.environ.get("BLITZ_SOURCE", "git+{url}@{commit}")
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", source], check=True)
    importlib.invalidate_caches()"""


# --- what the build produced ------------------------------------------------

def executed_notebook(root: Path, source: Path, nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """The executed chapter: a stored notebook as it is; a MyST chapter from the build's cache.

    jupyter-cache matches a notebook by the hash of its code cells, so a chapter
    edited since the last build is refused rather than given stale numbers.
    """
    if source.suffix == ".ipynb":
        return nb
    from jupyter_cache import get_cache

    cache_dir = root / BUILD_DIR / ".jupyter_cache"
    if not cache_dir.is_dir():
        raise NotebookError(f"no {cache_dir.relative_to(root)}: run `make book` first")
    try:
        record = get_cache(cache_dir).match_cache_notebook(nb)
    except KeyError:
        raise NotebookError(f"{source.relative_to(root)} has no executed copy in the build's cache "
                            "(edited since the last build?): run `make book` first") from None
    return get_cache(cache_dir).get_cache_bundle(record.pk).nb


def glue_outputs(nb: nbformat.NotebookNode) -> dict[str, dict]:
    """Map glue key -> mime bundle, from the ``scrapbook`` outputs ``myst_nb.glue`` leaves."""
    found = {}
    for cell in nb.cells:
        for out in cell.get("outputs", []) if cell.cell_type == "code" else []:
            scrapbook = out.get("metadata", {}).get("scrapbook", {})
            if scrapbook.get("name"):
                prefix = scrapbook.get("mime_prefix", "")
                found[scrapbook["name"]] = {mime.removeprefix(prefix): value
                                            for mime, value in out.get("data", {}).items()}
    return found


@dataclass
class SiteIndex:
    """Where every label of the built site lives, and how a page shows a reference to it."""

    base: str
    targets: dict[str, tuple[str, str]] = field(default_factory=dict)  # label -> (uri, title)
    numbers: dict[str, str] = field(default_factory=dict)  # figure label -> "Fig. 3.1"
    terms: dict[str, str] = field(default_factory=dict)  # glossary term, lower case -> uri
    downloads: set[str] | None = None  # files under _downloads/ in the built site (None: not checked)
    #: chapter label -> number, and how the language names a chapter it refers to (book_i18n.CHAPTER_REF)
    chapters: dict[str, int] = field(default_factory=dict)
    chapter_ref: str | None = None

    @classmethod
    def from_build(cls, root: Path, language: str = "en") -> SiteIndex:
        """The English site (``_build/html``) or a translation's (``_build/html/<language>``)."""
        from sphinx.util.inventory import InventoryFile

        html_dir = root / BUILD_DIR / "html" / language_folder(language)
        inv_path = html_dir / "objects.inv"
        if not inv_path.is_file():
            raise NotebookError(f"no {inv_path.relative_to(root)}: run `make book` first")
        with inv_path.open("rb") as f:
            inventory = InventoryFile.load(f, "", lambda base, uri: uri)
        index = cls(site_url(root) + language_folder(language), chapters=chapter_labels(root),
                    chapter_ref=book_i18n().CHAPTER_REF.get(language))
        for label, (_, _, uri, title) in inventory.get("std:label", {}).items():
            index.targets[label] = (uri, title)
        for term, (_, _, uri, _) in inventory.get("std:term", {}).items():
            index.terms[term.lower()] = uri
        index.downloads = {p.relative_to(html_dir).as_posix() for p in (html_dir / "_downloads").rglob("*")
                           if p.is_file()}
        for page in html_dir.rglob("*.html"):
            if language == "en" and page.relative_to(html_dir).parts[0] in TRANSLATIONS:
                continue  # a translation's pages, in a folder of the English site
            for fig_id, number in re.findall(
                    r'<figure[^>]*\bid="([^"]+)"[^>]*>.*?<span class="caption-number">([^<]+)</span>',
                    page.read_text(encoding="utf-8"), re.DOTALL):
                index.numbers[fig_id] = html.unescape(number).strip()
        return index

    def link(self, label: str, text: str | None, numbered: bool = False) -> str:
        if label not in self.targets:
            raise NotebookError(f"unknown reference target {label!r} (not in the build's objects.inv)")
        uri, title = self.targets[label]
        if numbered:
            number = self.numbers.get(label)
            if number is None:
                raise NotebookError(f"{{numref}} to {label!r}: no figure number on the built page")
            shown = (text or "Fig. %s").replace("%s", number.replace("Fig. ", "").strip())
            shown = shown if text else number
        elif text is None and self.chapter_ref and label in self.chapters:
            shown = self.chapter_ref.format(number=self.chapters[label], title=title)
        else:
            shown = text or title
        return f"[{shown}]({self.base}{uri})"

    def term(self, term: str, text: str | None) -> str:
        """A glossary term (``{term}``): its text, linked to its entry on the site's glossary page."""
        term = " ".join(term.split())
        uri = self.terms.get(term.lower())
        if uri is None:
            raise NotebookError(f"unknown glossary term {term!r} (not in the build's objects.inv)")
        return f"[{' '.join((text or term).split())}]({self.base}{uri})"

    def download(self, path: str, text: str | None) -> str:
        """A ``{download}`` link: where the built site serves the file.

        ``path`` is relative to the repository root (the Sphinx source folder);
        Sphinx copies the file to ``_downloads/<md5 of path>/<file name>``
        (sphinx.util.DownloadFiles).
        """
        digest = hashlib.md5(path.encode(), usedforsecurity=False).hexdigest()
        served = f"_downloads/{digest}/{posixpath.basename(path)}"
        if self.downloads is not None and served not in self.downloads:
            raise NotebookError(f"{{download}} of {path}: no {served} in the built site")
        return f"[{text or f'`{posixpath.basename(path)}`'}]({self.base}{served})"


@lru_cache(maxsize=None)
def citations(root: Path) -> dict[str, tuple[str, str]]:
    """``{bibtex key: (authors as cited, year)}`` from the bibliography files of _config.yml.

    The authors read as the site's citations do (book_site.RoundAuthorYear):
    one surname, "A and B", or "A et al." for three or more.
    """
    from pybtex.database import parse_file

    found: dict[str, tuple[str, str]] = {}
    for name in _config(root).get("bibtex_bibfiles", []):
        for key, entry in parse_file(str(root / name)).entries.items():
            people = entry.persons.get("author") or entry.persons.get("editor") or []
            surnames = [" ".join(p.prelast_names + p.last_names) for p in people]
            authors = (surnames[0] if len(surnames) == 1 else " and ".join(surnames) if len(surnames) == 2
                       else f"{surnames[0]} et al." if surnames else entry.fields.get("organization", key))
            found[key] = (authors.replace("{", "").replace("}", ""), entry.fields.get("year", "n.d."))
    return found


def _cite(ctx: Context, name: str, keys: str) -> str:
    """A ``{cite:p}``/``{cite:t}``/``{cite:alp}`` role as the page shows it, linked to the references page."""
    root = (ctx.root or ctx.source_dir.parent).resolve()
    known = citations(root)
    parts = []
    for key in (k.strip() for k in keys.split(",")):
        if key not in known:
            raise NotebookError(f"{ctx.name}: citation {key!r} is not in the bibliography")
        authors, year = known[key]
        parts.append(f"{authors} ({year})" if name == "cite:t" else f"{authors}, {year}")
    text = "; ".join(parts)
    text = f"({text})" if name in {"cite:p", "cite"} else text
    if "references" not in ctx.site.targets:
        raise NotebookError(f"{ctx.name}: {{{name}}} but the built site has no `references` label")
    return f"[{text}]({ctx.site.base}{ctx.site.targets['references'][0]})"


# --- Markdown: MyST -> Markdown that Jupyter and Colab render -----------------

@dataclass
class Context:
    """What rewriting one chapter's Markdown needs."""

    name: str
    source_dir: Path
    glue: dict[str, dict]
    site: SiteIndex
    root: Path | None = None  # the Sphinx source folder; default: source_dir's parent
    mask_glue: bool = False  # glued text as GLUE_MASK (to compare notebooks built at different times)
    language: str = "en"
    #: The page's translations (msgid -> msgstr) for a language other than English, else None.
    messages: dict[str, str] | None = None
    #: Glued words' translations ((glue key or "class", English) -> translation).
    words: dict[tuple[str, str], str] = field(default_factory=dict)
    #: The notebooks' own strings in that language (sphinx.po: "Show the answer's code").
    ui_strings: dict[str, str] = field(default_factory=dict)
    #: Code comments' translations (comments.po: English comment -> translation).
    comments: dict[str, str] = field(default_factory=dict)

    def code(self, source: str) -> str:
        """A code cell's source with its comments in the notebook's language (book_comments)."""
        if self.language == "en":
            return source
        try:
            return book_extension("book_comments").translate(source, self.comments, strict=True)
        except KeyError as err:
            raise NotebookError(f"{self.name}: no {self.language} translation of the code comment "
                                f"{err.args[0][:80]!r} (run make translations, translate, then make book)") from None

    def translate(self, text: str) -> str:
        """Prose in the notebook's language (tools.i18n.translate_markdown); English as it is."""
        if self.messages is None:
            return text
        try:
            return translate_markdown(text, self.messages)
        except Untranslated as err:
            raise NotebookError(f"{self.name}: no {self.language} translation of {err.args[0][:80]!r} "
                                "(run make translations, translate, then make book)") from None

    def ui(self, text: str) -> str:
        """One of the notebooks' own strings in the notebook's language (sphinx.po)."""
        return self.ui_strings.get(text, text)

    def glued(self, key: str, plain: str) -> str:
        """A glued ``text/plain`` value, its words translated (book_i18n.translate_phrase)."""
        if self.language == "en" or plain[:1] not in "'\"":
            return plain
        value = ast.literal_eval(plain)
        return repr(book_i18n().translate_phrase(self.words, key, value)) if isinstance(value, str) else plain

    def source_path(self, target: str) -> str:
        """A path as a role names it (relative to the chapter, or ``/``-rooted), relative to the root."""
        root = (self.root or self.source_dir.parent).resolve()
        path = root / target.lstrip("/") if target.startswith("/") else self.source_dir / target
        path = path.resolve()
        if not path.is_file():
            raise NotebookError(f"{self.name}: {{download}} of a missing file {target}")
        return path.relative_to(root).as_posix()


def admonition_title(name: str, language: str) -> str:
    """An admonition's default title ("Note") as Sphinx writes it in ``language``."""
    title = name.capitalize()
    if language == "en":
        return title
    import gettext

    import sphinx

    locale_dir = Path(sphinx.__file__).parent / "locale"
    return gettext.translation("sphinx", str(locale_dir), [language], fallback=True).gettext(title)


def _literalinclude(ctx: Context, arg: str, options: dict[str, str]) -> str:
    """The code a ``literalinclude`` shows, read by Sphinx's own reader."""
    from sphinx.directives.code import LiteralIncludeReader

    path = (ctx.source_dir / arg).resolve()
    if not path.is_file():
        raise NotebookError(f"{ctx.name}: literalinclude of a missing file {arg}")
    options = {k: (True if v == "" else v) for k, v in options.items()
               if k not in {"caption", "name", "class", "emphasize-lines", "linenos", "lineno-match", "language"}}
    text, _ = LiteralIncludeReader(str(path), options, SimpleNamespace(source_encoding="utf-8-sig")).read()
    return f"```python\n{text.rstrip()}\n```"


def _image_attachment(ctx: Context, key: str, attachments: dict) -> str:
    bundle = ctx.glue.get(key)
    if not bundle:
        raise NotebookError(f"{ctx.name}: no glued output {key!r} in the executed chapter")
    for mime, ext in (("image/png", "png"), ("image/jpeg", "jpg"), ("image/svg+xml", "svg")):
        if mime in bundle:
            attachments[f"{key}.{ext}"] = {mime: bundle[mime]}
            return f"{key}.{ext}"
    raise NotebookError(f"{ctx.name}: glued figure {key!r} has no image")


def _glue_figure(ctx: Context, arg: str, options: dict[str, str], body: str, attachments: dict) -> str:
    filename = _image_attachment(ctx, arg.strip(), attachments)
    alt = " ".join(options.get("alt", "").split())
    alt = ctx.words.get(("alt", alt), alt) if ctx.language != "en" else alt  # glue.po, context "alt"
    alt = alt.replace("[", "(").replace("]", ")")
    caption = rewrite_markdown(ctx, body, attachments).strip()
    number = ctx.site.numbers.get(options.get("name", ""), "")
    caption = f"*{number}* {caption}".strip() if number else caption
    return f"![{alt}](attachment:{filename})\n\n{caption}" if caption else f"![{alt}](attachment:{filename})"


def _admonition(name: str, arg: str, options: dict[str, str], body: str, language: str = "en") -> str:
    title = arg.strip() or admonition_title(name, language)
    if name == "dropdown" or "dropdown" in options.get("class", "").split():
        return f"<details>\n<summary>{html.escape(title)}</summary>\n\n{body.strip()}\n\n</details>"
    quoted = "\n".join(f"> {line}".rstrip() for line in body.strip().splitlines())
    return f"> **{title}**\n>\n{quoted}"


def _directive(ctx: Context, name: str, arg: str, options: dict[str, str], body: str,
               attachments: dict) -> str:
    if name in _ADMONITIONS or name == "dropdown":
        title = ctx.translate(arg.strip()) if arg.strip() else ""
        return _admonition(name, title, options, rewrite_markdown(ctx, body, attachments), ctx.language)
    if name == "literalinclude":
        return _literalinclude(ctx, arg.strip(), options)
    if name == "glue:figure":
        return _glue_figure(ctx, arg, options, body, attachments)
    if name in {"code-block", "code", "sourcecode"}:
        return f"```{arg.strip()}\n{body.rstrip()}\n```"
    if name == "math":
        return f"$$\n{body.strip()}\n$$"
    raise NotebookError(f"{ctx.name}: the notebook rewrite does not know the directive {{{name}}}")


def _split_options(lines: list[str]) -> tuple[dict[str, str], list[str]]:
    """Directive options (``:key: value`` lines or a ``---`` YAML block) and the body."""
    if lines and lines[0].strip() == "---":
        end = lines.index("---", 1)
        options = {k: str(v) for k, v in (yaml.safe_load("\n".join(lines[1:end])) or {}).items()}
        return options, lines[end + 1:]
    options = {}
    while lines and (m := re.match(r"^:([\w-]+):\s*(.*)$", lines[0])):
        options[m.group(1)] = m.group(2)
        lines = lines[1:]
    return options, lines


def _roles(ctx: Context, text: str) -> str:
    def replace(m: re.Match) -> str:
        name, content = m.group("name"), m.group("content")
        target = re.match(r"^(?P<text>.*?)\s*<(?P<label>[^<>]+)>$", content, re.DOTALL)
        text_, label = (target.group("text"), target.group("label")) if target else (None, content)
        if name in {"glue:text", "glue"}:
            key, _, fmt = content.partition(":")
            bundle = ctx.glue.get(key)
            if not bundle or "text/plain" not in bundle:
                raise NotebookError(f"{ctx.name}: no glued text {key!r} in the executed chapter")
            from myst_nb.core.variables import format_plain_text

            return GLUE_MASK if ctx.mask_glue else format_plain_text(ctx.glued(key, bundle["text/plain"]), fmt)
        if name == "glue:md":
            bundle = ctx.glue.get(content)
            if not bundle or "text/markdown" not in bundle:
                raise NotebookError(f"{ctx.name}: no glued Markdown {content!r} in the executed chapter")
            return GLUE_MASK if ctx.mask_glue else book_i18n().translate_phrase(
                ctx.words, content, bundle["text/markdown"].strip()) if ctx.language != "en" \
                else bundle["text/markdown"].strip()
        if name in {"ref", "doc"}:
            return ctx.site.link(label, text_)
        if name == "numref":
            return ctx.site.link(label, text_, numbered=True)
        if name == "term":
            return ctx.site.term(label, text_)
        if name == "download":
            return ctx.site.download(ctx.source_path(label.strip()), text_)
        if name == "math":
            return f"${content}$"
        if name in {"cite", "cite:p", "cite:t", "cite:alp"}:
            return _cite(ctx, name, content)
        raise NotebookError(f"{ctx.name}: the notebook rewrite does not know the role {{{name}}}")

    # Left to right: a role, or an inline code span (kept as it is: `{ref}` written as code stays code).
    return _ROLE_OR_CODE.sub(lambda m: replace(m) if m.group("name") else m.group(0), text)


def rewrite_markdown(ctx: Context, text: str, attachments: dict) -> str:
    """One Markdown cell of MyST, as Markdown that Jupyter and Colab render like the page."""
    lines = text.splitlines()
    out: list[str] = []
    prose: list[str] = []  # lines between blocks: roles may span lines
    i = 0
    while i < len(lines):
        line = lines[i]
        if _LABEL.match(line) or _COMMENT.match(line):
            i += 1
            continue
        fence = _FENCE.match(line)
        if not fence:
            prose.append(line)
            i += 1
            continue
        if prose:
            out.append(_roles(ctx, ctx.translate("\n".join(prose))))
            prose = []
        mark, indent = fence.group("fence"), fence.group("indent")
        end = next((j for j in range(i + 1, len(lines))
                    if re.fullmatch(r"[ \t]*" + re.escape(mark[0]) + "{%d,}\\s*" % len(mark), lines[j])), len(lines))
        directive = _DIRECTIVE.match(fence.group("rest").strip())
        if directive is None:  # a plain code block: verbatim
            out.extend(lines[i:end + 1])
        else:  # a directive, indented when it sits in a list item: rewritten, then indented the same
            body_lines = [line[len(indent):] if line.startswith(indent) else line.lstrip() for line in lines[i + 1:end]]
            options, body = _split_options(body_lines)
            block = _directive(ctx, directive.group("name"), directive.group("arg"), options,
                               "\n".join(body), attachments)
            out.append("\n".join(indent + line if line.strip() else "" for line in block.splitlines()))
        i = end + 1
    if prose:
        out.append(_roles(ctx, ctx.translate("\n".join(prose))))
    return _single_blank_lines("\n".join(out)).strip("\n")


def _single_blank_lines(text: str) -> str:
    """Runs of blank lines become one, outside code blocks (a program's two blank lines between functions stay)."""
    kept: list[str] = []
    fence = ""
    for line in text.splitlines():
        mark = re.match(r"\s*(`{3,}|~{3,})", line)
        if mark and (not fence or (mark.group(1)[0] == fence[0] and len(mark.group(1)) >= len(fence))):
            fence = "" if fence else mark.group(1)
        if not fence and not line.strip() and kept and not kept[-1].strip():
            continue
        kept.append(line)
    return "\n".join(kept)


# --- code cells ----------------------------------------------------------------

_MAGIC = re.compile(r"^\s*[%!]")


def _is_glue_statement(node: ast.stmt) -> bool:
    if isinstance(node, ast.ImportFrom):
        return node.module == "myst_nb" and {a.name for a in node.names} == {"glue"}
    return (isinstance(node, ast.Expr) and isinstance(node.value, ast.Call)
            and isinstance(node.value.func, ast.Name) and node.value.func.id == "glue")


def without_glue(code: str) -> str:
    """``code`` without ``from myst_nb import glue`` and its ``glue(...)`` statements.

    The book needs them to paste numbers into its prose; the notebook's prose
    already has the numbers, and the reader's runtime has no myst-nb. A glue
    statement is removed wherever it stands, as long as its block keeps
    another statement (else removing it would change the code's structure:
    refused, naming the line).
    """
    masked = "\n".join("pass" if _MAGIC.match(line) else line for line in code.splitlines())
    tree = ast.parse(masked)
    drop: set[int] = set()
    blocks = [tree.body] + [getattr(node, field) for node in ast.walk(tree)
                            for field in ("body", "orelse", "finalbody")
                            if node is not tree and isinstance(getattr(node, field, None), list)]
    for block in blocks:
        glue = [node for node in block if isinstance(node, ast.stmt) and _is_glue_statement(node)]
        if glue and len(glue) == len(block) and block is not tree.body:
            raise NotebookError(f"a block of only glue calls (line {glue[0].lineno}): the notebook cannot "
                                "leave them out without changing the code; give the block another statement")
        for node in glue:
            drop.update(range(node.lineno, node.end_lineno + 1))
    kept = [line for n, line in enumerate(code.splitlines(), 1) if n not in drop]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(kept)).strip("\n")


def _answer(code: str, outputs: list, mask: bool = False, ui: Any = str, answer: bool = True) -> str:
    """A collapsed cell (a ``hide-cell``): its code and text output, collapsed.

    In the exercises it is an answer ("Show the answer's code"); elsewhere, the
    code of an aside ("Show the code"). The output is a measurement of the
    build, like a glued value: ``mask`` writes it as :data:`GLUE_MASK`.
    """
    text = "".join(o.get("text", "") for o in outputs if o.get("output_type") == "stream")
    text = GLUE_MASK if mask and text.strip() else text
    summary = ui("Show the answer's code") if answer else ui("Show the code")
    shown = f"<details>\n<summary>{summary}</summary>\n\n```python\n{code.strip()}\n```\n"
    if text.strip():
        shown += f"\n{ui('It prints:')}\n\n```text\n{text.rstrip()}\n```\n"
    return shown + "\n</details>"


def _exercises_level(markdown: str, level: int) -> int:
    """The heading level of the Exercises section open after ``markdown`` (0: none), given the one before."""
    in_code = False
    for line in markdown.splitlines():
        if line.lstrip().startswith(("```", "~~~")):
            in_code = not in_code
        m = None if in_code else re.match(r"^(#{1,6})\s+(.*)$", line)
        if m:
            level = exercises_level(level, len(m.group(1)), m.group(2))
    return level


def _merged_outputs(outputs: list) -> list:
    """Outputs without glue's hidden ones, consecutive stream chunks merged (as the page shows)."""
    merged: list = []
    for out in outputs:
        if out.get("metadata", {}).get("scrapbook"):
            continue
        if (out.get("output_type") == "stream" and merged and merged[-1].get("output_type") == "stream"
                and merged[-1].get("name") == out.get("name")):
            merged[-1]["text"] += out["text"]
            continue
        merged.append(out)
    return merged


def _tags(cell: Any) -> set[str]:
    return set(cell.get("metadata", {}).get("tags", []))


# --- one notebook ----------------------------------------------------------------

def read_source(source: Path) -> nbformat.NotebookNode:
    return nbformat.read(source, as_version=4) if source.suffix == ".ipynb" else jupytext.read(source)


#: Tags of cells whose code the page does not show: the notebook keeps their code, hidden.
HIDDEN_TAGS = frozenset({"remove-cell", "remove-input", "hide-input"})


#: The title Colab shows for a hidden cell (sphinx.po translates it).
HIDDEN_TITLE = "Hidden set-up and checks (run this cell; double-click to show its code)"


def code_cell(cell: Any, tags: set[str], title: str = HIDDEN_TITLE) -> nbformat.NotebookNode | None:
    """The notebook's cell for a chapter code cell: its code less glue, or None when nothing is left.

    A cell the page hides (``remove-cell``: set-up, checks) keeps its code, less
    glue, as a cell marked hidden: later cells may need what it defines (the DDP
    chapter's ``EPOCHS``), so the notebook runs top to bottom. JupyterLab (Binder)
    collapses it by ``jupyter.source_hidden``; Colab by ``cellView: form`` with a
    first line ``#@title``, which it shows as the cell's title. A cell that only
    glues leaves nothing and is left out.
    """
    code = without_glue(cell.source)
    if not code.strip():
        return None
    metadata = {k: v for k, v in cell.metadata.items() if k not in {"mystnb", "tags", "execution"}}
    if "raises-exception" in tags:  # an error shown on purpose (the errors appendix): Jupyter runs on past it
        metadata["tags"] = ["raises-exception"]
    if tags & HIDDEN_TAGS:
        metadata["jupyter"] = {**metadata.get("jupyter", {}), "source_hidden": True}
        metadata["cellView"] = "form"
        code = f"#@title {title}\n{code}"
    return nbformat.v4.new_code_cell(code, metadata=metadata)


def build_notebook(root: Path, name: str, source: Path, site: SiteIndex | None = None,
                   commit: str | None = None, mask_glue: bool = False,
                   language: str = "en") -> nbformat.NotebookNode:
    """Return the runnable notebook of one chapter (an nbformat NotebookNode).

    ``mask_glue`` writes every glued text, and every exercise answer's printed
    output, as :data:`GLUE_MASK`: the notebook as any build would give it,
    whatever its measurements (for the tests).
    """
    nb = read_source(source)
    executed = executed_notebook(root, source, nb)
    outputs = [c.get("outputs", []) for c in executed.cells if c.cell_type == "code"]
    ctx = Context(name, source.parent, glue_outputs(executed), site or SiteIndex.from_build(root, language),
                  root=root, mask_glue=mask_glue, language=language)
    if language != "en":
        ctx.messages = page_messages(f"book/{name}", language)
        ctx.words = glue_words(language)
        ctx.ui_strings = ui_messages(language)
        ctx.comments = comment_words(language)
    url, _ = repository(root)
    first = nbformat.v4.new_code_cell(install_cell(url, commit or package_commit(root)))
    first.metadata["tags"] = ["blitz-install"]
    cells = [first]
    code_index, exercises = 0, 0  # exercises: the heading level of the Exercises section we are in
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            exercises = _exercises_level(cell.source, exercises)
        if cell.cell_type == "code":
            cell_outputs = outputs[code_index] if code_index < len(outputs) else []
            code_index += 1
            tags = _tags(cell)
            cell = nbformat.from_dict({**cell, "source": ctx.code(cell.source)})
            if "hide-cell" in tags:
                cells.append(nbformat.v4.new_markdown_cell(
                    _answer(cell.source, cell_outputs, mask_glue, ctx.ui, answer=bool(exercises))))
                continue
            new = code_cell(cell, tags, ctx.ui(HIDDEN_TITLE))
            if new is None:
                continue
            if source.suffix == ".ipynb":  # a GPU chapter's stored outputs, as its page shows them
                new.outputs = _merged_outputs(cell.get("outputs", []))
                if new.outputs:
                    new.execution_count = cell.get("execution_count")
            cells.append(new)
        elif cell.cell_type == "markdown":
            attachments: dict = {}
            text = rewrite_markdown(ctx, cell.source, attachments)
            if text.strip():
                md = nbformat.v4.new_markdown_cell(text)
                if attachments:
                    md.attachments = attachments
                cells.append(md)
    for i, cell in enumerate(cells):  # stable ids: regenerating changes nothing
        cell["id"] = f"{name}-{i}"
    out = nbformat.v4.new_notebook(cells=cells)
    out.metadata["kernelspec"] = {"display_name": "Python 3", "language": "python", "name": "python3"}
    out.metadata["language_info"] = {"name": "python"}
    out.metadata["blitz"] = {"source": source.relative_to(root).as_posix()}
    if language != "en":
        out.metadata["blitz"]["language"] = language
    if is_gpu_chapter(root, name):
        out.metadata["accelerator"] = "GPU"  # Colab opens it with a GPU runtime
        out.metadata["colab"] = {"gpuType": "T4", "provenance": []}
    out.nbformat, out.nbformat_minor = 4, 5
    return out


def write_notebooks(root: Path, language: str = "en") -> list[Path]:
    """Write notebooks/[<language>/]<name>.ipynb for every chapter; remove ones for deleted chapters."""
    out = root / NOTEBOOK_DIR / language_folder(language)
    out.mkdir(exist_ok=True)
    site, commit = SiteIndex.from_build(root, language), package_commit(root)
    written = []
    for name, source in chapters(root).items():
        path = out / f"{name}.ipynb"
        text = nbformat.writes(build_notebook(root, name, source, site, commit, language=language)) + "\n"
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
        written.append(path)
    for stale in set(out.glob("*.ipynb")) - set(written):
        stale.unlink()
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("root", nargs="?", default=".", help="repository root (default: .)")
    root = Path(parser.parse_args().root).resolve()
    try:
        for language in ("en", *TRANSLATIONS):
            for path in write_notebooks(root, language):
                print(path.relative_to(root))
    except NotebookError as err:
        raise SystemExit(f"error: {err}") from None


if __name__ == "__main__":
    main()
