"""Sphinx extension for the Chinese edition (tools/i18n.py; loaded through _config.yml).

Sphinx translates a page after parsing it: its ``Locale`` transform parses
each translated message (``msgstr``) as a small document of its own, with the
parser of the page's source type, and swaps it in for the English node. Two
things go wrong with myst-nb's pages, and this extension mends both:

1. **Glued values.** A ``{glue:text}`` role in a translation looks for the
   glue data in the document being parsed; myst-nb keeps it on the page's
   document (``document["nb_renderer"]``), which the message's small document
   does not have, so every glued number of a translated paragraph failed with
   "No key ... found in glue data for this document". The page's renderer is
   kept when myst-nb lets it go (:class:`_KeepRenderer`) and lent to each
   message's document (:func:`lend_renderer`).
2. **Stored notebooks** (``book/<name>.ipynb``, the GPU chapters).
   myst-nb's parser chooses its reader from the *page's* path, and a message
   of an ``.ipynb`` page is not JSON: MyST-NB#587 (``NotJSONError``). myst-nb
   1.4, which the book pins, already parses a message (a source whose name
   ends with ``<translated>``) as plain MyST Markdown; tests/book/test_chinese_edition.py
   checks that a stored notebook's headings and paragraphs are translated.
3. **The table of contents' part captions.** sphinx-external-toc inserts the
   toctrees of ``_toc.yml`` (with "Part I — the blitz") in a transform that
   runs after Sphinx's ``Locale``, so their captions, although extracted into
   the root page's catalogue, were never translated (:class:`TranslateCaptions`).
4. **Glued words.** A chapter's code glues verdicts ("faster than",
   "**meets**") and class names into its prose: the same value in both
   languages would leave English words in a Chinese sentence. The Chinese
   build translates a glued string through ``glue.po`` (context: the glue
   key; tools/i18n.py extracts every string the code *can* glue), so the
   numbers stay the build's and only the words change (:func:`translate_glued`).
   Figures' descriptions (``alt``) come the same way (:class:`TranslateAltText`):
   a glued figure's image appears after gettext has done its work.
"""
from __future__ import annotations

import ast
import dataclasses
import re
from functools import lru_cache
from pathlib import Path
from typing import Any

from docutils import nodes
from sphinx import addnodes
from sphinx.application import Sphinx
from sphinx.locale import init as init_locale
from sphinx.transforms import SphinxTransform
from sphinx.transforms.post_transforms import SphinxPostTransform
from sphinx.util.i18n import docname_to_domain

import myst_nb.sphinx_

#: Where the page's notebook renderer waits while its messages are parsed.
KEY = "book_i18n_nb_renderer"


class _KeepRenderer(dict):
    """A document's attributes that hand ``nb_renderer`` to ``env`` when myst-nb drops it.

    myst-nb removes the renderer from the page's document at the end of its
    parse, before Sphinx's ``Locale`` transform parses the translations.
    """

    def __init__(self, attributes: dict[str, Any], env: Any) -> None:
        super().__init__(attributes)
        self.env = env

    def pop(self, key: str, *default: Any) -> Any:
        if key == "nb_renderer" and key in self:
            self.env.temp_data[KEY] = self[key]
        return super().pop(key, *default)


_parse = myst_nb.sphinx_.Parser.parse


def lend_renderer(self: Any, inputstring: str, document: nodes.document) -> None:
    """Parse as myst-nb does; a translated message gets its page's glue data.

    A page's parse keeps its renderer in ``env.temp_data`` (cleared by Sphinx
    when the page is read); a message's parse, during the same read, borrows it.
    """
    env = getattr(document.settings, "env", None)
    if env is None:
        return _parse(self, inputstring, document)
    if document.current_source.endswith("<translated>"):
        lent = "nb_renderer" not in document and KEY in env.temp_data
        if lent:
            document["nb_renderer"] = env.temp_data[KEY]
        try:
            return _parse(self, inputstring, document)
        finally:
            if lent:  # the message's nodes are pickled with the page: no renderer in them
                document.attributes.pop("nb_renderer", None)
    env.temp_data.pop(KEY, None)
    document.attributes = _KeepRenderer(document.attributes, env)
    try:
        _parse(self, inputstring, document)
    finally:
        document.attributes = dict(document.attributes)


class TranslateCaptions(SphinxTransform):
    """Translate the captions of the toctrees that sphinx-external-toc inserts."""

    default_priority = 101  # right after sphinx_external_toc's InsertToctrees (100)

    def apply(self, **kwargs: Any) -> None:
        if (self.config.language or "en") == "en":
            return
        domain = docname_to_domain(self.env.docname, self.config.gettext_compact)
        dirs = [str(Path(self.env.srcdir) / folder) for folder in self.config.locale_dirs]
        catalog, found = init_locale(dirs, self.config.language, domain)
        if not found:
            return
        for toctree in self.document.findall(addnodes.toctree):
            caption = toctree.get("rawcaption") or toctree.get("caption")
            if caption and catalog.gettext(caption) != caption:
                toctree.apply_translated_message(caption, catalog.gettext(caption))


@lru_cache(maxsize=4)
def glue_catalog(path: Path, mtime: float) -> dict[tuple[str, str], str]:
    """(glue key, English) -> translation, from ``glue.po`` (translated entries only)."""
    from babel.messages.pofile import read_po

    with path.open("rb") as handle:
        return {(m.context or "", m.id): m.string for m in read_po(handle)
                if m.id and m.string and not m.fuzzy}


