"""GPU chapters in the build (tools/gpu.py): never executed, and a note on where their outputs come from.

Every stored notebook ``book/<name>.ipynb`` of a ``book/gpu/<name>.md`` is added
to ``nb_execution_excludepatterns`` (the list of GPU chapters stays the folder),
and its page gets, under the title, a note rendered from the notebook's
provenance, plus a warning when package code it imports changed since the run.
The notes are in the page's language (``sphinx.locale._``: locales/<language>/
LC_MESSAGES/sphinx.po, extracted through book/_templates/ui-strings.html).
"""
from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from docutils import nodes
from sphinx import addnodes
from sphinx.application import Sphinx
from sphinx.locale import _
from sphinx.util.docutils import SphinxDirective

PENDING = ("This chapter's results, timings and figures come from a run on a CUDA GPU, which has not "
           "happened yet: for now the page shows the code without its outputs, and numbers read "
           "\u201c{}\u201d. Once it has run, this note will say on which GPU, when and with which "
           "versions. You can run it yourself already: the rocket button at the top opens the chapter "
           "in Colab, which offers GPU runtimes.")


RAN = ("Executed on a {gpu} on {date} ({seconds} s) with torch {torch}, CUDA {cuda}, driver {driver}, "
       "Python {python}; data: {data}; commit ")
CHANGED = ("These outputs come from the package code at commit {commit}. Since then {modules} changed "
           "(listings on this page show the current code), so running the chapter now may print "
           "different results.")


def _gpu(app: Sphinx) -> Any:
    if str(app.confdir) not in sys.path:  # the repository root, for tools/
        sys.path.insert(0, str(app.confdir))
    from tools import gpu

    return gpu


def exclude_from_execution(app: Sphinx, config: Any) -> None:
    names = _gpu(app).chapters(Path(app.confdir))
    config.nb_execution_excludepatterns = [*config.nb_execution_excludepatterns, *(f"book/{n}.ipynb" for n in names)]


def _box(kind: str, title: str, *children: nodes.Node) -> nodes.admonition:
    return nodes.admonition("", nodes.title(title, title), nodes.paragraph("", "", *children), classes=[kind])


def notes(prov: dict, changed: list[str], placeholder: str) -> list[nodes.Node]:
    """The note for provenance ``prov``, and a warning if ``changed`` (modules edited since the run)."""
    if prov.get("status") != "executed":
        return [_box("important", _("Outputs to come from a GPU run"),
                     nodes.Text(_(PENDING).replace("{}", _(placeholder))))]
    commit = nodes.literal("", prov.get("commit", "unknown")[:12])
    ran = _(RAN).format(**{**prov, "seconds": prov.get("seconds", "?")})
    out = [_box("note", _("Where these outputs come from"), nodes.Text(ran), commit, nodes.Text("."))]
    if changed:
        before, _sep, after = _(CHANGED).partition("{commit}")
        out.append(_box("warning", _("Outputs from older package code"), nodes.Text(before), commit.deepcopy(),
                        nodes.Text(after.replace("{modules}", ", ".join(changed)))))
    return out


def add_note(app: Sphinx, doctree: nodes.document) -> None:
    gpu, root, name = _gpu(app), Path(app.confdir), Path(app.env.docname).name
    path = gpu.notebook_path(root, name)
    section = doctree.next_node(nodes.section)
    if name not in gpu.chapters(root) or Path(app.env.doc2path(app.env.docname)) != path or section is None:
        return
    for module in gpu.deps.modules(gpu.codes(gpu.source(root, name)), root / "code" / "blitz").values():
        app.env.note_dependency(str(module))  # read the page again when package code changes
    prov = gpu.provenance(root, name)
    at = section.first_child_matching_class(nodes.title)
    section[at + 1:at + 1] = notes(prov, gpu.state(root, name).changed, gpu.PENDING_TEXT)


NOT_RUN = "Not yet run on a GPU: {chapters}. Until they are, their pages show the code without its outputs."
WERE_RUN = "Run on a CUDA GPU: {chapters}. Each of their pages says on which GPU, when and with which versions."


class GpuRuns(SphinxDirective):
    """``{gpu-runs}``: which GPU chapters have run on CUDA, read from their stored notebooks.

    The landing page says where the book's numbers come from; this keeps its
    sentence about the GPU chapters true before and after their CUDA run.
    """

    def _chapter_link(self, name: str) -> nodes.Node:
        text = nodes.inline("", "", classes=["xref", "std", "std-doc"])
        return addnodes.pending_xref("", text, refdomain="std", reftype="doc", reftarget=f"/book/{name}",
                                     refexplicit=False, refwarn=True, refdoc=self.env.docname)

    def _sentence(self, template: str, names: list[str]) -> nodes.paragraph:
        before, _sep, after = _(template).partition("{chapters}")
        para = nodes.paragraph("", before)
        for i, name in enumerate(names):
            para += [nodes.Text(_(", ") if i else ""), self._chapter_link(name)]
        para += nodes.Text(after)
        para["translatable"] = False  # already in the page's language (sphinx.po); gettext skips it
        return para

    def run(self) -> list[nodes.Node]:
        gpu, root = _gpu(self.env.app), Path(self.env.app.confdir)
        from tools.toc import pages

        ran, not_run = [], []
        in_order = [page.rsplit("/", 1)[-1] for page in pages(root)]  # the GPU chapters as the book orders them
        for name in (n for n in in_order if n in gpu.chapters(root)):
            self.env.note_dependency(str(gpu.notebook_path(root, name)))  # the page changes when a chapter is run
            (ran if gpu.provenance(root, name).get("status") == "executed" else not_run).append(name)
        return [self._sentence(t, names) for t, names in ((WERE_RUN, ran), (NOT_RUN, not_run)) if names]


def setup(app: Sphinx) -> dict[str, Any]:
    app.add_directive("gpu-runs", GpuRuns)
    app.connect("config-inited", exclude_from_execution)
    app.connect("doctree-read", add_note)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
