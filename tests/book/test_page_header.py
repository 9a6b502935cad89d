"""What a reader sees under a chapter's title and on the landing page, read from the built site.

Every chapter shows its reading time (tools.wordcount's measure) and its run
time (book/_ext/book_times.py); the landing page says which GPU chapters have
run on CUDA, from their stored notebooks (book_gpu's ``{gpu-runs}``); a Chinese
page names a chapter it refers to by number and title (book_i18n).
"""
from __future__ import annotations

import re
from html import unescape
from pathlib import Path

import pytest

from tools import gpu, toc, wordcount

ROOT = Path(__file__).resolve().parents[2]
HTML = ROOT / "_build" / "html"
CHAPTERS = toc.chapters(ROOT)


def _text(html: str) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def _times(page: Path) -> str:
    m = re.search(r'<p class="chapter-times">(.*?)</p>', page.read_text(encoding="utf-8"), re.S)
    assert m, f"{page}: no reading and run time under the title"
    return _text(m.group(1))


@pytest.mark.parametrize("folder", ["", "zh_CN/"])
@pytest.mark.parametrize("chapter", CHAPTERS)
def test_each_chapter_shows_its_reading_time_and_run_time(chapter: str, folder: str) -> None:
    times = _times(HTML / folder / f"{chapter}.html")
    source = wordcount.page_source(ROOT, chapter)
    minutes = max(1, round(wordcount.reading_minutes(source.read_text(encoding="utf-8"), source)))
    assert re.search(rf"(?<!\d){minutes} (min|分钟)", times), (minutes, times)
    name = Path(chapter).name
    if name in gpu.chapters(ROOT):
        state = gpu.state(ROOT, name).state
        assert ("not yet run" in times or "尚未" in times) == (state == "pending"), (state, times)
    else:  # executed by the build: seconds and the machine
        assert re.search(r"\d s|\d 秒", times) and re.search(r"\d+-core|\d+ 核", times), times


def test_landing_page_says_which_gpu_chapters_have_run() -> None:
    text = _text((HTML / "book" / "intro.html").read_text(encoding="utf-8"))
    for name in gpu.chapters(ROOT):
        title = re.search(r"^# (.+)$", wordcount.page_source(ROOT, f"book/{name}").read_text(), re.M).group(1)
        pending = gpu.state(ROOT, name).state == "pending"
        sentence = re.search(r"Not yet run on a GPU: (.*?)\. Until", text)
        assert (sentence is not None and title in sentence.group(1)) == pending, (name, pending, text[:600])


def test_chinese_pages_number_the_chapters_they_refer_to() -> None:
    page = (HTML / "zh_CN" / "book" / "cpu_time.html").read_text(encoding="utf-8")
    assert re.search(r"第 4 章（[^）]*CPU[^）]*）", _text(page)), "a bare chapter title on the Chinese cpu_time page"
    english = _text((HTML / "book" / "cpu_time.html").read_text(encoding="utf-8"))
    assert "第 4 章" not in english and "Chapter 4 (" not in english  # English keeps the bare title


def test_the_chinese_landing_page_says_what_the_chinese_edition_is() -> None:
    chinese = _text((HTML / "zh_CN" / "book" / "intro.html").read_text(encoding="utf-8"))
    english = _text((HTML / "book" / "intro.html").read_text(encoding="utf-8"))
    assert "关于中文版" in chinese and "译自英文版" in chinese
    assert "英文译本" not in chinese  # not "this is the English translation" on the Chinese site
    assert "About the Chinese edition" not in english and "关于中文版" not in english
