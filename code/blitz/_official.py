"""Find, unpack or download the official CIFAR-10 files that torchvision reads.

Helper of :mod:`blitz.data` (introduced in {ref}`ch-cifar10`). Nothing here
deletes or overwrites a file in the data dir: archives are unpacked and
downloads land in a temporary folder first and are moved into place only once
they are complete.
"""
from __future__ import annotations

import os
import shutil
import socket
import tarfile
import tempfile
import threading
import zlib
from pathlib import Path
from urllib.parse import urlparse

from torchvision.datasets import CIFAR10

FOLDER = CIFAR10.base_folder  # "cifar-10-batches-py"
ARCHIVE = CIFAR10.filename  # "cifar-10-python.tar.gz"


def online(url: str = CIFAR10.url, timeout: float = 3.0) -> bool:
    """True if a TCP connection to the download host opens within ``timeout`` seconds.

    Runs in a daemon thread so that a slow DNS lookup cannot hang the caller either.
    """
    host = urlparse(url).hostname or ""
    port = urlparse(url).port or 443
    result: list[bool] = []

    def probe() -> None:
        try:
            socket.create_connection((host, port), timeout=timeout).close()
            result.append(True)
        except OSError:
            result.append(False)

    thread = threading.Thread(target=probe, daemon=True)
    thread.start()
    thread.join(timeout)
    return bool(result and result[0])


def _move_into(tmp: Path, root: Path) -> None:
    """Move the entries of ``tmp`` into ``root``, never replacing an existing one."""
    for entry in tmp.iterdir():
        if not (root / entry.name).exists():
            os.replace(entry, root / entry.name)


def unpack(root: Path) -> bool:
    """Unpack a user-supplied ``cifar-10-python.tar.gz`` in ``root``; True if one was there.

    Unpacked into a temporary folder in ``root`` first, so a corrupt or
    truncated archive leaves no half-written ``cifar-10-batches-py``.
    """
    archive = root / ARCHIVE
    if (root / FOLDER).is_dir() or not archive.is_file():
        return False
    tmp = Path(tempfile.mkdtemp(prefix=".tmp-cifar-", dir=root))
    try:
        with tarfile.open(archive, "r:*") as tar:
            if hasattr(tarfile, "data_filter"):  # Python >= 3.12, 3.11.4, 3.10.12
                tar.extractall(tmp, filter="data")
            else:  # older Pythons: refuse absolute paths, "..", links
                for member in tar.getmembers():
                    if member.name.startswith("/") or ".." in member.name.split("/") or member.issym() \
                            or member.islnk():
                        raise ValueError(f"{archive}: unsafe entry {member.name!r}")
                tar.extractall(tmp)
        if not (tmp / FOLDER).is_dir():
            raise ValueError(f"{archive}: no {FOLDER}/ folder inside; is this the official CIFAR-10 archive?")
        os.replace(tmp / FOLDER, root / FOLDER)
    except (tarfile.TarError, EOFError, zlib.error, OSError) as exc:
        raise ValueError(f"{archive} is not a readable .tar.gz archive (truncated or corrupt?): {exc}") from exc
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return True


def read(root: Path, train: bool) -> CIFAR10:
    """torchvision's CIFAR10 on the official files in ``root``; ValueError if they fail its md5 check."""
    try:
        return CIFAR10(str(root), train=train, download=False)
    except RuntimeError as exc:  # torchvision: "Dataset not found or corrupted"
        raise ValueError(
            f"{root / FOLDER}: the official CIFAR-10 files are incomplete or corrupt "
            f"(torchvision's md5 check failed: {exc}). Move that folder away to use another copy."
        ) from exc


def download(root: Path, train: bool) -> CIFAR10:
    """Let torchvision download and check the official archive, via a temporary folder in ``root``."""
    tmp = Path(tempfile.mkdtemp(prefix=".tmp-cifar-", dir=root))
    previous = socket.getdefaulttimeout()
    socket.setdefaulttimeout(60)  # torchvision's urlopen has none: a stalled server must not hang us
    try:
        CIFAR10(str(tmp), train=train, download=True)
        _move_into(tmp, root)
    finally:
        socket.setdefaulttimeout(previous)
        shutil.rmtree(tmp, ignore_errors=True)
    return read(root, train)
