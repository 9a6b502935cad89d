"""Read the JPEG copy of CIFAR-10 once and cache it on disk as raw uint8 pixels.

The JPEG copy (``cifar10-jpeg.tar.gz``, or its extracted ``train/`` and ``test/``
folders) holds one folder per class. Decoding its 60,000 small JPEGs takes a few
seconds, so :mod:`blitz._cache` does it once and keeps the pixels on disk.
Helper of :mod:`blitz.data` (introduced in {ref}`ch-cifar10`).
"""
from __future__ import annotations

import io
import tarfile
import zlib
from pathlib import Path, PurePosixPath

import numpy as np
from PIL import Image

SPLITS = ("train", "test")
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png")

# Per split: (images (N, 32, 32, 3) uint8, labels (N,) int64)
Splits = dict[str, tuple[np.ndarray, np.ndarray]]


def _place(parts: tuple[str, ...], where: str) -> tuple[str, str, str] | None:
    """Return (split, class, file name) for a path ``[prefix/]split/class/file``.

    Paths outside a ``train``/``test`` folder (a README) give None; anything
    deeper than ``split/class/file`` is an error.
    """
    for i, part in enumerate(parts[:-1]):
        if part in SPLITS:
            if len(parts) - i != 3:
                raise ValueError(f"{where}: expected <split>/<class>/<image>, got {'/'.join(parts)!r}")
            return parts[i], parts[i + 1], parts[i + 2]
    return None


def _is_image_name(name: str, where: str) -> bool:
    """True for an image file name; False for hidden files (.DS_Store); error otherwise."""
    if name.startswith("."):
        return False
    if not name.lower().endswith(IMAGE_SUFFIXES):
        raise ValueError(f"{where}: {name!r} is not an image file (expected {', '.join(IMAGE_SUFFIXES)})")
    return True


def read_archive(path: Path) -> tuple[list[tuple[str, str, str, bytes]], set[tuple[str, str]]]:
    """Read every image's bytes from a .tar.gz: ([(split, class, name, bytes)], class folders)."""
    files, folders = [], set()
    try:
        with tarfile.open(path, "r:*") as tar:
            for member in tar:
                parts = tuple(p for p in PurePosixPath(member.name).parts if p != ".")
                if any(p.startswith(".") for p in parts):
                    continue  # .DS_Store, macOS "._" files
                if member.isdir():
                    if len(parts) >= 2 and parts[-2] in SPLITS:
                        folders.add((parts[-2], parts[-1]))
                    continue
                place = _place(parts, str(path))
                if place is None:
                    continue
                split, cls, name = place
                folders.add((split, cls))
                if member.isfile() and _is_image_name(name, f"{path}:{member.name}"):
                    files.append((split, cls, name, tar.extractfile(member).read()))
    except (tarfile.TarError, EOFError, zlib.error, OSError) as exc:
        raise ValueError(f"{path} is not a readable .tar.gz archive (truncated or corrupt?): {exc}") from exc
    return files, folders


def read_folders(root: Path) -> tuple[list[tuple[str, str, str, bytes]], set[tuple[str, str]]]:
    """Read every image's bytes from extracted ``root/train`` and ``root/test`` folders."""
    files, folders = [], set()
    for split in SPLITS:
        for cls_dir in sorted(p for p in (root / split).iterdir() if not p.name.startswith(".")):
            if not cls_dir.is_dir():
                raise ValueError(f"{cls_dir}: expected a class folder, found a file")
            folders.add((split, cls_dir.name))
            for f in sorted(cls_dir.iterdir()):
                if f.is_dir():
                    raise ValueError(f"{f}: expected <split>/<class>/<image>, found a folder")
                if _is_image_name(f.name, str(f)):
                    files.append((split, cls_dir.name, f.name, f.read_bytes()))
    return files, folders


def check_classes(folders: set[tuple[str, str]], classes: tuple[str, ...], where: Path) -> None:
    """Raise ValueError unless each split has exactly CIFAR-10's class folders."""
    for split in SPLITS:
        found = {c for s, c in folders if s == split}
        missing = [c for c in classes if c not in found]
        extra = sorted(found - set(classes))
        if missing or extra:
            raise ValueError(
                f"{where}: {split}/ must hold one folder per CIFAR-10 class {list(classes)}; "
                f"missing: {missing or 'none'}; unexpected: {extra or 'none'}"
            )


def decode(data: bytes, where: str) -> np.ndarray:
    """Decode one image to a (32, 32, 3) uint8 array; ValueError naming ``where`` if it is not one."""
    try:
        with Image.open(io.BytesIO(data)) as img:
            img.load()
            if img.mode != "RGB" or img.size != (32, 32):
                raise ValueError(f"{where}: expected a 32x32 RGB image, got {img.size[0]}x{img.size[1]} {img.mode}")
            return np.asarray(img, dtype=np.uint8)
    except (OSError, SyntaxError, Image.DecompressionBombError) as exc:
        raise ValueError(f"{where}: cannot decode image ({exc})") from exc


def decode_all(files: list[tuple[str, str, str, bytes]], classes: tuple[str, ...], where: Path) -> Splits:
    """Decode every image, ordered by split, class (label order) and file name.

    One thread on purpose: for 32x32 JPEGs, Python overhead dominates and a
    thread pool was slower on the project's 2-core machine.
    """
    index = {c: i for i, c in enumerate(classes)}
    out: Splits = {}
    for split in SPLITS:
        chosen = sorted((index[c], n, b) for s, c, n, b in files if s == split)
        empty = sorted(set(classes) - {classes[label] for label, _, _ in chosen})
        if empty:
            raise ValueError(f"{where}: no images in {', '.join(f'{split}/{c}/' for c in empty)}")
        images = np.empty((len(chosen), 32, 32, 3), dtype=np.uint8)  # (N, H, W, C)
        for k, (label, name, data) in enumerate(chosen):
            images[k] = decode(data, f"{where}:{split}/{classes[label]}/{name}")
        out[split] = (images, np.array([c for c, _, _ in chosen], dtype=np.int64))
    return out
