"""Convert the offline JPEG copy of CIFAR-10 once into the array file that ``blitz.data`` reads.

    python -m tools.cifar_jpeg SOURCE DATA_DIR

SOURCE is the JPEG copy (README, "Data"): ``cifar10-jpeg.tar.gz``, or a folder
holding its extracted ``train/`` and ``test/`` folders, one folder per class.
The result is ``DATA_DIR/cifar10-jpeg.npz``, an uncompressed ``np.savez`` with
``train_images`` (50000, 32, 32, 3) uint8, ``train_labels`` (50000,) int64,
``test_images``, ``test_labels``, ``format`` (the layout version) and
``source`` (JSON: which copy it was made from, with its size and SHA-256).

Why: decoding 60,000 small JPEGs takes seconds and needs every check below;
reading the decoded pixels takes a fraction of a second. So the build decodes
once (``make data``) and the reader's code path only knows two sources: the
official files and this array file.

Every image is checked (``split/class/image`` layout, exactly CIFAR-10's ten
class folders per split, 32x32 RGB); a bad or truncated source is a
``ValueError`` naming the file. The array file is written to a temporary file
beside it and moved into place only when complete, so an error leaves nothing
half-written and never removes or changes an existing file. When the array
file was already made from the same source, nothing is done.

Needs only numpy, Pillow and the standard library: it also runs on the offline
CUDA machine, which has no Jupyter stack. It does not import ``blitz`` (which
needs torch), so the three constants ``blitz.data`` shares with it are
repeated below; a test checks that they agree.
"""
from __future__ import annotations

import argparse
import hashlib
import io
import json
import os
import sys
import tarfile
import tempfile
import zipfile
import zlib
from pathlib import Path, PurePosixPath

import numpy as np
from PIL import Image

ARRAY_FILE = "cifar10-jpeg.npz"  # = blitz.data.ARRAY_FILE
ARRAY_FORMAT = 1  # = blitz.data.ARRAY_FORMAT: bump when the layout of the array file changes
CLASSES = ("airplane", "automobile", "bird", "cat", "deer",
           "dog", "frog", "horse", "ship", "truck")  # = blitz.data.CLASSES, in label order
SPLITS = ("train", "test")
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png")

Files = list[tuple[str, str, str, bytes]]  # (split, class, file name, encoded bytes)
Folders = set[tuple[str, str]]  # (split, class) of every class folder seen


# ---------------------------------------------------------------- reading the source

def _place(parts: tuple[str, ...], where: str) -> tuple[str, str, str] | None:
    """(split, class, file name) of a path ``[prefix/]split/class/file``; None outside train/ and test/."""
    for i, part in enumerate(parts[:-1]):
        if part in SPLITS:
            if len(parts) - i != 3:
                raise ValueError(f"{where}: expected <split>/<class>/<image>, got {'/'.join(parts)!r}")
            return parts[i], parts[i + 1], parts[i + 2]
    return None  # a README or licence beside the splits


def _is_image_name(name: str, where: str) -> bool:
    """True for an image file name, False for a hidden file (.DS_Store), ValueError for anything else."""
    if name.startswith("."):
        return False
    if not name.lower().endswith(IMAGE_SUFFIXES):
        raise ValueError(f"{where}: {name!r} is not an image file (expected {', '.join(IMAGE_SUFFIXES)})")
    return True


def read_archive(path: Path) -> tuple[Files, Folders]:
    """Every image's bytes from a .tar.gz, without extracting anything to disk."""
    files: Files = []
    folders: Folders = set()
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


def read_folders(root: Path) -> tuple[Files, Folders]:
    """Every image's bytes from extracted ``root/train`` and ``root/test`` folders."""
    files: Files = []
    folders: Folders = set()
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


def check_classes(folders: Folders, where: Path) -> None:
    """ValueError unless each split holds exactly CIFAR-10's ten class folders."""
    for split in SPLITS:
        found = {c for s, c in folders if s == split}
        missing = [c for c in CLASSES if c not in found]
        extra = sorted(found - set(CLASSES))
        if missing or extra:
            raise ValueError(
                f"{where}: {split}/ must hold one folder per CIFAR-10 class {list(CLASSES)}; "
                f"missing: {missing or 'none'}; unexpected: {extra or 'none'}"
            )


# ---------------------------------------------------------------- decoding

def decode(data: bytes, where: str) -> np.ndarray:
    """One image as a (32, 32, 3) uint8 array; ValueError naming ``where`` if it is not a 32x32 RGB image."""
    try:
        with Image.open(io.BytesIO(data)) as img:
            img.load()
            if img.mode != "RGB" or img.size != (32, 32):
                raise ValueError(f"{where}: expected a 32x32 RGB image, got {img.size[0]}x{img.size[1]} {img.mode}")
            return np.asarray(img, dtype=np.uint8)
    except (OSError, SyntaxError, Image.DecompressionBombError) as exc:
        raise ValueError(f"{where}: cannot decode image ({exc})") from exc


