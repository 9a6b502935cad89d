"""The Chinese edition as built (``make book``, ``make downloads``): complete and current
catalogues, every page in both languages with the same code and numbers, translated
prose (stored notebooks too), translated glued words, the switch between languages,
Chinese search, ``lang`` attributes, and the Chinese PDF and notebooks.
"""
from __future__ import annotations

import ast
import html as html_lib
import json
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import nbformat
import pytest

from tools import downloads, i18n, notebooks

ROOT = Path(__file__).resolve().parents[2]
HTML = ROOT / "_build" / "html"
ZH = HTML / i18n.LANGUAGE
sys.path.insert(0, str(ROOT / "book" / "_ext"))
import book_i18n  # noqa: E402

PAGES = [f.removesuffix(".md").removesuffix(".ipynb") for f in i18n.toc_files()]
CJK = re.compile(r"[\u4e00-\u9fff]")


def _text(path: Path) -> str:
    """A page's article as plain text (tags dropped, entities decoded, spaces collapsed)."""
    page = path.read_text(encoding="utf-8")
    article = page[page.find("<article"):page.rfind("</article>")]
    text = re.sub(r"<(script|style|pre)\b.*?</\1>", " ", article, flags=re.DOTALL)  # prose, not code
    return " ".join(html_lib.unescape(re.sub(r"<[^>]+>", " ", text)).split())


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def test_catalogues_are_complete_and_current() -> None:
    """No untranslated, fuzzy or obsolete entry, no broken markup, nothing new in the sources."""
    problems = i18n.check([], fresh=True)
    assert not problems, "make translations, then translate:\n" + "\n".join(problems)


@pytest.mark.parametrize("page", PAGES)
def test_every_page_is_in_both_languages_and_links_the_other(page: str) -> None:
    english, chinese = HTML / f"{page}.html", ZH / f"{page}.html"
    assert english.is_file() and chinese.is_file()
    en, zh = english.read_text(encoding="utf-8"), chinese.read_text(encoding="utf-8")
    assert re.search(r'<html lang="en"', en) and re.search(r'<html lang="zh-CN"', zh)
    for here, text, other in ((english, en, chinese), (chinese, zh, english)):
        switch = re.search(r'<a class="btn btn-sm language-switch" href="([^"]+)"', text)
        assert switch, f"{here}: no language switch"
        assert (here.parent / switch.group(1)).resolve() == other.resolve()
    assert f'hreflang="zh-CN" href="{i18n.overrides(i18n.LANGUAGE)["html_baseurl"]}{page}.html"' in en


@pytest.mark.parametrize("page", PAGES)
def test_chinese_pages_show_the_translations(page: str) -> None:
    """Every plain message's translation is on the Chinese page, and its English is not.

    Messages with markup render differently from their source and are left to
    the catalogue check; plain ones (headings, most captions, many paragraphs)
    are enough to show that a page, a stored notebook included, is translated.
    """
    text = _squash(_text(ZH / f"{page}.html"))
    messages = i18n.page_messages(page)
    latex_only = " ".join(" ".join(block.split()) for block in re.findall(
        r"```\{only\} latex\n(.*?)```", i18n.page_source_text(page), re.DOTALL))  # not on the site
    plain = {m: t for m, t in messages.items()
             if not re.search(r"[`*{}\[\]$<>\\_]", m + t) and m not in latex_only}
    assert plain, f"{page}: no plain message to check"
    missing = [t for t in plain.values() if _squash(t) not in text]
    # English the translation keeps on purpose (an error message to search for) is not left over
    english = [m for m in plain if len(m.split()) >= 4 and _squash(m) in text and _squash(m) not in _squash(plain[m])]
    assert not missing, f"{page}: translations not on the page: {missing[:3]}"
    assert not english, f"{page}: English left on the Chinese page: {english[:3]}"


def test_stored_notebooks_are_translated() -> None:
    """The GPU chapters are ``.ipynb`` pages (MyST-NB#587: NotJSONError when translated)."""
    for name in notebooks.chapters(ROOT):
        source = notebooks.chapters(ROOT)[name]
        if source.suffix != ".ipynb":
            continue
        page = f"book/{name}"
        title = next(m for m in i18n.page_messages(page) if source.read_text(encoding="utf-8").find(f"# {m}") >= 0)
        heading = re.search(r"<h1>(.*?)</h1>", (ZH / f"{page}.html").read_text(encoding="utf-8"), re.DOTALL)
        assert heading and i18n.page_messages(page)[title] in html_lib.unescape(re.sub(r"<[^>]+>", "", heading.group(1)))


def _outputs(path: Path) -> list[str]:
    """The HTML of every cell output on a page (each ``cell_output`` div, to its closing tag)."""
    page = path.read_text(encoding="utf-8")
    found = []
    for match in re.finditer(r'<div class="cell_output docutils container">', page):
        depth, at = 1, match.end()
        while depth:
            tag = re.compile(r"<(/?)div\b").search(page, at)
            depth += -1 if tag.group(1) else 1
            at = tag.end()
        found.append(page[match.end():at])
    return found


