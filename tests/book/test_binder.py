"""Binder's environment (binder/) builds: a Python that the pins exist for, CPU-only torch.

repo2docker reads binder/ instead of the repository root when it exists. It
takes the Python version from binder/runtime.txt (without one it picks its
own default, for which numpy 2.4, matplotlib 3.11 and pillow 13 have no
builds); torch must come from PyTorch's CPU wheel index (a CUDA wheel from
PyPI is about 5 GB) and at the versions the book is built with.
"""
from __future__ import annotations

import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from packaging.specifiers import SpecifierSet

CPU_INDEX = "--extra-index-url https://download.pytorch.org/whl/cpu"


def _pins(path: Path) -> dict[str, str]:
    pins = re.findall(r"^([A-Za-z0-9_.-]+)==([^\s#]+)", path.read_text(), re.MULTILINE)
    return {name.lower(): version for name, version in pins}


def _runtime(repo_root: Path) -> str:
    text = (repo_root / "binder" / "runtime.txt").read_text().strip()
    match = re.fullmatch(r"python-(3\.\d+)", text)
    assert match, f"binder/runtime.txt must read python-3.X, not {text!r}"
    return match.group(1)


def test_binder_is_cpu_only_and_pinned_like_the_book(repo_root: Path) -> None:
    text = (repo_root / "binder" / "requirements.txt").read_text()
    assert CPU_INDEX in text
    book, binder = _pins(repo_root / "requirements.txt"), _pins(repo_root / "binder" / "requirements.txt")
    for name in ("torch", "torchvision"):
        assert binder[name] == book[name] + "+cpu"
    for name in ("matplotlib", "numpy", "pillow"):
        assert binder[name] == book[name]
    for name in ("myst-nb", "jupytext", "sphinx", "jupyter-book"):  # no documentation toolchain
        assert name not in binder


def test_binder_python_is_one_the_package_supports(repo_root: Path) -> None:
    python = _runtime(repo_root)
    requires = tomllib.loads((repo_root / "pyproject.toml").read_text())["project"]["requires-python"]
    assert SpecifierSet(requires).contains(python + ".0"), f"runtime.txt {python} vs requires-python {requires}"


def test_binder_requirements_resolve_for_its_python(repo_root: Path, tmp_path: Path) -> None:
    """pip resolves binder/requirements.txt for runtime.txt's Python (binary wheels, Linux).

    torch and torchvision are left out: they come from the CPU wheel index,
    which this machine cannot reach; their PyPI versions are the same.
    """
    python = _runtime(repo_root)
    lines = [line for line in (repo_root / "binder" / "requirements.txt").read_text().splitlines()
             if line.strip() and not line.startswith(("#", "--")) and not line.startswith(("torch==", "torchvision=="))]
    reqs = tmp_path / "requirements.txt"
    reqs.write_text("\n".join(lines) + "\n")
    result = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--dry-run", "--ignore-installed", "--quiet",
         "--only-binary=:all:", "--platform", "manylinux_2_28_x86_64", "--platform", "manylinux_2_17_x86_64",
         "--platform", "manylinux2014_x86_64", "--python-version", python,
         "--implementation", "cp", "--target", str(tmp_path / "t"), "-r", str(reqs)],
        capture_output=True, text=True, env={**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1"})
    if result.returncode != 0 and re.search(r"NewConnectionError|Network is unreachable|Temporary failure",
                                            result.stderr):
        pytest.skip("no package index reachable")
    assert result.returncode == 0, result.stderr[-3000:]


def test_binder_post_build_installs_the_package(repo_root: Path) -> None:
    post_build = repo_root / "binder" / "postBuild"
    assert os.access(post_build, os.X_OK)
    assert re.search(r"pip install .*\.\s*$", post_build.read_text(), re.MULTILINE)
