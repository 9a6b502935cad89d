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
4. Accessibility fixes of the theme's buttons (book/_static/a11y.js) and an
   explicit colour mode.
"""
from __future__ import annotations

import shutil
from pathlib import Path, PurePosixPath
from typing import Any

from sphinx.application import Sphinx

NOTEBOOK_DIR = "notebooks"
#: Where the site serves the runnable notebooks for the download button.
SITE_NOTEBOOK_DIR = "_notebooks"


def notebook_path(pagename: str) -> str:
    """``book/autograd`` -> ``notebooks/autograd.ipynb`` (what tools.notebooks writes)."""
    return f"{NOTEBOOK_DIR}/{PurePosixPath(pagename).name}.ipynb"


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
                    button["url"] = url.replace(old, "/" + notebook_path(pagename))
                    break


def _runnable(app: Sphinx, pagename: str) -> Path:
    return Path(app.srcdir) / notebook_path(pagename)


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
                           "tooltip": "Download the notebook (runs in Jupyter or Colab)",
                           "label": "download-notebook-button"})
        group["buttons"] = buttons


def copy_runnable_notebooks(app: Sphinx, exception: Exception | None) -> None:
    """Put notebooks/*.ipynb into the site (``_notebooks/``), where the download buttons point."""
    if exception is not None or app.builder.format != "html":
        return
    out = Path(app.outdir) / SITE_NOTEBOOK_DIR
    out.mkdir(exist_ok=True)
    for notebook in sorted((Path(app.srcdir) / NOTEBOOK_DIR).glob("*.ipynb")):
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


def default_mode(
    app: Sphinx, pagename: str, templatename: str, context: dict[str, Any], doctree: Any
) -> None:
    """Give the theme an explicit colour mode (else the page logs "invalid theme mode")."""
    if not context.get("default_mode"):
        context["default_mode"] = "auto"


def setup(app: Sphinx) -> dict[str, Any]:
    app.connect("html-page-context", default_mode)
    app.add_js_file("a11y.js")  # book/_static/a11y.js
    app.connect("html-page-context", retarget_launch_buttons, priority=900)
    app.connect("html-page-context", dedupe_scripts, priority=900)
    app.connect("html-page-context", download_runnable_notebook, priority=900)
    app.connect("build-finished", copy_runnable_notebooks)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
