"""tools/deps.py: which package modules code imports, and digests that ignore docstrings and comments."""
from __future__ import annotations

from pathlib import Path

import pytest

from tools import deps


@pytest.fixture()
def pkg(tmp_path: Path) -> Path:
    """A toy package ``toy``: a imports b; c is imported by nobody; sub/ is a subpackage."""
    root = tmp_path / "toy"
    (root / "sub").mkdir(parents=True)
    (root / "__init__.py").write_text('"""Toy."""\n')
    (root / "a.py").write_text('"""A."""\nfrom toy import b\n\n\ndef f():\n    """F."""\n    return b.g() + 1\n')
    (root / "b.py").write_text('"""B."""\nimport os\n\n\ndef g():\n    return 1  # one\n')
    (root / "c.py").write_text("X = 1\n")
    (root / "sub" / "__init__.py").write_text("from . import d\n")
    (root / "sub" / "d.py").write_text("from ..c import X\n")
    return root


def test_modules_follow_imports_transitively(pkg: Path) -> None:
    assert list(deps.modules(["from toy.a import f"], pkg)) == ["toy", "toy.a", "toy.b"]
    assert list(deps.modules(["import toy.sub"], pkg)) == ["toy", "toy.c", "toy.sub", "toy.sub.d"]
    assert deps.modules(["%matplotlib inline\nimport torch\n!ls"], pkg) == {}


def test_digests_ignore_docstrings_comments_and_layout(pkg: Path) -> None:
    before = deps.digests(["import toy.a"], pkg)
    b = pkg / "b.py"
    b.write_text('"""B, documented."""\nimport os\n\n\n\ndef g():\n    """Now with a docstring."""\n    return 1\n')
    assert deps.digests(["import toy.a"], pkg) == before
    b.write_text(b.read_text().replace("return 1", "return 2"))
    after = deps.digests(["import toy.a"], pkg)
    assert deps.changed(before, after) == ["toy.b"]
    assert deps.combined(after) != deps.combined(before)
    assert deps.changed(before, {**before, "toy.c": "x"}) == ["toy.c"]


def test_the_real_package(repo_root: Path) -> None:
    names = deps.modules(["from blitz.train import train"], repo_root / "code" / "blitz")
    # train imports augment, batches and schedule; augment imports batches too; nothing imports lenet
    assert set(names) == {"blitz", "blitz.train", "blitz.augment", "blitz.batches", "blitz.schedule"}
