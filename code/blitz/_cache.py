"""Cache the decoded JPEG copy of CIFAR-10 on disk, as raw uint8 pixels in a ``.npz``.

Decoding 60,000 JPEGs takes seconds; reading the decoded pixels back takes a
fraction of one. The cache sits beside its source in the data dir, remembers
which source it was made from (size and modification time), and is written
atomically, so a failed or interrupted load never leaves half a file.
Helper of :mod:`blitz.data` (introduced in {ref}`ch-cifar10`).
"""
from __future__ import annotations

import os
import tempfile
import zipfile
import zlib
from pathlib import Path

import numpy as np

from blitz import _jpeg
from blitz._jpeg import SPLITS, Splits

CACHE_VERSION = "blitz-cifar10-jpeg-v1"


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
            splits = {s: (z[f"{s}_images"], z[f"{s}_labels"]) for s in SPLITS}
    except (OSError, KeyError, ValueError, EOFError, zlib.error, zipfile.BadZipFile):
        return None  # missing, stale format or damaged: decode again
    return splits if all(_valid(*pair) for pair in splits.values()) else None


def _valid(images: np.ndarray, labels: np.ndarray) -> bool:
    """True for (N, 32, 32, 3) uint8 images with N int64 labels in 0..9."""
    return (images.dtype == np.uint8 and images.ndim == 4 and images.shape[1:] == (32, 32, 3)
            and labels.dtype == np.int64 and labels.shape == images.shape[:1]
            and bool(((labels >= 0) & (labels < 10)).all()))


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
    files, folders = _jpeg.read_archive(source) if source.is_file() else _jpeg.read_folders(source)
    _jpeg.check_classes(folders, classes, source)
    splits = _jpeg.decode_all(files, classes, source)
    try:
        save_cache(cache, key, splits)
    except OSError:
        pass  # read-only data dir: keep the arrays in memory only
    return splits, False
