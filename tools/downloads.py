"""Downloads for offline readers and release archives (``make downloads``, ``make release``).

Readers who cannot reach Colab or GitHub get the book from its site: the PDF
(``make pdf``) and a zip of every runnable notebook (``notebooks/``, ``make
notebooks``) with a README on running them offline. ``make downloads`` copies
both into ``_build/html/downloads/``, where the landing page and every page's
download menu link them. ``make release`` puts the HTML site as an archive, the
PDF and the notebook zip, each named with the book's version, and their SHA-256
checksums in ``_build/release/``.

Archives are reproducible: fixed timestamps and sorted entries, so the same
inputs give the same bytes and the same checksum.

    python -m tools.downloads site      # _build/html/downloads/ (the PDF must be built)
    python -m tools.downloads release   # _build/release/
"""
from __future__ import annotations

import argparse
import gzip
import hashlib
import io
import shutil
import sys
import tarfile
import zipfile
from pathlib import Path

import yaml

from tools.i18n import LANGUAGE

ROOT = Path(__file__).resolve().parents[1]
NAME = "learn-pytorch-in-one-hour"
PDF = f"{NAME}.pdf"
NOTEBOOKS_ZIP = f"{NAME}-notebooks.zip"
#: Inside ``_build/html``: where the site serves the downloads (book/_ext/book_site.py).
SITE_DIR = "downloads"
#: Where jb's LaTeX builder leaves the PDF (_config.yml ``latex.latex_documents.targetname``).
LATEX_PDF = Path("_build") / "latex" / PDF
RELEASE_DIR = Path("_build") / "release"
#: Each edition's PDF: English (jb's LaTeX builder) and Chinese (tools/i18n.py pdf).
EDITIONS = {"en": LATEX_PDF, LANGUAGE: Path("_build") / LANGUAGE / "latex" / PDF}
#: 1980-01-01, the earliest time a zip file can hold: every entry gets it.
EPOCH = (1980, 1, 1, 0, 0, 0)

NOTEBOOKS_README = """\
Learn PyTorch in One Hour {version}: the notebooks
{dashes}

Every chapter of the book as a Jupyter notebook, to run on your own machine
without Colab, Binder or GitHub. The site and the PDF have the prose and the
outputs of the build; these notebooks have the code.

1. Install Python 3.11 or newer, then, in a terminal, in this folder:

       python -m venv .venv
       .venv/bin/pip install torch torchvision matplotlib numpy pillow jupyterlab myst-nb

   (on Windows: .venv\\Scripts\\pip). On a machine without an NVIDIA GPU, the
   CPU build of torch is much smaller: add
   --index-url https://download.pytorch.org/whl/cpu for torch and torchvision.

2. Install the book's package, blitz. The first cell of every notebook does it
   with pip from the book's repository; without access to it, install it from
   a copy of the repository's code/ folder (a release archive, or a copy from a
   friend): .venv/bin/pip install --no-deps <path to the repository>

3. CIFAR-10 (chapters 4 and later): torchvision downloads it the first time.
   Without that download, put the official archive cifar-10-python.tar.gz
   (from the CIFAR-10 page of the University of Toronto, about 170 MB, or from any
   mirror you trust) in a folder named data/ beside these notebooks, or set
   the environment variable BLITZ_DATA to the folder that holds it;
   torchvision unpacks it there.

4. Start Jupyter: .venv/bin/jupyter lab

Set BLITZ_SMOKE=1 before starting Jupyter to run every cell in seconds at a
tiny scale (the numbers are then meaningless).

Licences: the text under CC BY-SA 4.0 (LICENSE-text), the code under MIT
(LICENSE).
"""

NOTEBOOKS_README_ZH = """\
一小时学会 PyTorch {version}：笔记本
{dashes}

本书每一章都是一个 Jupyter 笔记本，可以在你自己的电脑上运行，不需要 Colab、
Binder 或 GitHub。网站和 PDF 里有正文和构建时的输出；这些笔记本里有代码。

1. 安装 Python 3.11 或更新的版本，然后在本文件夹中打开终端，运行：

       python -m venv .venv
       .venv/bin/pip install torch torchvision matplotlib numpy pillow jupyterlab myst-nb

   （Windows 上是 .venv\\Scripts\\pip）。没有 NVIDIA GPU 的电脑可以装小得多的
   CPU 版 torch：给 torch 和 torchvision 加上
   --index-url https://download.pytorch.org/whl/cpu 。

2. 安装本书的软件包 blitz。每个笔记本的第一个单元格会用 pip 从本书的代码仓库
   安装它；如果访问不了仓库，可以从仓库 code/ 文件夹的副本（发布归档，或别人
   给你的拷贝）安装：.venv/bin/pip install --no-deps <仓库的路径>

3. CIFAR-10（第 4 章起）：torchvision 第一次用到时会自动下载。不能下载时，把
   官方归档 cifar-10-python.tar.gz（多伦多大学 CIFAR-10 页面提供，约 170 MB，
   也可以用你信任的镜像）放进与这些笔记本并列的 data/ 文件夹，或者把环境变量
   BLITZ_DATA 设为存放它的文件夹；torchvision 会在那里解压。

4. 启动 Jupyter：.venv/bin/jupyter lab

启动 Jupyter 之前设置 BLITZ_SMOKE=1，每个单元格都会以极小的规模在几秒内跑完
（这时得到的数字没有意义）。

许可协议：正文采用 CC BY-SA 4.0（LICENSE-text），代码采用 MIT（LICENSE）。
"""


