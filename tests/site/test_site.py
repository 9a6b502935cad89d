"""The built site works in a real browser.

Reads ``_build/html`` (``make test`` runs ``make book`` first), serves it on
localhost and drives Debian's headless Chromium (``/usr/bin/chromium``, from
``apt-get install chromium``; Playwright cannot download browsers here) with
Playwright. For every page: no console error, no failed request and no request
leaving localhost (the site must not depend on a CDN), every image loaded with
meaningful alt text, every internal link (and its #anchor) resolves, no serious
or critical accessibility violation reported by axe-core (tests/node_modules,
pinned by tests/package-lock.json, ``npm ci``). Chapter pages: the Colab and
Binder links open a notebook that exists in the repository, and screenshots in
light and dark mode are saved in test-artifacts/screenshots/. axe-core runs
once per page with every rule (a chapter's in light mode, beside its
screenshot), and a chapter page's again in dark mode with the rules that
colours decide. axe-core and the full-page screenshots are most of this tier's
time, so axe does not repeat what cannot change.
"""
from __future__ import annotations

import functools
import http.server
import re
import threading
from collections.abc import Iterator
from html import unescape
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlparse

import pytest
from playwright import sync_api as playwright_sync

ROOT = Path(__file__).resolve().parents[2]
HTML = ROOT / "_build" / "html"
AXE = ROOT / "tests" / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update"]
SHOTS = ROOT / "test-artifacts" / "screenshots"
SKIP_DIRS = {"_static", "_sources", "_images", "_sphinx_design_static"}

def _pages() -> list[str]:
    if not HTML.is_dir():
        return []
    return sorted(
        p.relative_to(HTML).as_posix()
        for p in HTML.rglob("*.html")
        if not SKIP_DIRS & set(p.relative_to(HTML).parts)
    )


PAGES = _pages()
#: The Chinese edition's folder of the site (tools/i18n.py); its notebooks are in notebooks/zh_CN/.
ZH = "zh_CN/"


def _notebook(page_path: str) -> str:
    """The runnable notebook a chapter page launches: notebooks/[zh_CN/]<name>.ipynb."""
    folder = ZH if page_path.startswith(ZH) else ""
    return f"notebooks/{folder}{Path(page_path).stem}.ipynb"


CHAPTERS = [p for p in PAGES if p.removeprefix(ZH).startswith("book/") and (ROOT / _notebook(p)).exists()]


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args: object) -> None:  # keep pytest's output readable
        pass


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    assert HTML.is_dir(), "build the book first: make book"
    handler = functools.partial(_QuietHandler, directory=str(HTML))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    httpd.shutdown()


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    assert Path(CHROMIUM).exists(), "apt-get install -y chromium chromium-driver"
    assert AXE.exists(), "cd tests && npm ci   (axe-core, pinned by tests/package-lock.json)"
    with playwright_sync.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield browser
        browser.close()


def _open(browser, server: str, page_path: str, color_scheme: str = "light",
          viewport: tuple[int, int] = (1280, 900)):
    """Load a page and return (page, problems): console errors, failed or external requests."""
    context = browser.new_context(color_scheme=color_scheme, viewport={"width": viewport[0], "height": viewport[1]})
    page = context.new_page()
    problems: list[str] = []

    def route(r):
        if r.request.url.startswith(server) or r.request.url.startswith("data:"):
            r.continue_()
        else:
            problems.append(f"external request: {r.request.url}")
            r.abort()

    page.route("**/*", route)
    page.on("console", lambda m: m.type == "error" and problems.append(f"console error: {m.text}"))
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    page.on("requestfailed", lambda r: problems.append(f"failed request: {r.url} {r.failure}"))
    page.on("response", lambda r: r.status >= 400 and problems.append(f"HTTP {r.status}: {r.url}"))
    page.goto(server + page_path, wait_until="networkidle")
    return page, problems


