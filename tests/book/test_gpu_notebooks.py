"""The GPU-chapter mechanism: hash, provenance, executor, pending notebooks, check, build.

Everything runs without a GPU. The executor is exercised on a tiny throwaway
chapter in a throwaway repository (tmp_path), executed on the CPU with a
``test-cpu`` provenance: such a notebook never enters the book.
"""
from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path, PurePosixPath

import nbformat
import pytest
import torch
import yaml

from blitz import gpu_notebooks as g
from blitz import gpu_outputs as go
from blitz.gpu_check import check

HEADER = """---
jupytext:
  text_representation:
    extension: .md
    format_name: myst
    format_version: 0.13
kernelspec:
  display_name: Python 3
  language: python
  name: python3
---
"""
TINY = HEADER + """
(ch-tiny)=
# Tiny

+++

Some prose about {glue:text}`tiny_answer`.

```{code-cell} ipython3
from blitz.smoke import scaled
from myst_nb import glue
```

```{code-cell} ipython3
answer = scaled(6, 1) * 7
print("answer", answer)
glue("tiny_answer", answer, display=False)
```
"""


@pytest.fixture()
def repo(tmp_path: Path, repo_root: Path) -> Path:
    """A throwaway repository: a copy of the package and one tiny GPU chapter."""
    shutil.copytree(repo_root / "code" / "blitz", tmp_path / "code" / "blitz",
                    ignore=shutil.ignore_patterns("__pycache__"))
    (tmp_path / "book" / "gpu").mkdir(parents=True)
    g.source_path("tiny", tmp_path).write_text(TINY)
    return tmp_path


def _hash(root: Path) -> str:
    source = g.read_source(g.source_path("tiny", root))
    return g.code_hash(g.code_cells(source), root / "code" / "blitz")[0]


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))


def test_imported_modules_follow_imports(repo: Path) -> None:
    pkg = repo / "code" / "blitz"
    names = {f.name for f in g.imported_modules(["from blitz.lenet import LeNet"], pkg)}
    assert names == {"__init__.py", "lenet.py"}
    # blitz.train imports blitz.cnn, which imports blitz.augment: followed transitively
    names = {f.name for f in g.imported_modules(["import blitz.train as t"], pkg)}
    assert {"train.py", "cnn.py", "augment.py"} <= names
    assert "lenet.py" not in names
    assert g.imported_modules(["import torch\nx = 1"], pkg) == []


def test_hash_follows_code_cells_not_prose(repo: Path) -> None:
    src, before = g.source_path("tiny", repo), _hash(repo)
    _edit(src, "Some prose about", "Different words about")
    assert _hash(repo) == before
    _edit(src, "scaled(6, 1) * 7", "scaled(6, 1) * 8")
    assert _hash(repo) != before


def test_hash_follows_imported_blitz_modules_only(repo: Path) -> None:
    before = _hash(repo)
    _edit(repo / "code" / "blitz" / "graph.py", '"""', '"""Not imported by the chapter. ')
    assert _hash(repo) == before
    _edit(repo / "code" / "blitz" / "smoke.py", "def scaled(", "def _unused() -> None:\n    pass\n\n\ndef scaled(")
    assert _hash(repo) != before


def test_provenance_round_trip(repo: Path, tmp_path: Path) -> None:
    source = g.read_source(g.source_path("tiny", repo))
    prov = go.provenance("test-cpu", g.code_cells(source), repo / "code" / "blitz")
    assert prov["torch"] == torch.__version__ and prov["code_hash"] == _hash(repo)
    assert prov["hashed_modules"] == ["blitz/__init__.py", "blitz/smoke.py"]
    path = tmp_path / "nb.ipynb"
    nbformat.write(g.assemble(source, prov, outputs=source), path)
    back = nbformat.read(path, as_version=4)
    assert back.metadata[g.META_KEY] == prov
    banner = [c for c in back.cells if g.BANNER_TAG in c.metadata.get("tags", [])]
    assert len(banner) == 1 and banner[0].source == g.banner(prov)
    assert back.cells.index(banner[0]) == 1  # right under the title
    assert prov["date"] in banner[0].source and prov["torch"] in banner[0].source