def decode_all(files: Files, where: Path) -> dict[str, np.ndarray]:
    """``{split}_images`` (N, 32, 32, 3) uint8 and ``{split}_labels`` (N,) int64, ordered by label then file name.

    One thread on purpose: for 32x32 JPEGs Python overhead dominates, and a
    thread pool was slower on the project's 2-core machine.
    """
    index = {c: i for i, c in enumerate(CLASSES)}
    arrays: dict[str, np.ndarray] = {}
    for split in SPLITS:
        chosen = sorted((index[c], name, data) for s, c, name, data in files if s == split)
        empty = [c for i, c in enumerate(CLASSES) if i not in {label for label, _, _ in chosen}]
        if empty:
            raise ValueError(f"{where}: no images in {', '.join(f'{split}/{c}/' for c in empty)}")
        images = np.empty((len(chosen), 32, 32, 3), dtype=np.uint8)  # (N, H, W, C)
        for k, (label, name, data) in enumerate(chosen):
            images[k] = decode(data, f"{where}:{split}/{CLASSES[label]}/{name}")
        arrays[f"{split}_images"] = images
        arrays[f"{split}_labels"] = np.array([label for label, _, _ in chosen], dtype=np.int64)
    return arrays


# ---------------------------------------------------------------- the array file

def source_record(source: Path) -> dict[str, object]:
    """What the array file was made from: the archive's name, size and SHA-256, or the folders' file stats.

    Equal records mean an up-to-date array file. The archive is identified by
    its content (copying it with or without ``cp -p`` changes nothing); the
    folders by the number, total size and newest modification time of their files.
    """
    if source.is_file():
        digest = hashlib.sha256()
        with open(source, "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                digest.update(block)
        return {"kind": "archive", "name": source.name, "bytes": source.stat().st_size,
                "sha256": digest.hexdigest()}
    stats = [p.stat() for split in SPLITS for p in sorted((source / split).rglob("*")) if p.is_file()]
    return {"kind": "folders", "name": source.resolve().name, "files": len(stats),
            "bytes": sum(s.st_size for s in stats), "newest_mtime_ns": max((s.st_mtime_ns for s in stats), default=0)}


def is_up_to_date(path: Path, record: dict[str, object]) -> bool:
    """True if ``path`` is a complete array file of this format made from the source ``record`` describes."""
    try:
        with np.load(path, allow_pickle=False) as z:
            complete = {f"{s}_{k}" for s in SPLITS for k in ("images", "labels")} <= set(z.files)
            return complete and int(z["format"]) == ARRAY_FORMAT and json.loads(str(z["source"])) == record
    except (OSError, KeyError, ValueError, EOFError, zipfile.BadZipFile, zlib.error):
        return False  # absent, damaged or another layout: convert again


def write_atomic(path: Path, arrays: dict[str, np.ndarray]) -> None:
    """``np.savez`` into a temporary file beside ``path``, then ``os.replace``: never half a file at ``path``."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            np.savez(f, **arrays)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)  # mkstemp makes it private; the data dir may be shared
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def convert(source: Path, data_dir: Path) -> tuple[Path, bool]:
    """Make ``data_dir/cifar10-jpeg.npz`` from the JPEG copy at ``source``: (its path, whether it was written).

    Nothing is written when the array file is already up to date with ``source``.
    """
    if source.is_file():
        read = read_archive
    elif (source / "train").is_dir() and (source / "test").is_dir():
        read = read_folders
    else:
        raise FileNotFoundError(f"{source}: expected the JPEG copy of CIFAR-10, a .tar.gz archive "
                                f"or a folder holding train/ and test/")
    if data_dir.exists() and not data_dir.is_dir():
        raise ValueError(f"{data_dir}: the data dir must be a folder, not a file")
    target, record = data_dir / ARRAY_FILE, source_record(source)
    if is_up_to_date(target, record):
        return target, False
    files, folders = read(source)
    check_classes(folders, source)
    arrays = decode_all(files, source)
    data_dir.mkdir(parents=True, exist_ok=True)
    write_atomic(target, arrays | {"format": np.array(ARRAY_FORMAT), "source": np.array(json.dumps(record))})
    return target, True


def main(argv: list[str] | None = None) -> int:
    """Command line: 0 when the array file is written or already up to date, 1 on bad input or a failed write."""
    parser = argparse.ArgumentParser(prog="python -m tools.cifar_jpeg", description=__doc__.split("\n")[0])
    parser.add_argument("source", type=Path, help="cifar10-jpeg.tar.gz, or a folder holding train/ and test/")
    parser.add_argument("data_dir", type=Path, help=f"the data dir that receives {ARRAY_FILE}")
    args = parser.parse_args(argv)
    try:
        target, written = convert(args.source, args.data_dir)
    except (ValueError, OSError) as exc:
        print(f"cifar_jpeg: error: {exc}", file=sys.stderr)
        print(f"cifar_jpeg: nothing written; {args.data_dir / ARRAY_FILE} is unchanged", file=sys.stderr)
        return 1
    if written:
        print(f"cifar_jpeg: wrote {target} ({target.stat().st_size / 2**20:.0f} MiB) from {args.source}")
    else:
        print(f"cifar_jpeg: {target} is up to date with {args.source}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
