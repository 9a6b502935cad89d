"""Sphinx extension for the book's site (loaded through _config.yml local_extensions).

1. Launch buttons open the runnable notebook ``notebooks/<name>.ipynb``
   (``make notebooks``), not the chapter's MyST source: sphinx-book-theme
   points Colab and Binder at ``book/<name>.md``, which Colab cannot run. The
   theme builds the links in an ``html-page-context`` handler; this one runs
   after it and rewrites the path in every launch link. Repository URL and
   branch stay where the theme reads them (_config.yml ``repository:``).
2. The download button's ``.ipynb`` is that same runnable notebook (install
   cell first, Markdown as the page reads, no outputs but a GPU chapter's
   stored ones), copied to ``_notebooks/<name>.ipynb`` in the site, instead of
   the executed source that the theme offers.
3. A script that several extensions register twice is included only once
   (sphinx-thebe's inline configuration, else the page raises a JS error).
4. Accessibility: the theme's search and colour-mode buttons are fixed by
   template overrides (book/_templates); the collapsed cells' summaries, which
   myst-nb writes with a label that differs from their text, by
   book/_static/a11y.js. The colour mode is ``html_context: {default_mode: auto}``
   in _config.yml.
   The bibliography's entries become list items (:func:`citation_list_items`);
   citations are author-year in round brackets (:class:`RoundAuthorYear`).
5. Publishing: the commit the site was built from, shown with the version in
   the footer (book/_templates/extra-footer.html); a link to the PDF of the
   book in every page's download menu (``make downloads`` puts it in
   ``_build/html/downloads/``).
6. Two languages (tools/i18n.py builds the Chinese site into ``zh_CN/``
   of the English one): every page gets a link to the same page in the
   other language (book/_templates/language-switch.html) and ``hreflang``
   alternates; on English pages, runs of Chinese text (the original's words,
   the glossary's names) are marked ``lang="zh"`` (:class:`MarkChinese`), so
   that screen readers and fonts treat them as Chinese. The UI strings this
   extension adds are translated like the templates' (``_()``, sphinx.po).
7. The PDF (LaTeX builder): the parts of _toc.yml become LaTeX parts
   (sphinx-jupyterbook-latex); the last one, "Appendices", starts with
   ``\appendix``, so its chapters are lettered appendices, and their titles
   lose the "Appendix A: " that the HTML pages show. The title page shows the
   version and the commit.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path, PurePosixPath
from typing import Any

from docutils import nodes
from sphinx import addnodes
from sphinx.application import Sphinx
from sphinx.locale import _
from sphinx.transforms.post_transforms import SphinxPostTransform

from dataclasses import dataclass, field

import sphinxcontrib.bibtex.plugin
from sphinxcontrib.bibtex.style.referencing import BracketStyle
from sphinxcontrib.bibtex.style.referencing.author_year import AuthorYearReferenceStyle

NOTEBOOK_DIR = "notebooks"
#: Where ``make downloads`` puts the PDF and the notebook zip, inside the HTML output.
DOWNLOAD_DIR = "downloads"
PDF_NAME = "learn-pytorch-in-one-hour.pdf"
#: The caption of the last part of _toc.yml; its chapters are the appendices.
APPENDIX_CAPTION = "Appendices"
#: "Appendix A: " (English) or "附录 A：" (Chinese) before an appendix's title.
APPENDIX_PREFIX = re.compile(r"^(Appendix [A-Z]:|附录\s*[A-Z]\s*[：:])\s*")
#: Where the site serves the runnable notebooks for the download button.
SITE_NOTEBOOK_DIR = "_notebooks"


def notebook_path(pagename: str, language: str = "en") -> str:
    """``book/autograd`` -> ``notebooks/autograd.ipynb`` (what tools.notebooks writes).

    A translation's notebooks are in ``notebooks/<language>/`` (``notebooks/zh_CN/autograd.ipynb``).
    """
    return f"{notebook_dir(language)}/{PurePosixPath(pagename).name}.ipynb"


def notebook_dir(language: str = "en") -> str:
    """Where tools.notebooks writes a language's notebooks: ``notebooks``, ``notebooks/zh_CN``."""
    return NOTEBOOK_DIR if language == "en" else f"{NOTEBOOK_DIR}/{language}"


