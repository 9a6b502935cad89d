"""The Chinese edition's tooling without a build: markup checks, catalogue checks,
translating Markdown and glued words, glued-phrase extraction, the language switch.

The built sites are tested in tests/book/test_chinese_edition.py and tests/site/test_site.py.
"""
from __future__ import annotations

import ast
import re
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
from babel.messages.catalog import Catalog
from babel.messages.pofile import write_po

from tools import i18n

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "book" / "_ext"))
import book_i18n  # noqa: E402
import book_site  # noqa: E402


# --- markup a translation must keep ------------------------------------------------

def test_a_term_may_get_a_chinese_title_but_keeps_its_target() -> None:
    assert i18n.markup_problems("A {term}`tensor` is", "{term}`张量 <tensor>`是") == []
    assert i18n.markup_problems("{term}`devices <device>`", "{term}`设备 <device>`") == []
    problems = i18n.markup_problems("A {term}`tensor` is", "{term}`张量 <tensors>`是")
    assert problems and "roles differ" in problems[0]


def test_glue_cite_code_maths_and_links_must_be_unchanged() -> None:
    english = "{glue:text}`t:.1f` s ({cite:p}`goyal2017`), `x.view(2)`, $[0, 1)$, [docs](https://pytorch.org)"
    good = "{glue:text}`t:.1f` 秒（{cite:p}`goyal2017`），`x.view(2)`，$[0, 1)$，[文档](https://pytorch.org)"
    assert i18n.markup_problems(english, good) == []
    for broken, what in [
        (good.replace("t:.1f", "t:.2f"), "roles"),
        (good.replace("goyal2017", "goyal2018"), "roles"),
        (good.replace("x.view(2)", "x.view(3)"), "code"),
        (good.replace("$[0, 1)$", "$[0, 1]$"), "maths"),
        (good.replace("https://pytorch.org", "https://pytorch.cn"), "links"),
    ]:
        problems = i18n.markup_problems(english, broken)
        assert len(problems) == 1 and problems[0].startswith(what), problems


def test_emphasis_that_does_not_parse_beside_chinese_punctuation_is_reported() -> None:
    # CommonMark: a closing ** after punctuation and before a letter does not close.
    assert i18n.markup_problems("A **tensor** is", "**“张量”**是") != []
    assert i18n.markup_problems("A **tensor** is", "“**张量**”是") == []
    assert i18n.markup_problems("an *array*", "一个*“数组”*呢") != []
    # An escaped star is a star.
    assert i18n.markup_problems("a window of 2*2", r"窗口是2\*2的") == []


def test_a_glued_pattern_keeps_its_placeholders() -> None:
    assert i18n.markup_problems("costs {} points", "损失 {} 个百分点") == []
    assert i18n.markup_problems("costs {} points", "有损失") != []


# --- catalogue files ------------------------------------------------------------------

def _po(path: Path, entries: list[tuple[str, str, bool]], obsolete: list[str] = ()) -> Path:
    catalog = Catalog(locale="zh_CN")
    for msgid, msgstr, fuzzy in entries:
        catalog.add(msgid, msgstr, flags=["fuzzy"] if fuzzy else [])
    for msgid in obsolete:
        catalog.obsolete[msgid] = catalog.__class__().add(msgid, "旧")
    with path.open("wb") as handle:
        write_po(handle, catalog, include_previous=False)
    return path


