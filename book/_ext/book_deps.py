"""Re-execute a chapter when the package code it imports changes.

jupyter-cache keys an executed notebook on its code cells and kernelspec only,
so after an edit of ``code/blitz/figures.py`` every page would still be "Using
cached notebook". Before Sphinx reads the sources, this takes, for every
notebook MyST-NB executes, the digests of the package modules its code imports
(``tools.deps``: transitively; comments and docstrings do not count) and
compares them with those of the last successful build, kept beside the cache
in ``<nb_execution_cache_path>/package_digests.json``. A chapter whose digests
differ loses its cache records and is read again, so MyST-NB executes it
again; the others stay cached. Notebooks excluded from execution (the GPU
chapters) are left alone. Listings (``literalinclude``) follow their files
through Sphinx's own dependency tracking.

Config: ``deps_package``, the package folder relative to the book's root
(default ``code/blitz``).
"""
from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path, PurePosixPath
from typing import Any

import nbformat
from myst_nb.core.read import is_myst_markdown_notebook, read_myst_markdown_notebook
from sphinx.application import Sphinx
from sphinx.util import logging

logger = logging.getLogger(__name__)
RECORD = "package_digests.json"


def executed_notebooks(env: Any) -> Iterator[tuple[str, Path, list[str]]]:
    """(docname, source path, code cells) of every page MyST-NB executes."""
    excluded = env.mystnb_config.execution_excludepatterns
    for docname in sorted(env.found_docs):
        path = Path(env.doc2path(docname))
        if any(PurePosixPath(path.as_posix()).match(p) for p in excluded):
            continue
        if path.suffix == ".ipynb":
            nb = nbformat.read(path, as_version=4)
        elif path.suffix == ".md" and is_myst_markdown_notebook(text := path.read_text(encoding="utf-8")):
            nb = read_myst_markdown_notebook(text)
        else:
            continue
        yield docname, path, [c.source for c in nb.cells if c.cell_type == "code"]


def forget(cache_path: Path, paths: set[Path]) -> None:
    """Remove the jupyter-cache records executed from ``paths``."""
    if not cache_path.is_dir():
        return
    from jupyter_cache import get_cache
    from jupyter_cache.cache.db import NbCacheRecord

    cache = get_cache(cache_path)
    for record in cache.list_cache_records():
        if Path(record.uri).resolve() in paths:
            try:
                cache.remove_cache(record.pk)
            except KeyError:  # its notebook file is already gone: drop the record alone
                NbCacheRecord.remove_records([record.pk], cache.db)


def find_changed(app: Sphinx, env: Any, added: set, changed: set, removed: set) -> list[str]:
    """``env-get-outdated``: the notebooks whose imported package code changed since the last build."""
    config = env.mystnb_config
    if config.execution_mode == "off":
        return []
    if str(app.confdir) not in sys.path:
        sys.path.insert(0, str(app.confdir))
    from tools import deps

    package = Path(app.confdir) / app.config.deps_package
    record = Path(config.execution_cache_path) / RECORD
    old = json.loads(record.read_text()) if record.is_file() else {}
    app.package_digests, rerun = {}, {}
    for docname, path, codes in executed_notebooks(env):
        new = app.package_digests[str(path)] = deps.digests(codes, package)
        if str(path) not in old or old[str(path)] != new:
            rerun[docname] = path.resolve()
            if str(path) in old:
                modules = ", ".join(deps.changed(old[str(path)], new))
                logger.info(f"[deps] {docname}: package code changed ({modules}): executing it again")
    forget(Path(config.execution_cache_path), set(rerun.values()))
    return sorted(set(rerun) - added - changed)


def save(app: Sphinx, exception: Exception | None) -> None:
    """``build-finished``: record the digests once the build succeeded."""
    digests = getattr(app, "package_digests", None)
    if exception is None and digests is not None:
        record = Path(app.env.mystnb_config.execution_cache_path) / RECORD
        record.parent.mkdir(parents=True, exist_ok=True)
        record.write_text(json.dumps(digests, indent=1, sort_keys=True))


def setup(app: Sphinx) -> dict[str, Any]:
    app.add_config_value("deps_package", "code/blitz", "env")
    app.connect("env-get-outdated", find_changed)
    app.connect("build-finished", save)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
