"""What a published build holds: the PDF, the downloads, the footer, the GitHub Pages files.

`make test` builds the site (``make book``) and the downloads (``make downloads``:
``make pdf``, then the PDF and the notebook zip in ``_build/html/downloads/``)
before these tests read them. The PDF is read back with poppler's ``pdftotext``
(.ci/install pdf installs it), so the checks are on the text a reader sees: the
Chinese characters are there (not empty boxes), every chapter title, the
appendices lettered as appendices.
"""
from __future__ import annotations

import re
import subprocess
import zipfile
from pathlib import Path

import pytest
import yaml

from tools import downloads, notebooks

ROOT = Path(__file__).resolve().parents[2]
LATEX = ROOT / "_build" / "latex"
PDF = ROOT / downloads.LATEX_PDF
HTML = ROOT / "_build" / "html"


def _titles(root: Path) -> dict[str, str]:
    """The title (first ``# `` heading) of every page in _toc.yml but the landing page."""
    toc = yaml.safe_load((root / "_toc.yml").read_text(encoding="utf-8"))
    titles = {}
    for part in toc["parts"]:
        for chapter in part["chapters"]:
            name = Path(chapter["file"]).name
            source = next(p for p in (root / "book" / "gpu" / f"{name}.md", root / "book" / f"{name}.md")
                          if p.exists())
            heading = next(l for l in source.read_text(encoding="utf-8").splitlines() if l.startswith("# "))
            titles[name] = heading[2:].strip()
    return titles


@pytest.fixture(scope="module")
def pdf_text() -> str:
    assert PDF.exists(), "build the PDF first: make pdf"
    result = subprocess.run(["pdftotext", "-enc", "UTF-8", str(PDF), "-"], capture_output=True, text=True,
                            check=True)
    return re.sub(r"\s+", " ", result.stdout)


def test_pdf_log_has_no_missing_glyph() -> None:
    log = (LATEX / PDF.with_suffix(".log").name).read_text(encoding="utf-8", errors="replace")
    assert "Missing character" not in log
    assert "xeCJK.sty" in log
    fonts = subprocess.run(["pdffonts", str(PDF)], capture_output=True, text=True, check=True).stdout
    assert "NotoSerifCJK" in fonts  # the Chinese text is set in Noto, embedded


def test_pdf_has_every_chapter_and_the_chinese_text(pdf_text: str) -> None:
    titles = _titles(ROOT)
    assert len(titles) >= 10
    for name, title in titles.items():
        title = re.sub(r"^Appendix [A-Z]:\s*", "", title)
        assert title.lower() in pdf_text.lower(), f"{name}: {title!r} not in the PDF"
    assert "张量" in pdf_text  # the glossary's Chinese (tensor)
    assert "一小时学会PyTorch" in pdf_text.replace(" ", "")
    assert "梯度" in pdf_text


def test_pdf_appendices_are_lettered(pdf_text: str) -> None:
    """Appendix A, B, C, D, not "Chapter 9"; and the title is not repeated after the letter."""
    for letter, title in (("A", "Errata of the original"), ("B", "When things go wrong"),
                          ("C", "English–Chinese glossary"), ("D", "References")):
        assert f"Appendix {letter}. {title}" in pdf_text, letter
    assert "Appendix A: errata" not in pdf_text.split("Appendix A. Errata of the original", 1)[1][:200]


def test_pdf_title_page_and_size(pdf_text: str) -> None:
    info = subprocess.run(["pdfinfo", str(PDF)], capture_output=True, text=True, check=True).stdout
    pages = int(re.search(r"^Pages:\s+(\d+)", info, re.M).group(1))
    assert 60 <= pages <= 400, pages
    assert re.search(r"^Title:\s+Learn PyTorch in One Hour$", info, re.M)
    head = pdf_text[:400]
    assert "Learn PyTorch in One Hour" in head
    release = downloads.book_version(ROOT)
    assert re.search(rf"Version {re.escape(release)}, commit [0-9a-f]{{12}}(\+dirty)?", head), head


def test_pdf_has_the_code_the_outputs_and_the_bibliography(pdf_text: str) -> None:
    assert "import torch" in pdf_text
    assert "tensor([[" in pdf_text  # an executed output
    assert "Alex Krizhevsky. Learning multiple layers of features from tiny images." in pdf_text  # Appendix D


def test_site_downloads_are_the_built_ones() -> None:
    folder = HTML / downloads.SITE_DIR
    assert (folder / downloads.PDF).read_bytes() == PDF.read_bytes()
    with zipfile.ZipFile(folder / downloads.NOTEBOOKS_ZIP) as archive:
        names = {Path(n).name for n in archive.namelist()}
    assert {f"{name}.ipynb" for name in notebooks.chapters(ROOT)} | {"README.txt", "LICENSE"} <= names


def test_landing_page_links_the_downloads() -> None:
    html = (HTML / "book" / "intro.html").read_text(encoding="utf-8")
    for name in (downloads.PDF, downloads.NOTEBOOKS_ZIP):
        assert f'href="../{downloads.SITE_DIR}/{name}"' in html, name


@pytest.mark.parametrize("page", ["book/intro.html", "book/tensors.html", "book/glossary.html"])
def test_every_page_shows_version_commit_and_pdf_link(page: str) -> None:
    html = (HTML / page).read_text(encoding="utf-8")
    release = downloads.book_version(ROOT)
    assert re.search(rf"Version {re.escape(release)}, built from commit\s*(<a href=\"[^\"]+/commit/[0-9a-f]{{40}}\">)?"
                     r"<code>[0-9a-f]{12}(\+dirty)?</code>", html), "footer without version and commit"
    depth = page.count("/")
    assert f'href="{"../" * depth}{downloads.SITE_DIR}/{downloads.PDF}"' in html
    assert 'data-default-mode="auto"' in html  # html_context: {default_mode: auto}


def test_github_pages_files() -> None:
    assert (HTML / ".nojekyll").exists()
    index = (HTML / "book" / "intro.html").read_text(encoding="utf-8")
    baseurl = yaml.safe_load((ROOT / "_config.yml").read_text())["html"]["baseurl"]
    assert f'<link rel="canonical" href="{baseurl}book/intro.html"' in index


def test_theme_buttons_are_accessible_without_javascript() -> None:
    """The template overrides (book/_templates): no label that differs from the visible text."""
    html = (HTML / "book" / "tensors.html").read_text(encoding="utf-8")
    search = re.search(r"<button[^>]*search-button-field[^>]*>", html).group(0)
    assert "aria-label" not in search
    icons = re.findall(r'<i class="theme-switch[^>]*>', html)
    assert len(icons) == 3 and all('aria-hidden="true"' in i and "title=" not in i for i in icons)


def test_references_page_lists_every_entry_as_a_list_item() -> None:
    html = (HTML / "book" / "references.html").read_text(encoding="utf-8")
    bib = (ROOT / "book" / "references.bib").read_text(encoding="utf-8")
    entries = len(re.findall(r"^@\w+\{", bib, re.M))
    assert html.count('class="citation" id=') == entries
    assert 'role="doc-biblioentry"' not in html and html.count('role="listitem"') >= entries