def test_untranslated_fuzzy_and_obsolete_entries_are_named(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(i18n, "ROOT", tmp_path)
    path = _po(tmp_path / "page.po", [("Tensors", "张量", False), ("Autograd", "", False),
                                      ("Shapes", "形状", True), ("\no = x \\text{so}\n", "\no = x \\text{因此}\n", False),
                                      ("\ny = 2x\n", "\ny = 2x\n", False)], obsolete=["Gone"])
    problems = i18n.catalog_problems(path)
    assert any("'Autograd': untranslated" in p for p in problems)
    assert any("'Shapes': fuzzy" in p for p in problems)
    assert any("'Gone': obsolete" in p for p in problems)
    assert any("display maths must be copied unchanged" in p for p in problems)
    assert len(problems) == 4
    assert not any("Tensors" in p for p in problems)


def test_a_catalogue_behind_the_sources_is_reported(tmp_path: Path, monkeypatch) -> None:
    catalogs, templates = tmp_path / "LC_MESSAGES", tmp_path / "gettext"
    (catalogs / "book").mkdir(parents=True)
    (templates / "book").mkdir(parents=True)
    monkeypatch.setattr(i18n, "CATALOGS", catalogs)
    _po(catalogs / "book" / "tensors.po", [("Tensors", "张量", False), ("Old words", "旧的话", False)])
    _po(catalogs / "book" / "removed.po", [("x", "x", False)])
    _po(templates / "book" / "tensors.pot", [("Tensors", "", False), ("New words", "", False)])
    _po(templates / "book" / "added.pot", [("y", "", False)])
    problems = i18n.staleness(templates)
    assert "book/added: no translation file (run make translations)" in problems
    assert "book/removed: translates a page that no longer exists" in problems
    assert "book/tensors: new English string, not in the catalogue: 'New words'" in problems
    assert "book/tensors: string no longer in the sources: 'Old words'" in problems
    assert len(problems) == 4


# --- translating Markdown (the notebooks) ----------------------------------------------

MESSAGES = {
    "Creating tensors": "创建张量",
    "A tensor has a shape and a dtype.": "张量有形状和数据类型。",
    "first item, which wraps": "第一项，它换了行",
    "second item": "第二项",
}


def test_headings_paragraphs_and_list_items_are_replaced_by_their_translation() -> None:
    text = ("## Creating tensors\n\nA tensor has a shape\nand a dtype.\n\n"
            "- first item,\n  which wraps\n- second item\n\n$$\ny = x^2\n$$\n")
    assert i18n.translate_markdown(text, MESSAGES) == (
        "## 创建张量\n\n张量有形状和数据类型。\n\n- 第一项，它换了行\n- 第二项\n\n$$\ny = x^2\n$$\n")


def test_a_number_at_the_start_of_a_wrapped_line_is_not_a_list() -> None:
    messages = {"Values from 0 to 255. The original scales them.": "取值 0 到 255。原文把它们缩放。"}
    assert i18n.translate_markdown("Values from 0 to\n255. The original scales them.", messages) == (
        "取值 0 到 255。原文把它们缩放。")


def test_a_list_that_opens_a_cell_keeps_its_number_and_the_blank_lines() -> None:
    messages = {"**Shapes.** Try it.": "**形状。** 试一试。"}
    assert i18n.translate_markdown("\n2. **Shapes.** Try\n   it.\n", messages) == "\n2. **形状。** 试一试。\n"


def test_a_paragraph_without_translation_is_refused_by_name() -> None:
    with pytest.raises(i18n.Untranslated, match="Something new"):
        i18n.translate_markdown("Something new here.", MESSAGES)
    # Only roles, code and numbers: nothing to translate.
    assert i18n.translate_markdown("{glue:text}`n` × `x`", {}) == "{glue:text}`n` × `x`"


# --- glued words ----------------------------------------------------------------------

CHAPTER = '''---
jupytext:
  text_representation:
    format_name: myst
kernelspec:
  display_name: Python 3
  language: python
  name: python3
---
# A chapter

```{code-cell} ipython3
classes = ('plane', 'car')
glue("speed", "faster" if a > b else "slower", display=False)
glue("verdict", Markdown("**meets**" if ok else "**misses**"), display=False)
glue("price", f"costs {diff:.1f} points", display=False)
glue("seconds", 12.5, display=False)
for batch in (4, 64):
    verdict = "pays off" if gain > 1 else "costs more"
    glue(f"thread{batch}", verdict, display=False)
```
'''


def test_figure_descriptions_are_found_in_both_option_styles() -> None:
    source = ('```{glue:figure} a\n:alt: A plain description.\n```\n'
              '```{glue:figure} b\n---\nalt: "A quoted one: with a colon."\nname: fig-b\n---\n```\n')
    assert i18n.alt_texts(source) == ["A plain description.", "A quoted one: with a colon."]


def test_every_phrase_the_code_can_glue_is_found() -> None:
    assert i18n.glued_phrases(CHAPTER) == [
        ("speed", "faster"), ("speed", "slower"), ("verdict", "**meets**"), ("verdict", "**misses**"),
        ("price", "costs {} points"), ("thread{}", "pays off"), ("thread{}", "costs more")]
    assert i18n.class_names(CHAPTER) == ["plane", "car"]


def test_glued_words_are_translated_by_key_pattern_class_and_phrase_pattern() -> None:
    catalog = {("speed", "faster"): "更快", ("thread{}", "pays off"): "划算",
               ("class", "plane"): "飞机", ("price", "costs {} points"): "损失 {} 个百分点"}
    assert book_i18n.translate_phrase(catalog, "speed", "faster") == "更快"
    assert book_i18n.translate_phrase(catalog, "thread64", "pays off") == "划算"
    assert book_i18n.translate_phrase(catalog, "best_class", "plane") == "飞机"
    assert book_i18n.translate_phrase(catalog, "price", "costs 2.1 points") == "损失 2.1 个百分点"
    assert book_i18n.translate_phrase(catalog, "speed", "sideways") == "sideways"


# --- the language switch and Chinese text on English pages ----------------------------------

def _app(language: str) -> SimpleNamespace:
    base = "https://example.org/book/" + ("zh_CN/" if language == "zh_CN" else "")
    return SimpleNamespace(config=SimpleNamespace(language=language, html_baseurl=base))


@pytest.mark.parametrize("language, page, url", [
    ("en", "book/tensors", "../zh_CN/book/tensors.html"),
    ("zh_CN", "book/tensors", "../../book/tensors.html"),
    ("en", "search", "zh_CN/search.html"),
    ("zh_CN", "index", "../index.html"),
])
def test_the_switch_opens_the_same_page_in_the_other_language(language: str, page: str, url: str) -> None:
    context: dict = {}
    book_site.language_switch(_app(language), page, "page.html", context, None)
    assert context["other_language"]["url"] == url
    assert context["other_language"]["lang"] == ("en" if language == "zh_CN" else "zh-CN")
    assert f'hreflang="zh-CN" href="https://example.org/book/zh_CN/{page}.html"' in context["metatags"]
    assert f'hreflang="en" href="https://example.org/book/{page}.html"' in context["metatags"]


def test_runs_of_chinese_are_found_in_english_text() -> None:
    pieces = book_site.split_chinese('Original section: 基本概念和操作 ("basic"), 还有活干(gpu版本的).')
    assert [p for p, zh in pieces if zh] == ["基本概念和操作", "还有活干", "gpu版本的"]
    assert "".join(p for p, _ in pieces) == 'Original section: 基本概念和操作 ("basic"), 还有活干(gpu版本的).'
    assert book_site.split_chinese("no Chinese here") == [("no Chinese here", False)]


def test_a_chinese_page_launches_the_chinese_notebook() -> None:
    assert book_site.notebook_path("book/autograd") == "notebooks/autograd.ipynb"
    assert book_site.notebook_path("book/autograd", "zh_CN") == "notebooks/zh_CN/autograd.ipynb"


# --- strings the book's code translates --------------------------------------------------

def _ui_strings() -> set[str]:
    """Every string the templates translate (``_('...')``): what the gettext builder extracts."""
    found = set()
    for template in (ROOT / "book" / "_templates").glob("*.html"):
        text = template.read_text(encoding="utf-8")
        found |= {m.group(2) for m in re.finditer(r"_\((['\"])(.*?)\1\)", text)}
    return found


def _translated_in(path: Path, function: str) -> set[str]:
    """The strings ``path`` passes to ``function(...)``: literals, or module-level constants."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    constants = {node.targets[0].id: node.value.value for node in tree.body
                 if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name)
                 and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str)}
    found = set()
    for call in ast.walk(tree):
        if isinstance(call, ast.Call) and getattr(call.func, "id", None) == function and call.args:
            arg = call.args[0]
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                found.add(arg.value)
            elif isinstance(arg, ast.Name) and arg.id in constants:
                found.add(constants[arg.id])
    return found


@pytest.mark.parametrize("path, function", [
    ("book/_ext/book_site.py", "_"), ("book/_ext/book_gpu.py", "_"), ("book/_ext/book_times.py", "_"),
    ("tools/notebooks.py", "ui")])
def test_every_string_the_code_translates_reaches_the_catalogue(path: str, function: str) -> None:
    used = _translated_in(ROOT / path, function)
    assert used, f"{path}: no {function}(...) call found"
    missing = used - _ui_strings()
    assert not missing, f"add to book/_templates/ui-strings.html: {sorted(missing)}"


def test_a_typed_chapter_number_around_a_reference_is_rejected():
    """The Chinese build numbers chapter references itself (book_i18n.NumberedChapterRefs)."""
    english = "In {ref}`ch-cifar10`, we trained."
    assert i18n.markup_problems(english, "在 {ref}`ch-cifar10` 中，我们训练了。") == []
    for typed in ("在第 4 章（{ref}`ch-cifar10`）中，我们训练了。", "见第4章 {ref}`ch-cifar10`。"):
        assert any("typed chapter number" in p for p in i18n.markup_problems(english, typed)), typed
    # A reference with its own text is not numbered by the build: a number there is the translator's.
    assert i18n.markup_problems("See {ref}`the next chapter <ch-gpu>`.", "见{ref}`第 5 章 <ch-gpu>`。") == []


def test_chapter_labels_number_the_numbered_parts_in_one_sequence():
    from tools import toc

    labels = toc.chapter_labels()
    assert list(labels.values()) == list(range(1, len(labels) + 1))
    assert labels["ch-tensors"] == 1 and labels["ch-cifar10"] == 4 and labels["ch-cpu-time"] == 6
    assert not any(label.startswith("app") for label in labels)  # appendices are not numbered


def test_the_chinese_chapter_reference_reads_number_then_title():
    ext = i18n.book_i18n()
    assert ext.CHAPTER_REF["zh_CN"].format(number=4, title="在 CPU 上训练分类器") == "第 4 章（在 CPU 上训练分类器）"
    from tools.notebooks import SiteIndex

    site = SiteIndex("https://x/zh_CN/", targets={"ch-cifar10": ("book/cifar10_cpu.html#ch-cifar10", "训练")},
                     chapters={"ch-cifar10": 4}, chapter_ref=ext.CHAPTER_REF["zh_CN"])
    assert site.link("ch-cifar10", None) == "[第 4 章（训练）](https://x/zh_CN/book/cifar10_cpu.html#ch-cifar10)"
    assert site.link("ch-cifar10", "上一章") == "[上一章](https://x/zh_CN/book/cifar10_cpu.html#ch-cifar10)"
