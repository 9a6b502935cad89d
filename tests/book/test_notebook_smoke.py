"""Every runnable notebook (notebooks/*.ipynb) runs top to bottom, as a reader's would.

What a reader does in Colab: open the notebook in a Python that does not have
the book's package, run the first cell (it pip-installs ``blitz``), then every
other cell. This test does the same, offline and affordably:

* **A fresh virtual environment, once per session.** Installing torch
  (5.5 GB) into a new venv for every run would take minutes, so the venv
  borrows the already-installed third-party packages of the Python running
  pytest (torch, torchvision, matplotlib, ipykernel, myst-nb) through a
  ``.pth`` file that adds that site-packages directory to its ``sys.path``,
  the way ``--system-site-packages`` would for a system Python. Only path
  lines of that file are followed, not the ``.pth`` files inside the borrowed
  directory, so the repository's own editable install of ``blitz`` is *not*
  visible: the venv starts without the package, like Colab.
* **The package is installed by the notebook's own install cell**, run with
  the venv's Python: ``pip install <source>``, where the source is
  ``BLITZ_SOURCE`` pointing at a copy of this checkout (pyproject.toml,
  README.md, code/) instead of the GitHub URL, since there is no network. pip
  finds torch and the other requirements already satisfied, exactly as on
  Colab, and installs ``blitz`` (not editable) into the venv.
* **Each notebook then runs in a fresh kernel** of that venv (PYTHONPATH
  cleared so the checkout's code/ cannot leak in), with ``BLITZ_SMOKE=1``
  (chapters run at a tiny scale), the offline data copy (``BLITZ_DATA``) and no
  visible GPU (``CUDA_VISIBLE_DEVICES=""``: GPU chapters fall back to the CPU).
  Its install cell runs again and finds ``blitz`` already installed.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
from collections.abc import Iterator
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
KERNEL = "blitz-smoke"


def _venv_env(source: Path, kernels: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"PYTHONPATH", "VIRTUAL_ENV"}}
    env.update(BLITZ_SMOKE="1", BLITZ_SOURCE=str(source), CUDA_VISIBLE_DEVICES="",
               JUPYTER_PATH=str(kernels), PIP_DISABLE_PIP_VERSION_CHECK="1", MPLBACKEND="Agg")
    return env


@pytest.fixture(scope="session")
def smoke_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """Create the venv, install blitz with a notebook's install cell, register a kernel."""
    base = tmp_path_factory.mktemp("smoke")
    source = base / "checkout"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, source / name)
    shutil.copytree(ROOT / "code", source / "code",
                    ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    venv = base / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = venv / "bin" / "python"
    site = Path(subprocess.run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                               check=True, capture_output=True, text=True).stdout.strip())
    (site / "_borrowed_packages.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    kernels = base / "jupyter"
    env = _venv_env(source, kernels)

    def run(code: str) -> str:
        result = subprocess.run([python, "-c", code], env=env, capture_output=True, text=True)
        assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
        return result.stdout.strip()

    assert run("import importlib.util; print(importlib.util.find_spec('blitz'))") == "None"
    install = nbformat.read(NOTEBOOKS[0], as_version=4).cells[0].source
    run(install)
    where = run("import blitz; print(blitz.__file__)")
    assert Path(where).is_relative_to(venv), f"blitz imported from {where}, not the venv"
    subprocess.run([python, "-m", "ipykernel", "install", "--prefix", str(base / "prefix"),
                    "--name", KERNEL], env=env, check=True, capture_output=True)
    shutil.copytree(base / "prefix" / "share" / "jupyter", kernels, dirs_exist_ok=True)
    yield env


def test_there_are_notebooks() -> None:
    assert NOTEBOOKS, "no notebooks/*.ipynb: run `make notebooks`"


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs(notebook: Path, smoke_env: dict[str, str], tmp_path: Path,
                       monkeypatch: pytest.MonkeyPatch) -> None:
    for key in ("PYTHONPATH", "VIRTUAL_ENV"):
        monkeypatch.delenv(key, raising=False)
    for key, value in smoke_env.items():
        monkeypatch.setenv(key, value)  # the kernel inherits this environment
    nb = nbformat.read(notebook, as_version=4)
    client = NotebookClient(nb, kernel_name=KERNEL, timeout=600,
                            resources={"metadata": {"path": str(tmp_path)}})
    client.execute()  # raises CellExecutionError, naming the cell, if any cell fails
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    assert not errors