def retarget_launch_buttons(
    app: Sphinx, pagename: str, templatename: str, context: dict[str, Any], doctree: Any
) -> None:
    """Point every launch link of ``pagename`` at its notebook in notebooks/."""
    for group in context.get("header_buttons", []):
        if group.get("label") != "launch-buttons":
            continue
        for button in group.get("buttons", []):
            url = button.get("url")
            if not url:
                continue
            for suffix in (".md", ".ipynb"):
                old = f"/{pagename}{suffix}"
                if old in url:
                    button["url"] = url.replace(old, "/" + notebook_path(pagename, _language(app)))
                    break


def _runnable(app: Sphinx, pagename: str) -> Path:
    return Path(app.srcdir) / notebook_path(pagename, _language(app))


def download_runnable_notebook(
    app: Sphinx, pagename: str, templatename: str, context: dict[str, Any], doctree: Any
) -> None:
    """Offer the runnable notebook as the page's ``.ipynb`` download, not the executed source."""
    if not _runnable(app, pagename).is_file():
        return
    url = context["pathto"](f"{SITE_NOTEBOOK_DIR}/{PurePosixPath(pagename).name}.ipynb", 1)
    for group in context.get("header_buttons", []):
        if group.get("label") != "download-buttons":
            continue
        buttons = [b for b in group.get("buttons", [])
                   if b.get("label") != "download-notebook-button" and b.get("text") != ".ipynb"]
        buttons.insert(0, {"type": "link", "url": url, "text": ".ipynb", "icon": "fas fa-code",
                           "tooltip": _("Download the notebook (runs in Jupyter or Colab)"),
                           "label": "download-notebook-button"})
        group["buttons"] = buttons


def copy_runnable_notebooks(app: Sphinx, exception: Exception | None) -> None:
    """Put notebooks/*.ipynb into the site (``_notebooks/``), where the download buttons point."""
    if exception is not None or app.builder.format != "html":
        return
    out = Path(app.outdir) / SITE_NOTEBOOK_DIR
    out.mkdir(exist_ok=True)
    for notebook in sorted((Path(app.srcdir) / notebook_dir(_language(app))).glob("*.ipynb")):
        shutil.copy2(notebook, out / notebook.name)


def dedupe_scripts(
    app: Sphinx, pagename: str, templatename: str, context: dict[str, Any], doctree: Any
) -> None:
    """Drop repeated entries of ``script_files`` (the same file loaded twice)."""
    seen, unique = set(), []
    for script in context.get("script_files", []):
        key = (getattr(script, "filename", script) or "", tuple(sorted(getattr(script, "attributes", {}).items())))
        if key not in seen:
            seen.add(key)
            unique.append(script)
    if "script_files" in context:
        context["script_files"][:] = unique


def citation_list_items(
    app: Sphinx, pagename: str, templatename: str, context: dict[str, Any], doctree: Any
) -> None:
    """Make the references page's entries list items.

    docutils writes the bibliography as ``<div role="list">`` holding entries
    with ``role="doc-biblioentry"``, a role ARIA no longer allows inside a list
    (axe-core rule aria-required-children, critical): screen readers then see
    an empty list. As list items they are read as the list they are.
    """
    if "doc-biblioentry" in context.get("body", ""):
        context["body"] = context["body"].replace('role="doc-biblioentry"', 'role="listitem"')


def _round() -> BracketStyle:
    return BracketStyle(left="(", right=")")


@dataclass
class RoundAuthorYear(AuthorYearReferenceStyle):
    """Author-year citations in round brackets: "Goyal et al. (2017)", "(Goyal et al., 2017)".

    sphinxcontrib-bibtex's ``author_year`` uses square brackets; this is the same
    style with the brackets readers of papers expect (``bibtex_reference_style:
    author_year_round`` in _config.yml).
    """

    bracket_textual: BracketStyle = field(default_factory=_round)
    bracket_parenthetical: BracketStyle = field(default_factory=_round)
    bracket_author: BracketStyle = field(default_factory=_round)
    bracket_label: BracketStyle = field(default_factory=_round)
    bracket_year: BracketStyle = field(default_factory=_round)


sphinxcontrib.bibtex.plugin.register_plugin(
    "sphinxcontrib.bibtex.style.referencing", "author_year_round", RoundAuthorYear)