def test_site_was_built() -> None:
    assert "book/intro.html" in PAGES, "build the book first: make book"
    assert f"{ZH}book/intro.html" in PAGES, "the Chinese site is missing: make book"
    assert CHAPTERS, "no chapter page has a notebook: make notebooks"
    english = {p for p in CHAPTERS if not p.startswith(ZH)}
    assert {ZH + p for p in english} <= set(CHAPTERS), "a chapter without its Chinese page or notebook"


#: The axe-core options for each colour scheme. Light mode: every rule. Dark mode changes
#: only the stylesheet's colours (the DOM is the same), so only the rules axe-core tags
#: ``cat.color`` can reach another verdict there (color-contrast, link-in-text-block;
#: color-contrast-enhanced, the AAA level, is off in light mode too and stays off).
AXE_OPTIONS = {
    "light": "{resultTypes: ['violations']}",
    "dark": "{resultTypes: ['violations'], runOnly: {type: 'tag', values: ['cat.color']},"
            " rules: {'color-contrast-enhanced': {enabled: false}}}",
}


def _axe(page, scheme: str = "light") -> list[str]:
    """Serious or critical accessibility violations that axe-core finds on the page (``AXE_OPTIONS[scheme]``)."""
    page.add_script_tag(path=str(AXE))
    result = page.evaluate(f"axe.run(document, {AXE_OPTIONS[scheme]})")
    return [
        f"axe {v['impact']}: {v['id']} ({v['help']}) at {[n['target'] for n in v['nodes']][:3]}"
        for v in result["violations"]
        if v["impact"] in {"serious", "critical"}
    ]


def _anchors(html_file: Path) -> set[str]:
    return set(re.findall(r'\bid="([^"]+)"', html_file.read_text(encoding="utf-8")))


@pytest.mark.parametrize("page_path", PAGES)
def test_page(browser, server: str, page_path: str) -> None:
    page, problems = _open(browser, server, page_path)
    if page_path in CHAPTERS:  # MathJax typesets after load; let its fonts arrive
        page.wait_for_load_state("networkidle")
    images = page.evaluate(
        "Array.from(document.images).map(i => ({src: i.currentSrc || i.src, alt: i.alt,"
        " ok: i.complete && i.naturalWidth > 0}))"
    )
    for img in images:
        if not img["ok"]:
            problems.append(f"image not loaded: {img['src']}")
        alt = img["alt"].strip()
        name = unquote(img["src"].rsplit("/", 1)[-1])
        if len(alt) < 4 or alt == name or re.search(r"\.(png|jpe?g|svg|gif)$", alt, re.I):
            problems.append(f"image without meaningful alt text: {img['src']} alt={alt!r}")

    hrefs = page.eval_on_selector_all("a[href]", "els => els.map(e => e.href)")
    for href in set(hrefs):
        url = urlparse(href)
        if not href.startswith(server):
            continue
        target = HTML / unquote(url.path[len(urlparse(server).path):])
        if target.is_dir():
            target = target / "index.html"
        if not target.exists():
            problems.append(f"broken internal link: {href}")
        elif url.fragment and target.suffix == ".html" and unquote(url.fragment) not in _anchors(target):
            problems.append(f"missing anchor: {href}")

    if page_path not in CHAPTERS:  # a chapter's is checked, light and dark, with its screenshots below
        problems += _axe(page)
    page.context.close()
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("page_path", CHAPTERS)
def test_chapter_launch_links_and_screenshots(browser, server: str, page_path: str) -> None:
    name = ("zh_CN-" if page_path.startswith(ZH) else "") + Path(page_path).stem
    for scheme in ("light", "dark"):
        page, problems = _open(browser, server, page_path, color_scheme=scheme)
        assert page.evaluate("document.documentElement.dataset.theme") == scheme
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / f"{name}-{scheme}.png"), full_page=True)
        if page.locator(".math").count():  # the bundled MathJax typeset the formulas (some in closed asides)
            page.wait_for_selector("mjx-container", state="attached", timeout=30_000)
        problems += _axe(page, scheme)  # the page's only axe run with every rule is the light one
        hrefs = page.eval_on_selector_all("a[href]", "els => els.map(e => e.href)")
        # Previous/next navigation and a numbered title ("2. Autograd ...").
        if page.locator("a.left-prev").count() != 1 or page.locator("a.right-next").count() != 1:
            problems.append("previous/next links missing")
        title = page.locator("article h1").first.inner_text()
        if not re.match(r"\d+\. |Appendix [A-Z]: |附录 [A-Z]：", title):  # a chapter's number or an appendix's letter
            problems.append(f"title without a number or letter: {title!r}")
        page.context.close()
        assert not problems, "\n".join(problems)

    colab = [h for h in hrefs if h.startswith("https://colab.research.google.com/github/")]
    binder = [h for h in hrefs if h.startswith("https://mybinder.org/v2/gh/")]
    assert len(colab) == 1 and len(binder) == 1, hrefs
    colab_path = colab[0].split("/blob/", 1)[1].split("/", 1)[1]  # after blob/<branch>/
    binder_path = parse_qs(urlparse(binder[0]).query)["urlpath"][0].split("/tree/", 1)[1]
    for path in (colab_path, binder_path):
        assert path == _notebook(page_path)
        assert (ROOT / path).is_file()


