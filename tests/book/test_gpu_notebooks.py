"""GPU chapters (tools/gpu.py, book/_ext/book_gpu.py): pending, executed, outdated, stale, rendered.

The mechanism is exercised on a throwaway repository (tmp_path) with a toy
``blitz`` package and one tiny GPU chapter. Its "executed" notebook comes from
running the tiny chapter on this machine's CPU through the same function the
CUDA run uses, with machine facts the test makes up: a fixture, never in the
book (the command line has no way to do this).
"""
from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import nbformat
import pytest
import torch

from blitz.data import ARRAY_FILE
from tools import gpu

TINY_BODY = """
(ch-tiny)=
# Tiny

+++

Some prose about {glue:text}`tiny_answer`.

```{code-cell} ipython3
from blitz.toy import answer
from myst_nb import glue
```

```{code-cell} ipython3
print("answer", answer())
glue("tiny_answer", answer(), display=False)
```
"""
TOY = '''"""A toy module."""
from blitz import helper


def answer() -> int:
    """The answer."""
    return helper.six() * 7
'''
HELPER = '''"""Imported by toy only."""


def six() -> int:
    """Six."""
    return 6
'''
FACTS = {"gpu": "Test Fixture GPU", "driver": "0.0", "cuda": "0.0", "torch": torch.__version__,
         "python": "3", "date": "2000-01-01 00:00 UTC", "data": "none found", "commit": "c0ffee" * 6}


@pytest.fixture()
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, myst_page) -> Path:
    """A throwaway repository: a toy blitz package and one GPU chapter, ``tiny``."""
    pkg = tmp_path / "code" / "blitz"
    pkg.mkdir(parents=True)
    (pkg / "__init__.py").write_text('"""Toy blitz."""\n')
    (pkg / "toy.py").write_text(TOY)
    (pkg / "helper.py").write_text(HELPER)
    (tmp_path / "book" / "gpu").mkdir(parents=True)
    (tmp_path / "book" / "gpu" / "tiny.md").write_text(myst_page(TINY_BODY))
    monkeypatch.setenv("PYTHONPATH", f"{pkg.parent}{os.pathsep}{os.environ.get('PYTHONPATH', '')}")
    return tmp_path


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))


def _outputs(nb: nbformat.NotebookNode) -> list:
    return [c.outputs for c in nb.cells if c.cell_type == "code"]


def _check(repo: Path, capsys: pytest.CaptureFixture) -> tuple[int, str]:
    capsys.readouterr()
    rc = gpu.main(["--check"], root=repo)
    return rc, capsys.readouterr().out


def test_chapters_are_the_folder(repo: Path) -> None:
    (repo / "book" / "gpu" / "another.md").write_text((repo / "book" / "gpu" / "tiny.md").read_text())
    assert gpu.chapters(repo) == ["another", "tiny"]


def test_without_glue_replaces_roles_and_figures() -> None:
    md = "A {glue:text}`acc:.1f` % and {glue}`x`.\n\n```{glue:figure} fig\n:alt: a plot\n\nCaption\n```\nEnd."
    out = gpu.without_glue(md)
    assert "glue" not in out and out.count(gpu.PENDING_TEXT) == 3 and out.endswith("End.")


def test_pending_notebook(repo: Path, capsys: pytest.CaptureFixture) -> None:
    assert _check(repo, capsys)[0] == 1  # a chapter without its notebook fails
    assert gpu.main(["--pending"], root=repo) == 0
    nb = nbformat.read(gpu.notebook_path(repo, "tiny"), as_version=4)
    assert nb.metadata[gpu.KEY] == {"status": "pending"}
    assert all(not o for o in _outputs(nb))
    assert "{glue" not in "".join(c.source for c in nb.cells) and gpu.PENDING_TEXT in nb.cells[1].source
    rc, out = _check(repo, capsys)
    assert rc == 0 and out.startswith("pending")
    _edit(repo / "book" / "gpu" / "tiny.md", "answer())\n", "answer() + 1)\n")
    assert _check(repo, capsys)[0] == 1 and gpu.state(repo, "tiny").state == "unsynced"


def test_refuses_without_cuda(repo: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture) -> None:
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    before = sorted(repo.rglob("*"))
    assert gpu.main([], root=repo) == 2
    assert "Nothing was written" in capsys.readouterr().err
    assert sorted(repo.rglob("*")) == before