def build_commit(root: Path) -> str:
    """The commit the book is built from: ``BOOK_COMMIT``, else git's HEAD ("" if unknown).

    A working tree with uncommitted changes gets a ``+dirty`` suffix, so that a
    page never claims to be a commit it is not.
    """
    if os.environ.get("BOOK_COMMIT"):
        return os.environ["BOOK_COMMIT"]
    try:
        head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True,
                              text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=root,
                               capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return ""
    return head + ("+dirty" if dirty else "")


def short_commit(commit: str) -> str:
    """``abcdef123456`` (12 hex digits), with ``+dirty`` kept when the tree had changes."""
    return commit[:12] + ("+dirty" if commit.endswith("+dirty") else "")


def commit_url(repository_url: str, commit: str) -> str:
    """The repository's page of ``commit`` ("" for an unknown or uncommitted build)."""
    if not repository_url or not re.fullmatch(r"[0-9a-f]{40}", commit):
        return ""
    return f"{repository_url.rstrip('/')}/commit/{commit}"


def add_commit(app: Sphinx, pagename: str, templatename: str, context: dict[str, Any], doctree: Any) -> None:
    """Put the build's commit in the page context (read by book/_templates/extra-footer.html)."""
    commit = getattr(app.env, "book_commit", "")
    context["book_commit"] = short_commit(commit)
    context["book_commit_url"] = commit_url(app.config.html_theme_options.get("repository_url", ""), commit)


def add_pdf_button(app: Sphinx, pagename: str, templatename: str, context: dict[str, Any], doctree: Any) -> None:
    """Add "PDF of the book" to the download menu of every page that has one."""
    for group in context.get("header_buttons", []):
        if group.get("label") == "download-buttons":
            group.setdefault("buttons", []).append({
                "type": "link",
                "url": context["pathto"](f"{DOWNLOAD_DIR}/{PDF_NAME}", 1),
                "text": _("The whole book (.pdf)"),
                "tooltip": _("Download the whole book as a PDF"),
                "icon": "fas fa-book",
                "label": "download-book-pdf-button",
            })


def site_download_role(name: str, rawtext: str, text: str, lineno: int, inliner: Any,
                       options: dict | None = None, content: list | None = None) -> tuple[list, list]:
    """``{site-download}`title <file>```: a link to ``downloads/<file>`` of this page's site.

    ``make downloads`` puts the PDF and the notebook zip there, for each language
    (``_build/html/downloads/``, ``_build/html/zh_CN/downloads/``); the link is
    relative, so a Chinese page gets the Chinese files. Unlike raw HTML, the
    title is part of the paragraph, so it is translated with it.
    """
    match = re.fullmatch(r"(?s)(.*?)\s*<([^<>]+)>", text)
    title, target = (match.group(1), match.group(2)) if match else (text, text)
    docname = inliner.document.settings.env.docname
    uri = "../" * docname.count("/") + f"{DOWNLOAD_DIR}/{target.strip()}"
    return [nodes.reference(rawtext, " ".join(title.split()), refuri=uri)], []


def remember_commit(app: Sphinx) -> None:
    """Find the commit once per build; on the PDF's title page it follows the version.

    A page is only written again when it changed, so a new commit would leave
    the old one in the footer of every other page: then every page is outdated
    (:func:`all_pages_if_new_commit`). Execution is cached, so this costs a re-read.
    """
    commit = build_commit(Path(app.confdir))
    previous = getattr(app.env, "book_commit", None)
    app.env.book_commit_changed = previous is not None and previous != commit
    app.env.book_commit = commit
    if app.builder.format == "latex":
        # The title page prints "<releasename> <release>"; the builder has read both already.
        app.builder.context["releasename"] = _("Version")
        if commit:
            app.builder.context["release"] = f"{app.config.release}, commit {short_commit(commit)}"


def all_pages_if_new_commit(app: Sphinx, env: Any, added: set[str], changed: set[str],
                            removed: set[str]) -> list[str]:
    """Every page, when the commit differs from the last build's (the footer shows it)."""
    return sorted(env.found_docs) if getattr(env, "book_commit_changed", False) else []


def appendix_captions(app: Sphinx) -> set[str]:
    """The caption of the appendices' part, in English and as the root page translates it."""
    captions = {APPENDIX_CAPTION}
    if _language(app) != "en":
        from sphinx.locale import init as init_locale
        from sphinx.util.i18n import docname_to_domain

        domain = docname_to_domain(app.config.root_doc, app.config.gettext_compact)
        dirs = [str(Path(app.srcdir) / folder) for folder in app.config.locale_dirs]
        catalog, _found = init_locale(dirs, app.config.language, domain)
        captions.add(catalog.gettext(APPENDIX_CAPTION))
    return captions