@pytest.mark.parametrize("page", [p for p in PAGES if (HTML / f"{p}.html").is_file() and _outputs(HTML / f"{p}.html")])
def test_both_languages_show_the_same_outputs(page: str) -> None:
    """One execution: every cell output (numbers, figures) is the same on both pages.

    Only a figure's description (``alt``) is in the page's language.
    """
    def same(outputs: list[str]) -> list[str]:
        return [re.sub(r'\balt="[^"]*"', 'alt=""', output) for output in outputs]

    english, chinese = same(_outputs(HTML / f"{page}.html")), same(_outputs(ZH / f"{page}.html"))
    assert english and english == chinese


def _glued_keys(page: str) -> dict[str, str]:
    """Glue keys whose value is a string, used in the page's prose, with that value."""
    source = i18n.page_source_text(page)
    glue = ROOT / "_build" / "jupyter_execute" / f"{page}.glue.json"
    stored = ROOT / f"{page}.ipynb"
    if glue.is_file():
        data = json.loads(glue.read_text(encoding="utf-8"))
        bundles = {k: v.get("data", v) for k, v in data.items()}
    elif stored.is_file():
        bundles = notebooks.glue_outputs(notebooks.read_source(stored))
    else:
        return {}
    found = {}
    for key, bundle in bundles.items():
        plain = bundle.get("text/plain", "")
        if plain[:1] in "'\"" and re.search(rf"\{{glue(:text)?\}}`{re.escape(key)}[`:]", source):
            found[key] = plain[1:-1]
    return found


def test_glued_words_are_translated() -> None:
    """A verdict glued into a Chinese sentence is in Chinese; its number-free English is not."""
    words = i18n.glue_words()
    checked = 0
    for page in PAGES:
        text = _squash(_text(ZH / f"{page}.html"))
        for key, value in _glued_keys(page).items():
            translated = book_i18n.translate_phrase(words, key, value)
            if translated == value or not re.search(r"[A-Za-z]{3}", value):
                continue
            assert _squash(translated.replace("`", "").replace("*", "")) in text, (page, key, translated)
            checked += 1
    assert checked >= 10, f"only {checked} glued words checked"


def test_figures_are_described_in_chinese() -> None:
    """Glued figures' alt texts come from glue.po (they are not gettext messages)."""
    def descriptions(html: str) -> list[str]:
        return [alt for alt in re.findall(r'<img [^>]*alt="([^"]*)"', html[html.find("<article"):]) if len(alt) > 20]

    described = 0
    for page in PAGES:
        chinese = descriptions((ZH / f"{page}.html").read_text(encoding="utf-8"))
        english = descriptions((HTML / f"{page}.html").read_text(encoding="utf-8"))
        assert len(chinese) == len(english), (page, len(chinese), len(english))  # every figure of the page
        for alt in chinese:
            assert CJK.search(alt), f"{page}: an English description: {alt[:60]}"
        described += len(chinese)
    assert described >= 5, described  # the chapters' figures were found at all


def test_chinese_search_finds_the_chapters_by_chinese_words() -> None:
    index = (ZH / "searchindex.js").read_text(encoding="utf-8")
    data = json.loads(index[index.index("(") + 1:index.rindex(")")])
    docs = data["docnames"]
    for word, page in (("张量", "book/tensors"), ("梯度", "book/autograd")):
        hits = []
        for index_name in ("terms", "titleterms"):  # words of the text, words of the titles
            found = data[index_name].get(word, [])
            hits += found if isinstance(found, list) else [found]
        assert docs.index(page) in hits, f"{word} does not find {page}"


def test_chinese_quotations_on_english_pages_are_marked() -> None:
    page = (HTML / "book" / "tensors.html").read_text(encoding="utf-8")
    assert '<span lang="zh">基本概念和操作</span>' in page
    article = page[page.find("<article"):page.rfind("</article>")]
    prose = re.sub(r'<span lang="zh">.*?</span>|<(pre|code)\b.*?</\1>', "", article, flags=re.DOTALL)
    assert not CJK.search(re.sub(r"<[^>]+>", "", prose)), "Chinese text outside a lang=zh span"


@pytest.mark.parametrize("name", list(notebooks.chapters(ROOT)))
def test_chinese_notebooks_are_current_and_launched_from_chinese_pages(
        name: str, assert_notebook_current: Callable[..., None]) -> None:
    """notebooks/zh_CN/<name>.ipynb is what the generator writes (measurements aside), in Chinese."""
    path = ROOT / "notebooks" / "zh_CN" / f"{name}.ipynb"
    assert path.is_file(), f"{path}: run make notebooks"
    stale = f"{path.relative_to(ROOT)} is stale: run `make notebooks`"
    site = notebooks.SiteIndex.from_build(ROOT, "zh_CN")
    fresh = notebooks.build_notebook(ROOT, name, notebooks.chapters(ROOT)[name], site, mask_glue=True,
                                     language="zh_CN")
    assert_notebook_current(nbformat.read(path, as_version=4), fresh, stale)
    markdown = [c.source for c in fresh.cells if c.cell_type == "markdown"]
    assert all(CJK.search(m) for m in markdown if re.search(r"[A-Za-z]{4} [a-z]{3}", m) and "<details>" not in m[:9]), \
        "a Markdown cell without Chinese"
    assert site.base.endswith("/zh_CN/") and site.base in "".join(markdown)
    page = (ZH / "book" / f"{name}.html").read_text(encoding="utf-8")
    assert f"/notebooks/zh_CN/{name}.ipynb" in page  # Colab and Binder
    assert f'href="../_notebooks/{name}.ipynb"' in page  # the download button
    assert (ZH / "_notebooks" / f"{name}.ipynb").read_bytes() == path.read_bytes()