def test_without_glue_replaces_roles_and_figures() -> None:
    md = "A {glue:text}`acc:.1f` % and {glue}`x`.\n\n```{glue:figure} fig\n:alt: a plot\n\nCaption\n```\nEnd."
    out = g.without_glue(md)
    assert "glue" not in out and out.count(g.PENDING_TEXT) == 3 and out.endswith("End.")


def test_refuses_without_cuda(repo: Path, monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    before = sorted(p.relative_to(repo) for p in repo.rglob("*"))
    with pytest.raises(go.NoCudaError, match="CUDA is not available"):
        go.execute_all(repo, ("tiny",))
    assert go.main(["--root", str(repo)]) == 2
    assert "Nothing was written" in capsys.readouterr().err
    assert sorted(p.relative_to(repo) for p in repo.rglob("*")) == before


def test_cpu_test_run_and_staleness(repo: Path, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="must not write into"):
        go.cpu_test_run("tiny", repo, repo / "book")
    out = go.cpu_test_run("tiny", repo, tmp_path / "out")
    nb = nbformat.read(out, as_version=4)
    assert nb.metadata[g.META_KEY]["status"] == "test-cpu"
    assert "answer 42" in "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.outputs)
    assert "for a test only" in nb.cells[1].source
    shutil.copy(out, g.notebook_path("tiny", repo))  # the throwaway repo's book, not ours
    assert check("tiny", repo).state == "test-only"  # in sync, but never acceptable in the book
    src = g.source_path("tiny", repo)
    _edit(src, "Some prose about", "Other prose about")  # prose: out of sync, not stale
    verdict = check("tiny", repo)
    assert verdict.state == "out-of-sync" and "no GPU needed" in verdict.message
    go.write_pending("tiny", repo)  # syncs the prose and keeps the outputs
    synced = nbformat.read(g.notebook_path("tiny", repo), as_version=4)
    assert "Other prose" in synced.cells[2].source and synced.cells[4].outputs == nb.cells[4].outputs
    assert check("tiny", repo).state == "test-only"
    _edit(repo / "code" / "blitz" / "smoke.py", "def scaled(", "def _x() -> None:\n    pass\n\n\ndef scaled(")
    verdict = check("tiny", repo)
    assert verdict.state == "stale" and "'tiny'" in verdict.message and g.REFRESH in verdict.message
    with pytest.raises(RuntimeError, match="stale"):
        go.write_pending("tiny", repo)  # real outputs are never silently discarded


def test_pending_notebook(repo: Path) -> None:
    assert check("tiny", repo).state == "out-of-sync"  # listed, with a source, but no notebook
    go.write_pending("tiny", repo)
    nb = nbformat.read(g.notebook_path("tiny", repo), as_version=4)
    assert nb.metadata[g.META_KEY]["status"] == "pending"
    assert "not yet produced on a CUDA machine" in nb.cells[1].source
    assert all(not c.outputs for c in nb.cells if c.cell_type == "code")
    assert "{glue" not in "".join(c.source for c in nb.cells if c.cell_type == "markdown")
    assert check("tiny", repo).state == "pending"
    _edit(repo / "code" / "blitz" / "smoke.py", "def scaled(", "def _x() -> None:\n    pass\n\n\ndef scaled(")
    assert check("tiny", repo).state == "pending"  # no outputs: package edits cannot make it stale
    _edit(g.source_path("tiny", repo), "scaled(6, 1) * 7", "scaled(6, 1) * 9")
    verdict = check("tiny", repo)
    assert verdict.state == "out-of-sync" and "make gpu-pending" in verdict.message


def test_missing_source_is_reported(repo: Path) -> None:
    g.source_path("tiny", repo).unlink()
    assert check("tiny", repo).state == "missing"
    g.notebook_path("tiny", repo).write_text("{}")
    assert check("tiny", repo).state == "out-of-sync"


# --- the real book ---------------------------------------------------------------------------

@pytest.mark.parametrize("name", g.GPU_CHAPTERS)
def test_gpu_chapter_is_up_to_date(name: str, repo_root: Path) -> None:
    """Fails when a stored GPU notebook is stale or does not match its source."""
    verdict = check(name, repo_root)
    if verdict.state in ("pending", "missing"):
        pytest.skip(verdict.message)  # allowed, and reported by `pytest -ra`
    assert verdict.state == "ok", verdict.message


def test_config_renders_gpu_notebooks_without_executing(repo_root: Path) -> None:
    config = yaml.safe_load((repo_root / "_config.yml").read_text())
    assert "book/gpu/*" in config["exclude_patterns"]
    toc = (repo_root / "_toc.yml").read_text()
    for name in g.GPU_CHAPTERS:
        nb = PurePosixPath(g.notebook_path(name, repo_root).as_posix())
        assert any(nb.match(p) for p in config["execute"]["exclude_patterns"]), name
        assert f"file: book/{name}\n" in toc


def test_chapter_runs_on_the_cpu_in_smoke_mode(repo_root: Path, tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """A reader without a GPU can run chapter 5: it falls back to the CPU and says so."""
    monkeypatch.setenv("BLITZ_SMOKE", "1")
    out = go.cpu_test_run("training_on_gpu", repo_root, tmp_path)
    nb = nbformat.read(out, as_version=4)
    assert nb.metadata[g.META_KEY]["status"] == "test-cpu"
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    text = "".join(o.get("text", "") for o in outputs)
    assert "Accuracy of the network on the 200 test images" in text
    if not torch.cuda.is_available():
        assert "No GPU found: using the CPU." in text
    # every number the prose quotes is glued, on the CPU as on a GPU (else the page would warn)
    prose = "".join(c.source for c in nb.cells if c.cell_type == "markdown")
    quoted = set(re.findall(r"\{glue(?::[a-z]*)?\}`([^`:]+)", prose))
    glued = {o.metadata["scrapbook"]["name"] for o in outputs if "scrapbook" in o.get("metadata", {})}
    assert quoted and quoted <= glued, quoted - glued


def test_build_renders_a_stored_notebook_without_executing_it(tmp_path: Path, repo_root: Path) -> None:
    """A throwaway book with the project's config renders a stored output this machine cannot make."""
    config = yaml.safe_load((repo_root / "_config.yml").read_text())
    config.pop("logo", None)
    config["exclude_patterns"] = ["_build", "book/gpu/*"]
    (tmp_path / "_config.yml").write_text(yaml.safe_dump(config))
    (tmp_path / "_toc.yml").write_text("format: jb-book\nroot: intro\nchapters:\n  - file: book/training_on_gpu\n")
    (tmp_path / "intro.md").write_text("# Throwaway book\n\nFor tests only.\n")
    (tmp_path / "book" / "gpu").mkdir(parents=True)
    for extra in ("_ext", "_static"):  # the config names the site extension and static files
        shutil.copytree(repo_root / "book" / extra, tmp_path / "book" / extra)
    source_md = g.source_path("training_on_gpu", tmp_path)
    source_md.write_text(HEADER + "(ch-gpu)=\n# GPU page\n\n+++\n\nIt ran on {glue:text}`dev`.\n\n"
                         "```{code-cell} ipython3\nimport torch\nfrom myst_nb import glue\n"
                         "x = torch.ones(1, device='cuda')  # raises on a machine without CUDA\n"
                         "print(x.device)\nglue('dev', str(x.device), display=False)\n```\n")
    source = g.read_source(source_md)
    ran = nbformat.from_dict(source)
    ran.cells[-1].outputs = [  # what the cell printed and glued on a CUDA machine
        nbformat.v4.new_output("stream", name="stdout", text="cuda:0\n"),
        nbformat.v4.new_output("display_data", data={"application/papermill.record/text/plain": "'cuda:0'"},
                               metadata={"scrapbook": {"name": "dev", "mime_prefix": "application/papermill.record/"}}),
    ]
    prov = {"status": "test-cpu", "gpu": "none", "driver": "none", "cuda": "none", "torch": "test",
            "python": "3", "date": "2000-01-01 00:00 UTC", "data": "none", "code_hash": "0" * 64}
    nbformat.write(g.assemble(source, prov, outputs=ran), g.notebook_path("training_on_gpu", tmp_path))
    jb = str(Path(sys.executable).with_name("jb"))
    result = subprocess.run([jb, "build", str(tmp_path), "-W", "-n", "--keep-going"],
                            capture_output=True, text=True, timeout=600)
    log = result.stdout + result.stderr
    assert result.returncode == 0, log[-3000:]
    assert "Excluded from execution" in log
    html = (tmp_path / "_build" / "html" / "book" / "training_on_gpu.html").read_text()
    assert "cuda:0" in html and "It ran on" in html and "2000-01-01 00:00 UTC" in html
