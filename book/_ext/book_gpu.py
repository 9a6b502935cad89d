"""GPU chapters in the build (tools/gpu.py; README, "GPU chapters").

1. Their stored notebooks, ``book/<name>.ipynb`` for every ``book/gpu/<name>.md``,
   are never executed: they are added to ``nb_execution_excludepatterns``, so
   the list of GPU chapters stays the folder.
2. Under the title of a GPU page, a note rendered from the notebook's
   provenance (metadata ``blitz_gpu``): where and when its outputs were made,
   or, before its first CUDA run, what the reader will find; and, when the
   package code it imports changed since the run, which modules changed.
"""
from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import nbformat
from docutils import nodes
from sphinx.application import Sphinx

PENDING = ("This chapter runs on a CUDA GPU, and its outputs have not been recorded yet: the page "
           "shows its code without results, and numbers read \u201c{placeholder}\u201d. They will come "
           "from a run on a CUDA machine, described in this note. You need not wait: the rocket button "
           "at the top opens the chapter as a notebook in Colab, with a GPU runtime.")


def _gpu(app: Sphinx) -> Any:
    """tools.gpu, from the repository root (the book's confdir)."""
    if str(app.confdir) not in sys.path:
        sys.path.insert(0, str(app.confdir))
    from tools import gpu

    return gpu


def exclude_from_execution(app: Sphinx, config: Any) -> None:
    names = _gpu(app).chapters(Path(app.confdir))
    extra = [f"book/{n}.ipynb" for n in names]
    config.nb_execution_excludepatterns = list(config.nb_execution_excludepatterns) + extra


def _admonition(kind: str, title: str, *paragraphs: list[nodes.Node]) -> nodes.admonition:
    box = nodes.admonition(classes=[kind])
    box += nodes.title(title, title)
    for children in paragraphs:
        box += nodes.paragraph("", "", *children)
    return box


def notes(prov: dict, changed: list[str], placeholder: str) -> list[nodes.Node]:
    """The note(s) for a GPU page with provenance ``prov``; ``changed``: modules edited since the run."""
    if prov.get("status") != "executed":
        return [_admonition("important", "Outputs from a GPU run, coming soon",
                            [nodes.Text(PENDING.format(placeholder=placeholder))])]
    commit = nodes.literal("", prov.get("commit", "unknown")[:12])
    ran = (f"Executed on a {prov['gpu']} on {prov['date']} ({prov.get('seconds', '?')} s) with torch "
           f"{prov['torch']}, CUDA {prov['cuda']}, driver {prov['driver']}, Python {prov['python']}; "
           f"data: {prov['data']}; commit ")
    out = [_admonition("note", "Where these outputs come from", [nodes.Text(ran), commit, nodes.Text(".")])]
    if changed:
        modules = ", ".join(changed)
        out.append(_admonition("warning", "Outputs from older package code", [
            nodes.Text("These outputs come from the package code at commit "), commit.deepcopy(),
            nodes.Text(f". Since then the code of {modules} changed (listings on this page show the "
                       "current code), so running the chapter now may print different results.")]))
    return out


def add_note(app: Sphinx, doctree: nodes.document) -> None:
    """Insert the provenance note under the title of a GPU chapter's page."""
    gpu, root, docname = _gpu(app), Path(app.confdir), app.env.docname
    name = Path(docname).name
    path = gpu.notebook_path(root, name)
    if name not in gpu.chapters(root) or Path(app.env.doc2path(docname)) != path:
        return
    state = gpu.state(root, name)
    for module in gpu.deps.modules(gpu.codes(gpu.source(root, name)), root / "code" / "blitz").values():
        app.env.note_dependency(str(module))  # re-read the page when package code changes
    prov = nbformat.read(path, as_version=4).metadata.get(gpu.KEY, {})
    section = doctree.next_node(nodes.section)
    if section is None:
        return
    at = section.first_child_matching_class(nodes.title)
    for i, note in enumerate(notes(prov, state.changed, gpu.PENDING_TEXT)):
        section.insert((0 if at is None else at + 1) + i, note)


def setup(app: Sphinx) -> dict[str, Any]:
    app.connect("config-inited", exclude_from_execution)
    app.connect("doctree-read", add_note)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
