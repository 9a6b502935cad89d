"""Fixtures shared by the unit tests."""
from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Callable

import pytest

Snapshot = dict[str, tuple[int, int, str]]


def _snapshot(root: Path) -> Snapshot:
    """Every file under ``root``, hidden ones included: (size, mtime_ns, sha256) by relative path."""
    return {str(p.relative_to(root)): (p.stat().st_size, p.stat().st_mtime_ns,
                                       hashlib.sha256(p.read_bytes()).hexdigest())
            for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture
def snapshot() -> Callable[[Path], Snapshot]:
    """A function that records every file under a folder, to check that nothing was deleted, changed or left."""
    return _snapshot
