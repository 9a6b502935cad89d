"""The torch and torchvision the notebooks are tested against, read from pyproject.toml.

``python -m tools.torch_versions newest`` prints ``torch torchvision`` (pip
picks the latest releases); ``python -m tools.torch_versions floor`` prints the
oldest pair the package declares, e.g. ``torch==2.4.* torchvision==0.19.*``.
The weekly workflow .github/workflows/torch-versions.yml installs each and runs
every notebook (README, "Keeping up with PyTorch").
"""
from __future__ import annotations

import re
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("torch", "torchvision")


def floors(pyproject: Path = ROOT / "pyproject.toml") -> dict[str, str]:
    """The ``>=`` floor of torch and torchvision in the package's dependencies."""
    dependencies = tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]["dependencies"]
    found = {}
    for dep in dependencies:
        m = re.fullmatch(r"\s*([A-Za-z0-9_.-]+)\s*>=\s*([0-9][0-9.]*)\s*", dep)
        if m and m.group(1).lower() in PACKAGES:
            found[m.group(1).lower()] = m.group(2)
    missing = [p for p in PACKAGES if p not in found]
    if missing:
        raise ValueError(f"{pyproject} declares no '>=' floor for {', '.join(missing)}")
    return found


def requirements(which: str, pyproject: Path = ROOT / "pyproject.toml") -> list[str]:
    """pip requirements for ``newest`` or ``floor``."""
    if which == "newest":
        return list(PACKAGES)
    if which == "floor":
        return [f"{name}=={'.'.join(version.split('.')[:2])}.*" for name, version in floors(pyproject).items()]
    raise ValueError(f"expected 'newest' or 'floor', got {which!r}")


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m tools.torch_versions newest|floor", file=sys.stderr)
        return 2
    print(" ".join(requirements(args[0])))
    return 0


if __name__ == "__main__":
    sys.exit(main())
