"""Under each chapter's title: how long it takes to read, and how long its code took to run.

The reading time is ``tools.wordcount``'s measure of the chapter's main path
(prose words / 200 + code lines / 15; README, "Reading time"). The run time is
the execution time of the notebook this page shows: for a chapter executed by
the build, myst-nb's record of that execution (from the jupyter-cache when the
chapter did not change), on the machine that built the page; for a GPU
chapter, the CUDA run stored in its notebook (``tools.gpu``), or a word that
it has not run yet. Both languages: the words go through ``sphinx.locale._``
(locales/<language>/LC_MESSAGES/sphinx.po, listed in book/_templates/ui-strings.html).
"""
from __future__ import annotations

import os
import platform
import sys
from pathlib import Path
from typing import Any

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.locale import _

READING = "Reading time: about {minutes} min"
RAN_HERE = "Run time: {seconds} s, executed by the build on a {cores}-core {arch} CPU"
RAN_GPU = "Run time: {seconds} s on a {gpu}"
NOT_RUN = "Run time: not yet run on a GPU"
SEPARATOR = " · "


def _tools(app: Sphinx) -> Any:
    if str(app.confdir) not in sys.path:  # the repository root, for tools/
        sys.path.insert(0, str(app.confdir))
    from tools import gpu, wordcount

    return gpu, wordcount


def _seconds(value: float) -> str:
    return f"{value:,.0f}" if value >= 10 else f"{value:.1f}"


def run_time(app: Sphinx, docname: str) -> str | None:
    """The page's run-time phrase, or None when the page executed nothing (not a chapter)."""
    gpu, _wordcount = _tools(app)
    name = Path(docname).name
    if name in gpu.chapters(Path(app.confdir)):
        prov = gpu.provenance(Path(app.confdir), name)
        if prov.get("status") != "executed":
            return _(NOT_RUN)
        return _(RAN_GPU).format(seconds=prov.get("seconds", "?"), gpu=prov.get("gpu", "GPU"))
    from myst_nb.sphinx_ import NbMetadataCollector

    data = NbMetadataCollector.get_exec_data(app.env, docname)
    if not data or data.get("runtime") is None:
        return None
    return _(RAN_HERE).format(seconds=_seconds(data["runtime"]), cores=os.cpu_count(), arch=platform.machine())


def reading_minutes(app: Sphinx, docname: str) -> int:
    _gpu, wordcount = _tools(app)
    source = wordcount.page_source(Path(app.confdir), docname)
    return max(1, round(wordcount.reading_minutes(source.read_text(encoding="utf-8"), source)))


def add_times(app: Sphinx, doctree: nodes.document) -> None:
    """Put the reading time and the run time of a chapter under its title."""
    docname = app.env.docname
    section = doctree.next_node(nodes.section)
    ran = run_time(app, docname)
    if section is None or ran is None:
        return
    text = _(READING).format(minutes=reading_minutes(app, docname)) + _(SEPARATOR) + ran
    at = section.first_child_matching_class(nodes.title)
    section.insert(at + 1, nodes.paragraph("", "", nodes.emphasis(text, text), classes=["chapter-times"]))


def setup(app: Sphinx) -> dict[str, Any]:
    app.connect("doctree-read", add_times)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
