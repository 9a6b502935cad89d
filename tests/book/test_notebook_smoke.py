"""Every runnable notebook (notebooks/*.ipynb) runs top to bottom, as in Colab.

What a reader does in Colab: open the notebook in a Python that has torch,
torchvision, numpy, matplotlib, pillow and Jupyter's kernel but not the book's
package, run the first cell (it pip-installs ``blitz``), then every other
cell. This test does the same, offline and affordably:

* **A fresh virtual environment with only what Colab brings that matters
  here.** Installing torch (5.5 GB) into a new venv for every run would take
  minutes, so the venv (created without ``--system-site-packages``) sees a
  folder of links to exactly the distributions torch, torchvision, numpy,
  matplotlib, pillow and ipykernel and what they require (read from their
  metadata), taken from the Python running pytest, through one ``.pth`` line.
  Nothing else of the build's environment is visible: the test checks that
  sphinx, myst_nb, jupytext, jupyter_book and blitz do not import there.
* **The package is installed by the notebook's own install cell**, run with
  the venv's Python: ``pip install <source>``, where the source is
  ``BLITZ_SOURCE`` pointing at a copy of this checkout (pyproject.toml,
  README.md, code/) instead of the GitHub commit, since the test has no
  GitHub. pip finds torch and the other requirements already satisfied, as on
  Colab, and installs ``blitz`` (not editable) into the venv.
* **Each notebook then runs in a fresh kernel** of that venv (PYTHONPATH
  cleared so the checkout's code/ cannot leak in), with ``BLITZ_SMOKE=1``
  (chapters run at a tiny scale), the offline data copy (``BLITZ_DATA``) and no
  visible GPU (``CUDA_VISIBLE_DEVICES=""``: GPU chapters fall back to the CPU).
  Its install cell runs again and finds ``blitz`` already installed. The
  kernel's peak resident memory is reported at the end of the run (smoke
  scale; the full-scale figure for chapter 4 is in the README, measured with
  ``BLITZ_SMOKE=0 pytest tests/book/test_notebook_smoke.py -k cifar10``).
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from importlib import metadata
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[2]
#: The English notebooks. A Chinese notebook is not run again: tests/book/test_chinese_edition.py
#: proves that each code cell is the same program as its English twin (the same syntax tree,
#: comments aside; the same tags; the install cell byte for byte), so it runs as its twin does.
#: Running it would repeat the same work for no new evidence, and nine more kernels cost
#: minutes on a slow 2-core machine.
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
IDS = [p.relative_to(ROOT / "notebooks").with_suffix("").as_posix() for p in NOTEBOOKS]
KERNEL = "blitz-smoke"
#: What Colab preinstalls that the chapters use (plus Jupyter's kernel); no documentation toolchain.
#: setuptools too: torch.compile's inductor imports it, and older torch releases (2.4) do not require it.
COLAB = ("torch", "torchvision", "numpy", "matplotlib", "pillow", "ipykernel", "setuptools")
#: Must not import in the smoke venv.
ABSENT = ("sphinx", "myst_nb", "myst_parser", "jupytext", "jupyter_book", "jupyter_cache", "blitz")
#: The peak memory the kernel may reach at full scale (Binder's cap is 2 GB).
PEAK_LIMIT_MB = 1800


def requirement_closure(names: tuple[str, ...]) -> list[metadata.Distribution]:
    """The installed distributions ``names`` and everything they require, extras they ask for included.

    (torch asks for ``cuda-toolkit[cublas,...]``: without the extras' packages,
    pip would see torch's requirements unmet and download them.)
    """
    seen: dict[str, metadata.Distribution] = {}
    extras_done: set[tuple[str, str]] = set()
    todo = [(name, "") for name in names]
    while todo:
        name, extra = todo.pop()
        key = re.sub(r"[-_.]+", "-", name).lower()
        if (key, extra) in extras_done:
            continue
        extras_done.add((key, extra))
        try:
            dist = seen.get(key) or metadata.distribution(name)
        except metadata.PackageNotFoundError:
            continue  # a requirement for another platform, not installed here
        seen[key] = dist
        for line in dist.requires or []:
            req = Requirement(line)
            if req.marker and not req.marker.evaluate({"extra": extra}):
                continue
            todo += [(req.name, "")] + [(req.name, e) for e in req.extras]
    return list(seen.values())


def expose(dists: list[metadata.Distribution], folder: Path) -> None:
    """Link every top-level file or folder of ``dists`` (code and metadata) into ``folder``."""
    folder.mkdir()
    for dist in dists:
        base = Path(dist.locate_file(""))
        for file in dist.files or []:
            top = file.parts[0]
            if top in {"..", "__pycache__"} or top.endswith(".pth") or (folder / top).exists():
                continue
            if (base / top).exists():
                (folder / top).symlink_to(base / top)


def _venv_env(source: Path, kernels: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"PYTHONPATH", "VIRTUAL_ENV"}}
    env.update(BLITZ_SMOKE=os.environ.get("BLITZ_SMOKE", "1"), BLITZ_SOURCE=str(source),
               BLITZ_DATA=os.environ.get("BLITZ_DATA") or str(ROOT / "data"),  # as the Makefile sets it
               CUDA_VISIBLE_DEVICES="", JUPYTER_PATH=str(kernels), PIP_DISABLE_PIP_VERSION_CHECK="1",
               MPLBACKEND="Agg")
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
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)  # no system site-packages
    python = venv / "bin" / "python"
    site = Path(subprocess.run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                               check=True, capture_output=True, text=True).stdout.strip())
    if any(site.glob("setuptools-*.dist-info")):  # Python 3.11's venv bundles an old one; Colab's is the exposed one
        subprocess.run([python, "-m", "pip", "uninstall", "-q", "-y", "setuptools"], check=True,
                       env={**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1"})
    expose(requirement_closure(COLAB), base / "colab")
    (site / "_colab_packages.pth").write_text(str(base / "colab") + "\n")
    kernels = base / "jupyter"
    env = _venv_env(source, kernels)

    def run(code: str) -> str:
        result = subprocess.run([python, "-c", code], env=env, capture_output=True, text=True)
        assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
        return result.stdout.strip()

    importable = run("import importlib.util as u; print(" + repr(list(ABSENT))
                     + " and [m for m in " + repr(list(ABSENT)) + " if u.find_spec(m)])")
    assert importable == "[]", f"the smoke venv must not have {importable}"
    run("import torch, torchvision, numpy, matplotlib, PIL, ipykernel")
    install = nbformat.read(NOTEBOOKS[0], as_version=4).cells[0].source
    before = set(os.listdir(site))
    run(install)
    added = {name for name in set(os.listdir(site)) - before if not name.startswith("blitz")}
    assert not added, f"the install cell installed more than blitz (Colab has the rest): {sorted(added)}"
    where = run("import blitz; print(blitz.__file__)")
    assert Path(where).is_relative_to(venv), f"blitz imported from {where}, not the venv"
    subprocess.run([python, "-m", "ipykernel", "install", "--prefix", str(base / "prefix"),
                    "--name", KERNEL], env=env, check=True, capture_output=True)
    shutil.copytree(base / "prefix" / "share" / "jupyter", kernels, dirs_exist_ok=True)
    yield env


def test_there_are_notebooks() -> None:
    assert NOTEBOOKS, "no notebooks/*.ipynb: run `make notebooks`"


#: The kernel's own peak: VmHWM of its address space. (getrusage's ru_maxrss would also count
#: what the process held before exec, i.e. a copy of the forking pytest process, which in a
#: full `make test` is larger than any smoke-scale chapter: every kernel then read 1,204 MB.)
_PEAK = """\
import re
with open("/proc/self/status") as status:
    kb = int(re.search(r"VmHWM:\\s+(\\d+) kB", status.read()).group(1))
print(f"peak RSS: {kb / 1024:.0f} MB")"""


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=IDS)
def test_notebook_runs(notebook: Path, smoke_env: dict[str, str], tmp_path: Path,
                       monkeypatch: pytest.MonkeyPatch, smoke_report: dict[str, str]) -> None:
    for key in ("PYTHONPATH", "VIRTUAL_ENV"):
        monkeypatch.delenv(key, raising=False)
    for key, value in smoke_env.items():
        monkeypatch.setenv(key, value)  # the kernel inherits this environment
    nb = nbformat.read(notebook, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell(_PEAK))  # measured in the kernel, after the chapter
    client = NotebookClient(nb, kernel_name=KERNEL, timeout=1800,
                            resources={"metadata": {"path": str(tmp_path)}})
    client.execute()  # raises CellExecutionError, naming the cell, if any cell fails
    # Only a cell tagged raises-exception (an error the errors appendix shows on purpose) may raise,
    # and it must: nbclient runs on past it, as Jupyter does.
    for cell in (c for c in nb.cells if c.cell_type == "code"):
        raised = any(o.output_type == "error" for o in cell.outputs)
        assert raised == ("raises-exception" in cell.metadata.get("tags", [])), cell.source[:200]
    assert "import myst_nb" not in "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    peak = int(re.search(r"peak RSS: (\d+) MB", nb.cells[-1].outputs[0]["text"]).group(1))
    scale = "smoke scale" if smoke_env["BLITZ_SMOKE"] == "1" else "full scale"
    name = notebook.relative_to(ROOT / "notebooks").with_suffix("").as_posix()
    smoke_report[name] = f"kernel peak RSS {peak:,} MB ({scale})"
    if scale == "full scale":
        assert peak <= PEAK_LIMIT_MB, f"{name}: {peak} MB, above Binder's budget"
