"""Read the JPEG copy of CIFAR-10 once and cache it on disk as raw uint8 pixels.

The JPEG copy (``cifar10-jpeg.tar.gz``, or its extracted ``train/`` and ``test/``
folders) holds one folder per class. Decoding its 60,000 small JPEGs takes a few
seconds, so we do it once, check every image, and save the pixels in a ``.npz``
next to the source; later loads read that file in a fraction of a second.
Helper of :mod:`blitz.data` (introduced in {ref}`ch-cifar10`).
"""
from __future__ import annotations

import io
import os
import tarfile
import tempfile
import zlib
from pathlib import Path, PurePosixPath

import numpy as np
from PIL import Image

SPLITS = ("train", "test")
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png")
CACHE_VERSION = "blitz-cifar10-jpeg-v1"

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
        if not chosen:
            raise ValueError(f"{where}: no images in {split}/")
        images = np.empty((len(chosen), 32, 32, 3), dtype=np.uint8)  # (N, H, W, C)
        for k, (label, name, data) in enumerate(chosen):
            images[k] = decode(data, f"{where}:{split}/{classes[label]}/{name}")
        out[split] = (images, np.array([c for c, _, _ in chosen], dtype=np.int64))
    return out


def fingerprint(source: Path) -> str:
    """A key that changes when the archive (size, mtime) or any file in the folders changes."""
    if source.is_file():
        st = source.stat()
        return f"{CACHE_VERSION}:{source.name}:{st.st_size}:{st.st_mtime_ns}"
    stats = [f.stat() for split in SPLITS for f in (source / split).rglob("*")]
    total = sum(s.st_size for s in stats)
    newest = max((s.st_mtime_ns for s in stats), default=0)
    return f"{CACHE_VERSION}:folders:{len(stats)}:{total}:{newest}"


def cache_path(source: Path) -> Path:
    """Where the decoded pixels of ``source`` are cached (beside it, in the data dir)."""
    if source.is_file():
        return source.with_name(source.name.split(".")[0] + ".cache.npz")
    return source / "cifar10-jpeg-folders.cache.npz"


def load_cache(path: Path, key: str) -> Splits | None:
    """The cached arrays if ``path`` exists and was made from the same source; else None."""
    try:
        with np.load(path, allow_pickle=False) as z:
            if str(z["key"]) != key:
                return None
            return {s: (z[f"{s}_images"], z[f"{s}_labels"]) for s in SPLITS}
    except (OSError, KeyError, ValueError, zlib.error, EOFError):
        return None  # missing, stale format or damaged: decode again


def save_cache(path: Path, key: str, splits: Splits) -> None:
    """Write the cache atomically: a temporary file in the same folder, then os.replace."""
    arrays = {f"{s}_{kind}": a for s, pair in splits.items() for kind, a in zip(("images", "labels"), pair)}
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".npz", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            np.savez(f, key=np.array(key), **arrays)
        os.chmod(tmp, 0o644)  # mkstemp makes it private; the data dir may be shared
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def read_jpeg_copy(source: Path, classes: tuple[str, ...]) -> tuple[Splits, bool]:
    """Decoded arrays of the JPEG copy at ``source`` (archive or folder) and whether the disk cache hit."""
    key, cache = fingerprint(source), cache_path(source)
    cached = load_cache(cache, key)
    if cached is not None:
        return cached, True
    files, folders = read_archive(source) if source.is_file() else read_folders(source)
    check_classes(folders, classes, source)
    splits = decode_all(files, classes, source)
    try:
        save_cache(cache, key, splits)
    except OSError:
        pass  # read-only data dir: keep the arrays in memory only
    return splits, False