def book_version(root: Path = ROOT) -> str:
    """The book's version: ``release`` in _config.yml (``sphinx: config:``)."""
    config = yaml.safe_load((root / "_config.yml").read_text(encoding="utf-8"))
    release = (config.get("sphinx", {}).get("config") or {}).get("release")
    if not release:
        raise ValueError(f"{root / '_config.yml'} sets no sphinx.config.release")
    return str(release)


def _zip_entry(archive: zipfile.ZipFile, name: str, data: bytes) -> None:
    info = zipfile.ZipInfo(name, date_time=EPOCH)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o644 << 16
    archive.writestr(info, data)


def notebooks_zip(root: Path, out: Path, language: str = "en") -> Path:
    """Write ``out``: every notebook of ``notebooks/`` (``notebooks/zh_CN/`` for the Chinese
    edition), a README and the licences, in one folder."""
    source = root / "notebooks" / ("" if language == "en" else language)
    notebooks = sorted(source.glob("*.ipynb"))
    if not notebooks:
        raise FileNotFoundError(f"no notebook in {source}: run `make notebooks`")
    version = book_version(root)
    folder = f"{NAME}-notebooks"
    title = f"Learn PyTorch in One Hour {version}: the notebooks"
    if language != "en":
        folder, title = f"{folder}-{language}", f"一小时学会 PyTorch {version}：笔记本"
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(out.name + ".part")
    with zipfile.ZipFile(partial, "w") as archive:
        template = NOTEBOOKS_README if language == "en" else NOTEBOOKS_README_ZH
        readme = template.format(version=version, dashes="=" * len(title))
        _zip_entry(archive, f"{folder}/README.txt", readme.encode("utf-8"))
        for licence in ("LICENSE", "LICENSE-text"):
            _zip_entry(archive, f"{folder}/{licence}", (root / licence).read_bytes())
        for notebook in notebooks:
            _zip_entry(archive, f"{folder}/{notebook.name}", notebook.read_bytes())
    partial.replace(out)
    return out


def html_archive(html: Path, out: Path, top: str) -> Path:
    """Write ``out`` (.tar.gz): the built site under ``top/``, without the downloads it links."""
    if not (html / "index.html").exists():
        raise FileNotFoundError(f"{html} holds no built site: run `make book`")
    def published(path: Path) -> bool:
        parts = path.relative_to(html).parts
        parts = parts[1:] if parts[0] in EDITIONS else parts  # a translation's folder
        return bool(parts) and parts[0] not in {SITE_DIR, ".doctrees", ".buildinfo"}

    files = sorted(p for p in html.rglob("*") if p.is_file() and published(p))
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for path in files:
            info = tarfile.TarInfo(f"{top}/{path.relative_to(html).as_posix()}")
            info.size, info.mtime, info.mode = path.stat().st_size, 0, 0o644
            with path.open("rb") as handle:
                tar.addfile(info, handle)
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0, filename="") as gz:
        gz.write(buffer.getvalue())
    return out


def sha256(path: Path) -> str:
    """The SHA-256 digest of ``path``, in hex."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def write_checksums(files: list[Path], out: Path) -> Path:
    """Write ``out`` in the format of ``sha256sum`` (check with ``sha256sum -c``)."""
    out.write_text("".join(f"{sha256(f)}  {f.name}\n" for f in sorted(files)), encoding="utf-8")
    return out


def site_downloads(root: Path) -> list[Path]:
    """Copy each edition's PDF and write its notebook zip into its site's ``downloads/``.

    English: ``_build/html/downloads/``; Chinese: ``_build/html/zh_CN/downloads/``
    (the Chinese pages link their own, book_site's ``site-download`` role).
    """
    written = []
    for language, pdf in EDITIONS.items():
        pdf = root / pdf
        if not pdf.exists():
            raise FileNotFoundError(f"{pdf} does not exist: run `make pdf`")
        target = root / "_build" / "html" / ("" if language == "en" else language) / SITE_DIR
        target.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(pdf, target / PDF)
        written += [target / PDF, notebooks_zip(root, target / NOTEBOOKS_ZIP, language)]
    return written


def release(root: Path) -> list[Path]:
    """The release files of this version in ``_build/release/``, and ``SHA256SUMS``."""
    version = book_version(root)
    out = root / RELEASE_DIR
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    base = f"{NAME}-{version}"
    pdf = root / LATEX_PDF
    if not pdf.exists():
        raise FileNotFoundError(f"{pdf} does not exist: run `make pdf`")
    files = [
        html_archive(root / "_build" / "html", out / f"{base}-html.tar.gz", f"{base}-html"),
        Path(shutil.copyfile(pdf, out / f"{base}.pdf")),
        notebooks_zip(root, out / f"{base}-notebooks.zip"),
    ]
    for language, translated in EDITIONS.items():
        if language == "en":
            continue
        if not (root / translated).exists():
            raise FileNotFoundError(f"{root / translated} does not exist: run `make pdf`")
        files += [Path(shutil.copyfile(root / translated, out / f"{base}-{language}.pdf")),
                  notebooks_zip(root, out / f"{base}-notebooks-{language}.zip", language)]
    return files + [write_checksums(files, out / "SHA256SUMS")]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("what", choices=["site", "release"])
    args = parser.parse_args(argv)
    try:
        written = site_downloads(ROOT) if args.what == "site" else release(ROOT)
    except FileNotFoundError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    for path in written:
        print(f"{args.what}: wrote {path.relative_to(ROOT)} ({path.stat().st_size / 1e6:.1f} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