def latex_title(app: Sphinx, env: Any) -> list[str]:
    """A translation's PDF has the translated title (``html_title``) on its title page.

    Jupyter Book sets the English ``title:`` of _config.yml into
    ``latex_documents`` after Sphinx has started, so this runs once the pages
    are read, before the LaTeX builder writes.
    """
    config = app.config
    if app.builder.format == "latex" and _language(app) != "en" and config.latex_documents:
        config.latex_documents = [(doc[0], doc[1], config.html_title, *doc[3:])
                                  for doc in config.latex_documents]
    return []


class LatexAppendices(SphinxPostTransform):
    """In the PDF, start the "Appendices" part with ``\\appendix`` and drop "Appendix A: "."""

    default_priority = 800  # after sphinx-jupyterbook-latex has made the parts (700)
    builders = ("latex",)

    def run(self, **kwargs: Any) -> None:
        for part in list(self.document.findall(addnodes.start_of_file)):
            if part.get("docname") not in appendix_captions(self.app):
                continue
            wrapper = part.parent
            wrapper.parent.insert(wrapper.parent.index(wrapper),
                                  nodes.raw("", "\\appendix\n", format="latex"))
            for chapter in part.findall(addnodes.start_of_file, include_self=False):
                section = next(chapter.findall(nodes.section), None)
                title = section.next_node(nodes.title) if section is not None else None
                if title is not None and title.children and isinstance(title[0], nodes.Text):
                    text = APPENDIX_PREFIX.sub("", title[0].astext())
                    title[0] = nodes.Text(text[:1].upper() + text[1:])


#: The book's languages: Sphinx's name -> (HTML ``lang``, the name a reader
#: looks for, the site's folder under the English root).
LANGUAGES = {"en": ("en", "English", ""), "zh_CN": ("zh-CN", "中文", "zh_CN/")}


def _language(app: Sphinx) -> str:
    return "zh_CN" if (app.config.language or "en").startswith("zh") else "en"


def _site_root(app: Sphinx) -> str:
    """The English site's address (``html_baseurl`` without the language folder)."""
    base = app.config.html_baseurl or ""
    prefix = LANGUAGES[_language(app)][2]
    return base[: -len(prefix)] if prefix and base.endswith(prefix) else base


def language_switch(app: Sphinx, pagename: str, templatename: str, context: dict[str, Any],
                    doctree: Any) -> None:
    """Link the same page in the other language (book/_templates/language-switch.html).

    The Chinese site is the folder ``zh_CN/`` of the English one, so the link
    climbs to the English root (one level more from a Chinese page) and goes
    down into the other language's folder.
    """
    here = _language(app)
    other = "en" if here == "zh_CN" else "zh_CN"
    depth = pagename.count("/") + (1 if LANGUAGES[here][2] else 0)
    page = f"{pagename}.html"
    lang, name, folder = LANGUAGES[other]
    context["other_language"] = {"url": "../" * depth + folder + page, "lang": lang, "name": name}
    root = _site_root(app)
    if root:
        context["metatags"] = context.get("metatags", "") + "".join(
            f'\n<link rel="alternate" hreflang="{code}" href="{root}{prefix}{page}" />'
            for code, _name, prefix in LANGUAGES.values())


def translate_buttons(app: Sphinx, pagename: str, templatename: str, context: dict[str, Any],
                      doctree: Any) -> None:
    """The theme's header buttons in the page's language (sphinx.po, book/_templates/ui-strings.html).

    sphinx-book-theme translates them through its own catalogue, whose Chinese
    one lacks most of them; a string missing from sphinx.po stays as it is.
    """
    if _language(app) == "en":
        return

    def translate(text: str) -> str:
        if text.startswith("Launch on "):
            return _("Launch on %s") % text.removeprefix("Launch on ")
        return _(text)

    def walk(buttons: list[dict[str, Any]]) -> None:
        for button in buttons:
            for key in ("tooltip", "text"):
                if isinstance(button.get(key), str) and button[key][:1].isalpha():
                    button[key] = translate(button[key])
            walk(button.get("buttons", []))

    walk(context.get("header_buttons", []))