def test_dark_mode_axe_run_finds_poor_contrast(browser, server: str) -> None:
    """The chapters' dark-mode axe run (``AXE_OPTIONS["dark"]``) reports grey text on the dark page."""
    assert CHAPTERS, "no chapter pages: make notebooks"
    page, _ = _open(browser, server, CHAPTERS[0], color_scheme="dark")
    assert page.evaluate("document.documentElement.dataset.theme") == "dark"
    clean = _axe(page, "dark")
    page.evaluate("""() => { const p = document.createElement('p');
        p.textContent = 'hard to read'; p.style.color = '#333';
        document.querySelector('article').prepend(p); }""")
    found = _axe(page, "dark")
    page.context.close()
    assert not clean, clean
    assert any("color-contrast" in problem for problem in found), found


def test_dark_mode_gives_figures_a_white_background(browser, server: str) -> None:
    figures = [p for p in CHAPTERS if "<img" in (HTML / p).read_text(encoding="utf-8")]
    assert figures, "no chapter has a figure"
    page, _ = _open(browser, server, figures[0], color_scheme="dark")
    colors = page.eval_on_selector_all(
        "article img", "els => els.map(e => getComputedStyle(e).backgroundColor)"
    )
    page.context.close()
    assert colors and set(colors) == {"rgb(255, 255, 255)"}, colors


def test_search_finds_the_autograd_chapter(browser, server: str) -> None:
    page, problems = _open(browser, server, "search.html?q=autograd")
    page.wait_for_selector("#search-results li a", timeout=30_000)
    results = page.eval_on_selector_all("#search-results li a", "els => els.map(e => e.href)")
    page.context.close()
    assert any(urlparse(r).path.endswith("/book/autograd.html") for r in results), results
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("word, chapter", [("张量", "tensors"), ("梯度", "autograd")])
def test_chinese_search_finds_chinese_words(browser, server: str, word: str, chapter: str) -> None:
    page, problems = _open(browser, server, f"{ZH}search.html?q={word}")
    page.wait_for_selector("#search-results li a", timeout=30_000)
    results = page.eval_on_selector_all("#search-results li a", "els => els.map(e => e.href)")
    page.context.close()
    assert any(urlparse(r).path.endswith(f"/{ZH}book/{chapter}.html") for r in results), results
    assert not problems, "\n".join(problems)


def test_the_language_switch_opens_the_same_page(browser, server: str) -> None:
    page, problems = _open(browser, server, "book/autograd.html")
    page.click("a.language-switch")
    page.wait_for_load_state("networkidle")
    assert page.url.endswith(f"/{ZH}book/autograd.html")
    assert page.evaluate("document.documentElement.lang") == "zh-CN"
    page.click("a.language-switch")
    page.wait_for_load_state("networkidle")
    assert page.url.endswith("/book/autograd.html") and f"/{ZH}" not in page.url
    page.context.close()
    assert not problems, "\n".join(problems)


