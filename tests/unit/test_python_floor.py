"""The Python floor the project states is the one its pinned packages really need."""
from __future__ import annotations

import re
import tomllib
from importlib import metadata
from pathlib import Path

from packaging.specifiers import SpecifierSet

ROOT = Path(__file__).resolve().parents[2]


def _floor(spec: str) -> tuple[int, ...]:
    """(3, 11) for '>=3.11'; the lowest version a specifier admits, from its >= clause."""
    for clause in SpecifierSet(spec):
        if clause.operator == ">=":
            return tuple(int(p) for p in clause.version.split("."))
    raise AssertionError(f"no >= clause in {spec!r}")


def test_stated_floor_is_the_pins_floor() -> None:
    stated = _floor(tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["requires-python"])
    pins = re.findall(r"^([A-Za-z0-9_.-]+)==", (ROOT / "requirements.txt").read_text(), re.MULTILINE)
    # A package that states no floor (jieba's sdist) needs no more than Python 3.
    needed = max(_floor(metadata.metadata(name).get("Requires-Python") or ">=3")
                 for name in pins)
    assert stated == needed, f"pyproject says >= {stated}, the pins need >= {needed}"
    assert f"Python ≥ {'.'.join(map(str, stated))}" in (ROOT / "README.md").read_text()
    makefile = (ROOT / "Makefile").read_text()
    assert f"sys.version_info < {stated}" in makefile