def translate_phrase(catalog: dict[tuple[str, str], str], key: str, text: str) -> str:
    """``text`` glued under ``key`` in the catalogue's language; unchanged if not in it.

    Exact phrases first (under the key, or a key pattern such as
    ``ct_th_verdict{}``), then class names, then phrase patterns ("costs {}
    points"), whose fields are carried over in order.
    """
    contexts = [key] + sorted({c for c, _ in catalog if "{}" in c and re.fullmatch(
        ".+?".join(re.escape(part) for part in c.split("{}")), key)}) + ["class"]
    for context in contexts:
        if (context, text) in catalog:
            return catalog[(context, text)]
    for (context, english), translated in catalog.items():
        if context not in contexts or "{}" not in english:
            continue
        pattern = "(.+?)".join(re.escape(part) for part in english.split("{}"))
        match = re.fullmatch(pattern, text)
        if match:
            parts = translated.split("{}")
            fields = [*match.groups(), *[""] * len(parts)]
            return "".join(part + fields[i] for i, part in enumerate(parts[:-1])) + parts[-1]
    return text


def _glue_path(env: Any) -> Path | None:
    language = env.config.language or "en"
    if language == "en":
        return None
    for folder in env.config.locale_dirs:
        path = Path(env.srcdir) / folder / language / "LC_MESSAGES" / "glue.po"
        if path.is_file():
            return path
    return None


def translate_glued(output: Any, document: nodes.document, key: str) -> Any:
    """A glued output with its string translated (``text/plain`` and ``text/markdown``)."""
    env = getattr(document.settings, "env", None)
    path = _glue_path(env) if env is not None else None
    if path is None:
        return output
    catalog = glue_catalog(path, path.stat().st_mtime)
    data = dict(output.data)
    if isinstance(data.get("text/markdown"), str):
        data["text/markdown"] = translate_phrase(catalog, key, data["text/markdown"])
    plain = data.get("text/plain")
    if isinstance(plain, str) and plain[:1] in "'\"":
        try:
            value = ast.literal_eval(plain)
        except (ValueError, SyntaxError):
            value = None
        if isinstance(value, str):
            data["text/plain"] = repr(translate_phrase(catalog, key, value))
    return dataclasses.replace(output, data=data)


class TranslateAltText(SphinxPostTransform):
    """A figure's description (``alt``) in the page's language, from ``glue.po`` (context ``alt``)."""

    default_priority = 900

    def run(self, **kwargs: Any) -> None:
        path = _glue_path(self.env)
        if path is None:
            return
        catalog = glue_catalog(path, path.stat().st_mtime)
        for image in self.document.findall(nodes.image):
            alt = " ".join(image.get("alt", "").split())
            if ("alt", alt) in catalog:
                image["alt"] = catalog[("alt", alt)]


#: How a Chinese page names a chapter it refers to: its number, then its title.
CHAPTER_REF = {"zh_CN": "第 {number} 章（{title}）"}


def chapter_number(env: Any, docname: str) -> int | None:
    """The number Jupyter Book gives chapter ``docname`` in the table of contents (None: unnumbered)."""
    number = env.toc_secnumbers.get(docname, {}).get("")
    return number[0] if number and len(number) == 1 else None


class NumberedChapterRefs(SphinxPostTransform):
    """In Chinese, a reference to a chapter reads 第 4 章（在 CPU 上训练分类器）, not the bare title.

    Chapter titles are verb phrases ("Training a classifier on the CPU"); in a
    Chinese sentence the bare title reads as a clause. A ``{ref}`` without text
    of its own to a chapter's label (the label of the page's title) gets the
    chapter's number around its title, so no translation types a number. Runs
    before Sphinx resolves references (priority 10); ``tools.i18n check``
    rejects a typed 第 N 章 around a chapter reference.
    """

    default_priority = 5

    def run(self, **kwargs: Any) -> None:
        template = CHAPTER_REF.get(self.config.language or "")
        if template is None:
            return
        labels = self.env.get_domain("std").labels
        for xref in self.document.findall(addnodes.pending_xref):
            if xref.get("reftype") != "ref" or xref.get("refexplicit") or xref["reftarget"] not in labels:
                continue
            docname, _labelid, title = labels[xref["reftarget"]]
            number = chapter_number(self.env, docname)
            if number is None or docname not in self.env.titles or title != self.env.titles[docname].astext():
                continue  # not a chapter's title: a section, an appendix
            text = template.format(number=number, title=title)
            xref["refexplicit"] = True
            xref.replace(xref[0], nodes.inline(text, text, classes=xref[0].get("classes", [])))


def _translating(retrieve: Any) -> Any:
    def retrieve_glue_data(document: nodes.document, key: str) -> Any:
        return translate_glued(retrieve(document, key), document, key)
    return retrieve_glue_data


def tag_language(app: Sphinx, config: Any) -> None:
    """Tag a translation's build with its language, so that ``{only} zh_CN`` shows a note there only."""
    if config.language and config.language != "en":
        app.tags.add(config.language)


def setup(app: Sphinx) -> dict[str, Any]:
    app.connect("config-inited", tag_language)
    import myst_nb.ext.glue.directives
    import myst_nb.ext.glue.roles
    import myst_nb.ext.glue.utils

    retrieve = myst_nb.ext.glue.utils.retrieve_glue_data
    for module in (myst_nb.ext.glue.roles, myst_nb.ext.glue.directives):
        if getattr(module, "retrieve_glue_data", None) is retrieve:
            module.retrieve_glue_data = _translating(retrieve)
    myst_nb.sphinx_.Parser.parse = lend_renderer
    app.add_transform(TranslateCaptions)
    app.add_post_transform(TranslateAltText)
    app.add_post_transform(NumberedChapterRefs)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