def add_language_switch(app: Sphinx, config: Any) -> None:
    """Put the language switch first among the buttons above each page."""
    options = config.html_theme_options
    if _language(app) != "en" and options.get("search_bar_text"):
        options["search_bar_text"] = _(options["search_bar_text"])
    end = list(options.get("article_header_end") or ["article-header-buttons.html"])
    if "language-switch.html" not in end:
        options["article_header_end"] = ["language-switch.html", *end]


class chinese(nodes.inline):
    """Chinese text on an English page: ``<span lang="zh">`` in HTML, plain elsewhere."""


def visit_chinese_html(self: Any, node: chinese) -> None:
    self.body.append(self.starttag(node, "span", "", lang="zh"))


def depart_chinese_html(self: Any, node: chinese) -> None:
    self.body.append("</span>")


def _pass(self: Any, node: nodes.Node) -> None:
    pass


#: CJK ideographs and punctuation (with full-width forms); a run may take in
#: Latin letters written against a Chinese character with no space, before it
#: or between two ("gpu版本的"; Chinese text writes English words that way).
CJK = "\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef"
CHINESE_RUN = re.compile(f"(?:[A-Za-z0-9]+(?=[{CJK}]))?[{CJK}](?:[{CJK}]|[A-Za-z0-9]+(?=[{CJK}]))*")
#: Nodes whose text is code or maths: left alone.
NOT_PROSE = (nodes.literal, nodes.literal_block, nodes.math, nodes.math_block, nodes.raw,
             nodes.FixedTextElement)


def split_chinese(text: str) -> list[tuple[str, bool]]:
    """``text`` as (piece, is_chinese) pairs, in order; pieces join back to ``text``."""
    pieces, last = [], 0
    for match in CHINESE_RUN.finditer(text):
        if match.start() > last:
            pieces.append((text[last:match.start()], False))
        pieces.append((match.group(), True))
        last = match.end()
    if last < len(text):
        pieces.append((text[last:], False))
    return pieces


class MarkChinese(SphinxPostTransform):
    """On English pages, wrap runs of Chinese text in :class:`chinese` nodes."""

    default_priority = 900
    formats = ("html",)

    def run(self, **kwargs: Any) -> None:
        if _language(self.app) != "en":
            return
        for text in list(self.document.findall(nodes.Text)):
            parent = text.parent
            if parent is None or isinstance(parent, chinese) or any(
                    isinstance(a, NOT_PROSE) for a in _ancestors(parent)):
                continue
            pieces = split_chinese(str(text))
            if not any(is_zh for _piece, is_zh in pieces):
                continue
            new = [chinese(piece, piece) if is_zh else nodes.Text(piece) for piece, is_zh in pieces]
            index = parent.index(text)
            parent[index:index + 1] = new


def _ancestors(node: nodes.Node):
    while node is not None:
        yield node
        node = node.parent


def quiet_jieba(app: Sphinx) -> None:
    """jieba (the Chinese search index's word splitter) logs its set-up on stderr: not a warning."""
    if _language(app) == "zh_CN":
        try:
            import jieba
        except ImportError:
            return
        jieba.setLogLevel(60)


def setup(app: Sphinx) -> dict[str, Any]:
    app.add_js_file("a11y.js")  # book/_static/a11y.js
    app.connect("builder-inited", remember_commit)
    app.connect("env-get-outdated", all_pages_if_new_commit)
    app.connect("html-page-context", retarget_launch_buttons, priority=900)
    app.connect("html-page-context", dedupe_scripts, priority=900)
    app.connect("html-page-context", add_commit)
    app.connect("html-page-context", citation_list_items)
    app.connect("html-page-context", add_pdf_button, priority=900)
    app.add_post_transform(LatexAppendices)
    app.connect("html-page-context", download_runnable_notebook, priority=900)
    app.connect("build-finished", copy_runnable_notebooks)
    app.connect("config-inited", add_language_switch)
    app.connect("env-updated", latex_title)
    app.connect("builder-inited", quiet_jieba)
    app.connect("html-page-context", language_switch)
    app.connect("html-page-context", translate_buttons, priority=950)
    app.add_node(chinese, html=(visit_chinese_html, depart_chinese_html),
                 latex=(_pass, _pass), text=(_pass, _pass), man=(_pass, _pass),
                 texinfo=(_pass, _pass))
    app.add_post_transform(MarkChinese)
    app.add_role("site-download", site_download_role)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