def test_executed_chapter_states(repo: Path, capsys: pytest.CaptureFixture) -> None:
    path = gpu.run(repo, "tiny", repo / "book", FACTS)
    ran = nbformat.read(path, as_version=4)
    prov = ran.metadata[gpu.KEY]
    assert prov["status"] == "executed" and prov["gpu"] == FACTS["gpu"] and prov["seconds"] > 0
    assert set(prov["modules"]) == {"blitz", "blitz.toy", "blitz.helper"}
    assert "answer 42" in str(_outputs(ran))
    assert _check(repo, capsys)[0] == 0 and gpu.state(repo, "tiny").state == "ok"

    src, helper = repo / "book" / "gpu" / "tiny.md", repo / "code" / "blitz" / "helper.py"
    _edit(src, "Some prose about", "Other words about")  # prose: --pending syncs it, outputs kept
    rc, out = _check(repo, capsys)
    assert rc == 1 and "make gpu-pending" in out
    assert gpu.main(["--pending"], root=repo) == 0
    synced = nbformat.read(path, as_version=4)
    assert "Other words about {glue:text}`tiny_answer`" in synced.cells[1].source
    assert _outputs(synced) == _outputs(ran) and synced.metadata[gpu.KEY] == prov
    assert gpu.state(repo, "tiny").state == "ok"

    _edit(helper, '"""Six."""', '"""Six, as an int."""  # a comment')  # docstring, comment: still ok
    assert gpu.state(repo, "tiny").state == "ok"
    _edit(helper, "return 6", "return 3 + 3")  # code of a module imported through blitz.toy
    rc, out = _check(repo, capsys)
    assert rc == 0 and out.startswith("outdated") and "blitz.helper" in out and "c0ffeec0ffee" in out
    assert gpu.state(repo, "tiny").changed == ["blitz.helper"]

    _edit(src, "answer())\n", "answer() + 1)\n")  # a code cell: stale, and --pending keeps the outputs
    rc, out = _check(repo, capsys)
    assert rc == 1 and out.startswith("stale") and "make gpu-outputs" in out
    assert gpu.main(["--pending"], root=repo) == 1
    assert _outputs(nbformat.read(path, as_version=4)) == _outputs(ran)


def test_machine_facts(repo: Path, repo_root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The run's provenance: commit from git, else BLITZ_COMMIT; the data copy the loader will use."""
    monkeypatch.setattr(torch.cuda, "get_device_name", lambda i=0: "Fake GPU")
    monkeypatch.setenv("BLITZ_DATA", str(repo / "data"))
    monkeypatch.setenv("BLITZ_COMMIT", "abc123")
    facts = gpu.machine(repo)  # a copy of the tree without .git, like the CUDA machine's
    assert facts["gpu"] == "Fake GPU" and facts["commit"] == "abc123" and facts["data"] == "none found"
    (repo / "data").mkdir()
    (repo / "data" / ARRAY_FILE).write_bytes(b"")
    assert ARRAY_FILE in gpu.machine(repo)["data"]
    (repo / "data" / "cifar-10-batches-py").mkdir()
    assert gpu.machine(repo)["data"] == "official CIFAR-10 (torchvision files)"
    head = subprocess.run(["git", "-C", str(repo_root), "rev-parse", "HEAD"], capture_output=True, text=True)
    if head.returncode == 0:  # a git checkout: its HEAD wins over BLITZ_COMMIT
        assert gpu.machine(repo_root)["commit"] == head.stdout.strip()


@pytest.mark.parametrize("name", gpu.chapters())
def test_gpu_chapter_is_not_stale(name: str, repo_root: Path) -> None:
    """Fails when a stored GPU notebook's code or prose differs from its source."""
    state = gpu.state(repo_root, name)
    if state.state == "pending":
        pytest.skip(state.message)  # reported by `pytest -ra`
    assert state.state not in gpu.FAILING, state.message


def test_chapter_runs_on_the_cpu_in_smoke_mode(repo_root: Path, tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """A reader without a GPU can run chapter 5: it falls back to the CPU and says so."""
    monkeypatch.setenv("BLITZ_SMOKE", "1")
    nb = nbformat.read(gpu.run(repo_root, "training_on_gpu", tmp_path, FACTS), as_version=4)
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    text = "".join(o.get("text", "") for o in outputs)
    assert "Accuracy of the network on the 200 test images" in text
    if not torch.cuda.is_available():
        assert "No GPU found: using the CPU." in text
    # every number the prose quotes is glued, on the CPU as on a GPU (else the page would warn)
    quoted = set(re.findall(r"\{glue(?::[a-z]*)?\}`([^`:]+)", "".join(c.source for c in nb.cells)))
    glued = {o.metadata["scrapbook"]["name"] for o in outputs if "scrapbook" in o.get("metadata", {})}
    assert quoted and quoted <= glued, quoted - glued


def test_build_renders_gpu_pages_with_their_notes(repo: Path, myst_page, project_book, jb_build) -> None:
    """The project's config renders a pending and an outdated GPU page, unexecuted, without warnings."""
    (repo / "book" / "gpu" / "later.md").write_text(myst_page(TINY_BODY.replace("(ch-tiny)=", "(ch-later)=")))
    gpu.run(repo, "tiny", repo / "book", FACTS)
    assert gpu.main(["--pending"], root=repo) == 0  # later: pending; tiny: executed, kept
    _edit(repo / "code" / "blitz" / "toy.py", "* 7", "* 7 + 0")
    result = jb_build(project_book(repo, ["book/tiny", "book/later"]))
    log = result.stdout + result.stderr
    assert result.returncode == 0, log[-3000:]
    assert log.count("Excluded from execution") == 2 and "Executing notebook" not in log
    html = {n: (repo / "_build" / "html" / "book" / f"{n}.html").read_text() for n in ("tiny", "later")}
    assert "Executed on a Test Fixture GPU on 2000-01-01 00:00 UTC" in html["tiny"]
    assert "answer 42" in html["tiny"] and re.search(r"Some prose about <span[^>]*>42</span>", html["tiny"])
    assert "Outputs from older package code" in html["tiny"] and "blitz.toy" in html["tiny"]
    assert "c0ffeec0ffee" in html["tiny"] and "blitz.helper" not in html["tiny"]
    assert "Outputs to come from a GPU run" in html["later"] and "Colab" in html["later"]
    assert gpu.PENDING_TEXT in html["later"] and "answer 42" not in html["later"]