book_comments = i18n.book_extension("book_comments")


def _cell_code(path: Path) -> list[str]:
    """The source of every code cell a page shows (myst-nb's ``cell_input``), as its reader sees it."""
    page = path.read_text(encoding="utf-8")
    blocks = re.findall(r'<div class="cell_input docutils container">\s*<div class="highlight-\S+ notranslate">'
                        r'<div class="highlight"><pre>(.*?)</pre>', page, flags=re.DOTALL)
    return [html_lib.unescape(re.sub(r"<[^>]+>", "", block)).rstrip("\n") for block in blocks]


def _same_code_other_comments(english: list[str], chinese: list[str], where: str) -> int:
    """Assert that each pair of cells differs only in comments, each on or above the same code; count Chinese ones."""
    assert len(english) == len(chinese), f"{where}: {len(english)} code cells in English, {len(chinese)} in Chinese"
    translated = 0
    for n, (en, zh) in enumerate(zip(english, chinese)):
        assert book_comments.code_lines(zh) == book_comments.code_lines(en), f"{where}, code cell {n}: the code differs"
        en_msgs, zh_msgs = book_comments.messages(en), book_comments.messages(zh)
        assert [(m.trailing, m.col) for m in zh_msgs] == [(m.trailing, m.col) for m in en_msgs], \
            f"{where}, code cell {n}: the comments moved"
        for m_en, m_zh in zip(en_msgs, zh_msgs):
            assert book_comments.anchor(zh, m_zh) == book_comments.anchor(en, m_en), \
                f"{where}, code cell {n}: {m_zh.text!r} left its line"
        translated += sum(bool(CJK.search(m.text)) for m in zh_msgs)
    return translated


@pytest.mark.parametrize("page", [p for p in PAGES if "{code-cell}" in i18n.page_source_text(p)])
def test_chinese_pages_show_the_same_code_with_chinese_comments(page: str) -> None:
    """Code cells: the code is the English page's, line for line; the comments are in Chinese."""
    english, chinese = _cell_code(HTML / f"{page}.html"), _cell_code(ZH / f"{page}.html")
    assert english, f"{page}: no code cell found on the built page (has myst-nb's markup changed?)"
    translated = _same_code_other_comments(english, chinese, page)
    if any(book_comments.messages(cell) for cell in english):
        assert translated, f"{page}: no code comment is in Chinese"


@pytest.mark.parametrize("name", list(notebooks.chapters(ROOT)))
def test_chinese_notebooks_have_the_same_code_with_chinese_comments(name: str) -> None:
    def code_cells(path: Path) -> list[nbformat.NotebookNode]:
        return [c for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code"]

    en_cells = code_cells(ROOT / "notebooks" / f"{name}.ipynb")
    zh_cells = code_cells(ROOT / "notebooks" / "zh_CN" / f"{name}.ipynb")
    english, chinese = [c.source for c in en_cells], [c.source for c in zh_cells]
    # tags decide how a cell runs (raises-exception, skip-execution): the same in both
    assert [c.metadata for c in en_cells] == [c.metadata for c in zh_cells], \
        f"{name}: code cells' metadata differ between the languages"
    # The same program: the same syntax tree (comments aside, string contents and blank lines in them
    # included), so the smoke test's run of the English notebook stands for this one.
    trees = [[ast.dump(ast.parse(book_comments._python(c))) for c in cells] for cells in (english, chinese)]
    assert trees[0] == trees[1], f"{name}: a Chinese code cell is not the same program as its English twin"
    # The install cell is the same, byte for byte (its comment stays English: it names a commit and a package).
    assert english[0] == chinese[0], f"{name}: the install cells differ"
    english, chinese = english[1:], chinese[1:]
    assert _same_code_other_comments([re.sub(r"^#@title .*\n", "", c) for c in english],
                                     [re.sub(r"^#@title .*\n", "", c) for c in chinese], name) > 0


def test_chinese_downloads_and_pdf() -> None:
    folder = ZH / downloads.SITE_DIR
    pdf = ROOT / downloads.EDITIONS["zh_CN"]
    assert (folder / downloads.PDF).read_bytes() == pdf.read_bytes()
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    for words in ("一小时学会 PyTorch", "自动微分", "原文勘误"):
        assert words in text, words
    intro = (ZH / "book" / "intro.html").read_text(encoding="utf-8")
    for name in (downloads.PDF, downloads.NOTEBOOKS_ZIP):
        assert f'href="../{downloads.SITE_DIR}/{name}"' in intro
        assert (folder / name).is_file()