# --- the page is for the reader: no build plumbing in code, code that fits the column ---------

#: What only the book's build needs: a reader who copies it gets ModuleNotFoundError or
#: code that phrases the page. GPU chapters also keep sized(...) (smoke scaling) out of sight.
PLUMBING = ("glue(", "myst_nb", "Markdown(")
GPU_PLUMBING = ("sized(",)


def _code_inputs(html: str) -> list[str]:
    """The text of every code block of a page that is not an output: cells (shown or collapsed), listings."""
    blocks = []
    for m in re.finditer(r'<div class="(?P<cls>[^"]*)"[^>]*>\s*<div class="highlight"><pre>(?P<code>.*?)</pre>',
                         html, re.S):
        if "output" in m.group("cls").split() or "highlight-myst-ansi" in m.group("cls"):
            continue
        blocks.append(unescape(re.sub(r"<[^>]+>", "", m.group("code"))))
    return blocks


def test_code_input_finder_skips_outputs() -> None:
    html = ('<div class="highlight-ipython3 notranslate"><div class="highlight"><pre><span>glue</span>(x)</pre>'
            '<div class="output stream highlight-myst-ansi notranslate"><div class="highlight"><pre>glue(y)</pre>')
    assert _code_inputs(html) == ["glue(x)"]


@pytest.mark.parametrize("page_path", CHAPTERS)
def test_visible_code_is_code_a_reader_would_type(page_path: str) -> None:
    """No cell a reader sees (shown or collapsed) holds build plumbing; glue lives in hidden cells."""
    gpu = (ROOT / "book" / "gpu" / f"{Path(page_path).stem}.md").exists()
    found = [(word, code.strip().splitlines()[0][:80]) for code in _code_inputs((HTML / page_path).read_text())
             for word in PLUMBING + (GPU_PLUMBING if gpu else ()) if word in code]
    assert not found, f"{page_path}: plumbing in visible code: {found}"


OVERFLOW_JS = """() => Array.from(document.querySelectorAll('article pre'))
  .filter(p => p.offsetParent !== null && p.clientWidth > 0)
  .map(p => ({output: !!p.closest('.cell_output, .output'), over: p.scrollWidth > p.clientWidth + 1,
              line: p.innerText.split('\\n').reduce((a, b) => a.length >= b.length ? a : b, '').slice(0, 90)}))"""


@pytest.mark.parametrize("language", ["en", "zh_CN"])
def test_code_fits_the_column(browser, server: str, language: str) -> None:
    """At 1280x900 no code input scrolls sideways, and at most 5 % of the outputs do; phone screenshots."""
    pages = [p for p in CHAPTERS if p.startswith(ZH) == (language == "zh_CN")]
    inputs, outputs, wide_inputs, wide_outputs = 0, 0, [], []
    for page_path in pages:
        page, _problems = _open(browser, server, page_path)
        for block in page.evaluate(OVERFLOW_JS):
            if block["output"]:
                outputs += 1
                wide_outputs += [(page_path, block["line"])] if block["over"] else []
            else:
                inputs += 1
                wide_inputs += [(page_path, block["line"])] if block["over"] else []
        page.context.close()
        phone, _problems = _open(browser, server, page_path, viewport=(390, 844))  # laid out as on a phone
        SHOTS.mkdir(parents=True, exist_ok=True)
        phone.screenshot(path=str(SHOTS / f"phone-{language}-{Path(page_path).stem}.png"))
        phone.context.close()
    assert inputs > 100 and outputs > 50, (inputs, outputs)  # the pages were read
    assert not wide_inputs, f"{len(wide_inputs)} of {inputs} code blocks scroll sideways: {wide_inputs}"
    assert len(wide_outputs) <= 0.05 * outputs, (
        f"{len(wide_outputs)} of {outputs} output blocks scroll sideways: {wide_outputs}")
