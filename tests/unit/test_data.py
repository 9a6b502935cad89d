"""Tests of blitz.data: both copies of CIFAR-10 (official and JPEG), the cache, bad input."""
from __future__ import annotations

import hashlib
import io
import os
import pickle
import re
import socket
import subprocess
import sys
import tarfile
import threading
from pathlib import Path

import numpy as np
import pytest
import torch
import torchvision
from PIL import Image

from blitz import _jpeg, _official, data
from blitz.data import CLASSES, CifarNotFoundError, load_cifar10, load_cifar10_arrays

PER_CLASS = {"train": 3, "test": 2}
REAL_ONLINE = _official.online  # before the fixture below replaces it
REAL_DATA = data.data_dir()  # $BLITZ_DATA as the test run was started


# ---------------------------------------------------------------- helpers

@pytest.fixture(autouse=True)
def offline(monkeypatch):
    """No test touches the network: the connectivity check fails, the memory cache starts empty."""
    monkeypatch.setattr(_official, "online", lambda *a, **k: False)
    monkeypatch.setattr(data, "_PROBES", {})
    monkeypatch.setattr(data, "_MEMORY", {})
    monkeypatch.delenv("BLITZ_DATA", raising=False)


def smooth_image(label: int, k: int, size=(32, 32)) -> np.ndarray:
    """A smooth (H, W, 3) uint8 picture, different per class and index, that JPEG keeps well."""
    h, w = size[1], size[0]
    y, x = np.mgrid[0:h, 0:w]
    img = np.stack([x * 3 + 12 * label, y * 3 + 10 * k, (x + y) * 2 + 10 * label], axis=-1)
    return img.clip(0, 255).astype(np.uint8)


def jpeg_bytes(img: np.ndarray, mode: str = "RGB") -> bytes:
    buf = io.BytesIO()
    Image.fromarray(img).convert(mode).save(buf, format="JPEG", quality=95)
    return buf.getvalue()


def write_tree(root: Path, classes=CLASSES, per_class=PER_CLASS) -> dict[str, Path]:
    """Write train/<class>/NNNN.jpg and test/... under root; return {relative name: path}."""
    written = {}
    for split, n in per_class.items():
        for label, cls in enumerate(classes):
            (root / split / cls).mkdir(parents=True, exist_ok=True)
            for k in range(n):
                path = root / split / cls / f"{k:04d}.jpg"
                path.write_bytes(jpeg_bytes(smooth_image(label, k)))
                written[f"{split}/{cls}/{k:04d}.jpg"] = path
    return written


def write_tar(tree: Path, archive: Path, prefix: str = "") -> Path:
    """Pack tree/train and tree/test into a .tar.gz (optionally under a top-level folder)."""
    with tarfile.open(archive, "w:gz") as tar:
        for split in ("train", "test"):
            if (tree / split).exists():
                tar.add(tree / split, arcname=prefix + split)
    return archive


@pytest.fixture
def jpeg_dir(tmp_path) -> Path:
    """A data dir holding a tiny cifar10-jpeg.tar.gz (3 train and 2 test images per class)."""
    write_tree(tmp_path / "src")
    (tmp_path / "data").mkdir()
    write_tar(tmp_path / "src", tmp_path / "data" / data.JPEG_ARCHIVE)
    return tmp_path / "data"


def snapshot(root: Path) -> dict[str, tuple[int, int, str]]:
    """Every file under root: (size, mtime_ns, sha256)."""
    return {str(p.relative_to(root)): (p.stat().st_size, p.stat().st_mtime_ns,
                                       hashlib.sha256(p.read_bytes()).hexdigest())
            for p in sorted(root.rglob("*")) if p.is_file()}


def write_official(root: Path, n_train=2, n_test=3) -> tuple[np.ndarray, list[int]]:
    """A tiny cifar-10-batches-py in torchvision's layout; returns the test batch (N, 32, 32, 3) and labels."""
    folder = root / "cifar-10-batches-py"
    folder.mkdir(parents=True)
    rng = np.random.default_rng(0)
    batches = [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]
    for name in batches:
        n = n_test if name == "test_batch" else n_train
        pixels = rng.integers(0, 256, size=(n, 3072), dtype=np.uint8)  # rows: R plane, G plane, B plane
        labels = rng.integers(0, 10, size=n).tolist()
        with open(folder / name, "wb") as f:
            pickle.dump({"batch_label": name, "data": pixels, "labels": labels, "filenames": []}, f)
    with open(folder / "batches.meta", "wb") as f:
        pickle.dump({"label_names": list(CLASSES), "num_cases_per_batch": n_train}, f)
    return pixels.reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1), labels  # (N, 3072) -> (N, 32, 32, 3)


@pytest.fixture
def trust_md5(monkeypatch):
    """Tiny official-format files cannot match torchvision's md5 sums: accept them."""
    monkeypatch.setattr(torchvision.datasets.CIFAR10, "_check_integrity", lambda self: True)
    monkeypatch.setattr(torchvision.datasets.cifar, "check_integrity", lambda *a, **k: True)


# ---------------------------------------------------------------- happy paths

def test_classes_and_data_dir(monkeypatch, tmp_path, repo_root):
    assert CLASSES == ("airplane", "automobile", "bird", "cat", "deer",
                       "dog", "frog", "horse", "ship", "truck")
    assert data.data_dir() == repo_root / "data"
    monkeypatch.setenv("BLITZ_DATA", str(tmp_path))
    assert data.data_dir() == tmp_path


def test_jpeg_archive_round_trip(jpeg_dir, tmp_path):
    ds = load_cifar10(train=True, root=jpeg_dir)
    assert len(ds) == 30 and ds.classes == list(CLASSES) and len(ds.targets) == 30
    assert "JPEG copy" in ds.source and "(data/cifar10-jpeg.tar.gz, " in ds.source
    for i in range(len(ds)):
        img, label = ds[i]
        assert isinstance(img, Image.Image) and img.mode == "RGB" and img.size == (32, 32)
        assert isinstance(label, int) and label == ds.targets[i]
        k = i - PER_CLASS["train"] * label  # images are ordered by class, then file name
        source = tmp_path / "src" / "train" / CLASSES[label] / f"{k:04d}.jpg"
        np.testing.assert_array_equal(np.asarray(img), np.asarray(Image.open(source).convert("RGB")))
        err = np.abs(np.asarray(img, dtype=int) - smooth_image(label, k).astype(int)).mean()
        assert err < 4, f"JPEG round trip too lossy: {err}"
    assert ds.targets == [c for c in range(10) for _ in range(PER_CLASS["train"])]


def test_arrays_match_dataset(jpeg_dir):
    ds = load_cifar10(train=False, root=jpeg_dir)
    arrays = load_cifar10_arrays(train=False, root=jpeg_dir)
    assert arrays.images.shape == (20, 3, 32, 32) and arrays.images.dtype == torch.uint8
    assert arrays.labels.dtype == torch.int64 and arrays.labels.tolist() == ds.targets
    assert arrays.classes == CLASSES and arrays.source == ds.source
    for i in (0, 7, 19):
        np.testing.assert_array_equal(arrays.images[i].permute(1, 2, 0).numpy(), np.asarray(ds[i][0]))
    arrays.images.zero_()  # the caller's copy: the cached pixels are untouched
    assert np.asarray(load_cifar10(train=False, root=jpeg_dir)[0][0]).any()


def test_transform_is_applied(jpeg_dir):
    ds = load_cifar10(train=False, root=jpeg_dir, transform=torchvision.transforms.ToTensor())
    x, _ = ds[0]
    assert x.shape == (3, 32, 32) and x.dtype == torch.float32 and 0 <= x.min() and x.max() <= 1


def test_extracted_folders_and_prefixed_archive(tmp_path):
    write_tree(tmp_path / "folders")
    (tmp_path / "folders" / "README.txt").write_text("not an image, outside train/ and test/")
    ds = load_cifar10(train=False, root=tmp_path / "folders")
    assert len(ds) == 20 and "(train/ and test/ in folders/, " in ds.source
    write_tree(tmp_path / "src")
    for junk in ("train/.DS_Store", "train/._cat", "test/dog/._0000.jpg", ".hidden"):
        (tmp_path / "src" / junk).write_bytes(b"macOS metadata")
    (tmp_path / "prefixed").mkdir()
    write_tar(tmp_path / "src", tmp_path / "prefixed" / data.JPEG_ARCHIVE, prefix="CIFAR-10-images/")
    assert load_cifar10_arrays(root=tmp_path / "prefixed").labels.bincount().tolist() == [3] * 10


def test_cache_hit_then_invalidated(jpeg_dir, tmp_path, monkeypatch):
    calls = []
    real = _jpeg.decode_all
    monkeypatch.setattr(_jpeg, "decode_all", lambda *a: calls.append(1) or real(*a))
    assert len(load_cifar10(root=jpeg_dir)) == 30 and len(calls) == 1
    assert (jpeg_dir / "cifar10-jpeg.cache.npz").is_file()
    data._MEMORY.clear()  # a new process: only the disk cache is left
    assert len(load_cifar10(root=jpeg_dir)) == 30 and len(calls) == 1
    assert len(load_cifar10(train=False, root=jpeg_dir)) == 20 and len(calls) == 1
    # a changed archive (4 train images per class now) invalidates both caches
    write_tree(tmp_path / "src4", per_class={"train": 4, "test": 2})
    write_tar(tmp_path / "src4", jpeg_dir / data.JPEG_ARCHIVE)
    assert len(load_cifar10(root=jpeg_dir)) == 40 and len(calls) == 2
    data._MEMORY.clear()
    assert len(load_cifar10(root=jpeg_dir)) == 40 and len(calls) == 2


@pytest.mark.parametrize("damage", ["garbage", "truncated", "wrong shape"])
def test_damaged_cache_is_rebuilt(damage, jpeg_dir, monkeypatch):
    load_cifar10(root=jpeg_dir)
    cache = jpeg_dir / "cifar10-jpeg.cache.npz"
    if damage == "garbage":
        cache.write_bytes(b"not a zip file" * 100)
    elif damage == "truncated":
        cache.write_bytes(cache.read_bytes()[:5000])
    else:  # a well-formed file with the right key but pixels of the wrong shape
        key = str(np.load(cache)["key"])
        bad = {f"{s}_{k}": np.zeros((2, 3) if k == "images" else (2,), dtype=np.uint8 if k == "images" else np.int64)
               for s in ("train", "test") for k in ("images", "labels")}
        with open(cache, "wb") as f:
            np.savez(f, key=np.array(key), **bad)
    data._MEMORY.clear()
    arrays = load_cifar10_arrays(train=False, root=jpeg_dir)
    assert arrays.images.shape == (20, 3, 32, 32) and arrays.labels.bincount().tolist() == [2] * 10
    assert np.load(cache)["test_images"].shape == (20, 32, 32, 3)  # rewritten


def test_cached_pixels_are_read_only(jpeg_dir):
    ds = load_cifar10(root=jpeg_dir)
    with pytest.raises(ValueError, match="read-only"):
        ds.data[0, 0, 0, 0] = 1
    arrays = load_cifar10_arrays(root=jpeg_dir)
    assert arrays.images.data_ptr() != load_cifar10_arrays(root=jpeg_dir).images.data_ptr()


def test_download_lands_in_the_data_dir(tmp_path, monkeypatch, trust_md5):
    monkeypatch.setattr(_official, "online", lambda *a, **k: True)
    fetched = []

    def fake_download(self):  # stands in for torchvision fetching and unpacking the official archive
        fetched.append(Path(self.root))
        write_official(Path(self.root))
        (Path(self.root) / _official.ARCHIVE).write_bytes(b"the archive torchvision keeps")
    monkeypatch.setattr(torchvision.datasets.CIFAR10, "download", fake_download)
    ds = load_cifar10(train=False, root=tmp_path)
    assert "downloaded by torchvision" in ds.source and len(ds) == 3
    assert fetched[0].parent == tmp_path and not fetched[0].exists()  # a temporary folder, gone now
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([_official.ARCHIVE, _official.FOLDER])
    assert load_cifar10(root=tmp_path).source.startswith("official CIFAR-10 (torchvision files")


def test_official_folder_is_preferred(tmp_path, jpeg_dir, trust_md5):
    pixels, labels = write_official(jpeg_dir)
    ds = load_cifar10(train=False, root=jpeg_dir)
    assert ds.source == "official CIFAR-10 (torchvision files in data/cifar-10-batches-py)"
    assert len(ds) == 3 and ds.targets == labels
    np.testing.assert_array_equal(np.asarray(ds[2][0]), pixels[2])
    arrays = load_cifar10_arrays(train=True, root=jpeg_dir)
    assert arrays.images.shape == (10, 3, 32, 32) and arrays.source == ds.source


def test_official_archive_is_unpacked(tmp_path, trust_md5):
    pixels, labels = write_official(tmp_path / "src")
    (tmp_path / "data").mkdir()
    with tarfile.open(tmp_path / "data" / _official.ARCHIVE, "w:gz") as tar:
        tar.add(tmp_path / "src" / _official.FOLDER, arcname=_official.FOLDER)
    arrays = load_cifar10_arrays(train=False, root=tmp_path / "data")
    assert arrays.labels.tolist() == labels
    np.testing.assert_array_equal(arrays.images.permute(0, 2, 3, 1).numpy(), pixels)
    assert sorted(p.name for p in (tmp_path / "data").iterdir()) == sorted([_official.ARCHIVE, _official.FOLDER])


def test_download_failure_falls_back_to_jpeg(jpeg_dir, monkeypatch):
    monkeypatch.setattr(_official, "online", lambda *a, **k: True)

    def broken(root, train):
        raise OSError("connection reset")
    monkeypatch.setattr(_official, "download", broken)
    assert "JPEG copy" in load_cifar10(root=jpeg_dir).source
    with pytest.raises(CifarNotFoundError, match="connection reset"):
        load_cifar10(root=jpeg_dir.parent / "empty")


def test_cli_prints_source_and_counts(jpeg_dir, monkeypatch, capsys):
    monkeypatch.setenv("BLITZ_DATA", str(jpeg_dir))
    data.main([])
    out = capsys.readouterr().out
    assert "JPEG copy" in out and "train: 30 images" in out and "test: 20 images" in out
    assert "airplane 3" in out and "truck 2" in out


def test_module_runs_as_a_script(jpeg_dir):
    env = {**os.environ, "PYTHONPATH": str(Path(data.__file__).parents[1])}
    out = subprocess.run([sys.executable, "-m", "blitz.data", str(jpeg_dir), "--no-download"],
                         capture_output=True, text=True, env=env, check=True).stdout
    assert "cache file absent" in out and "train: 30 images" in out and str(jpeg_dir) in out


# ---------------------------------------------------------------- bad input

def test_no_data_no_network(tmp_path, monkeypatch):
    monkeypatch.setattr(_official, "online", REAL_ONLINE)

    def refuse(*args, **kwargs):
        raise OSError("network is unreachable")
    monkeypatch.setattr(socket, "create_connection", refuse)
    before = snapshot(tmp_path)
    with pytest.raises(FileNotFoundError) as info:
        load_cifar10(root=tmp_path)
    message = str(info.value)
    for needed in (str(tmp_path), "torchvision", "cifar10-jpeg.tar.gz", "cifar-10-python.tar.gz", "BLITZ_DATA"):
        assert needed in message
    assert snapshot(tmp_path) == before
    with pytest.raises(CifarNotFoundError, match="download=False"):
        load_cifar10_arrays(root=tmp_path, download=False)


def test_connectivity_check_gives_up_on_a_hanging_host(monkeypatch):
    release = threading.Event()

    def hang(*args, **kwargs):
        release.wait(60)
        raise OSError("timed out")
    monkeypatch.setattr(socket, "create_connection", hang)
    try:
        assert REAL_ONLINE(timeout=0.2) is False
    finally:
        release.set()


@pytest.mark.parametrize("bad", ["train_str", "train_int", "root_int", "download_str", "transform"])
def test_wrong_argument_types(bad, jpeg_dir):
    kwargs = {"train_str": {"train": "yes"}, "train_int": {"train": 1}, "root_int": {"root": 42},
              "download_str": {"download": "no"}, "transform": {"transform": 5}}[bad]
    kwargs.setdefault("root", jpeg_dir)
    with pytest.raises(TypeError):
        load_cifar10(**kwargs)
    if bad != "transform":
        with pytest.raises(TypeError):
            load_cifar10_arrays(**kwargs)


def test_root_that_is_a_file(jpeg_dir):
    with pytest.raises(ValueError, match="got the file"):
        load_cifar10(root=jpeg_dir / data.JPEG_ARCHIVE)


def _truncate(archive: Path) -> None:
    archive.write_bytes(archive.read_bytes()[: archive.stat().st_size // 2])


def _garbage(archive: Path) -> None:
    archive.write_bytes(np.random.default_rng(1).bytes(5000))


def _corrupt_jpeg(tree: Path) -> str:
    (tree / "train" / "cat" / "0001.jpg").write_bytes(b"\xff\xd8\xff\xe0 not really a JPEG")
    return "train/cat/0001.jpg"


def _missing_class(tree: Path) -> str:
    for f in (tree / "test" / "frog").iterdir():
        f.unlink()
    (tree / "test" / "frog").rmdir()
    return "frog"


def _empty_class(tree: Path) -> str:
    for f in (tree / "train" / "horse").iterdir():
        f.unlink()
    return "train/horse/"


def _misspelt_class(tree: Path) -> str:
    (tree / "train" / "truck").rename(tree / "train" / "truk")
    return "truk"


def _extra_class(tree: Path) -> str:
    (tree / "test" / "unicorn").mkdir()
    (tree / "test" / "unicorn" / "0000.jpg").write_bytes(jpeg_bytes(smooth_image(0, 0)))
    return "unicorn"


def _wrong_size(tree: Path) -> str:
    (tree / "test" / "dog" / "0001.jpg").write_bytes(jpeg_bytes(smooth_image(5, 1, size=(33, 32))))
    return "test/dog/0001.jpg"


def _grey(tree: Path) -> str:
    (tree / "train" / "ship" / "0002.jpg").write_bytes(jpeg_bytes(smooth_image(8, 2), mode="L"))
    return "train/ship/0002.jpg"


TREE_DAMAGE = [_corrupt_jpeg, _missing_class, _empty_class, _misspelt_class, _extra_class, _wrong_size, _grey]


@pytest.mark.parametrize("damage", [_truncate, _garbage], ids=lambda f: f.__name__)
def test_damaged_archive(damage, jpeg_dir):
    archive = jpeg_dir / data.JPEG_ARCHIVE
    damage(archive)
    before = snapshot(jpeg_dir)
    with pytest.raises(ValueError, match=re.escape(str(archive))):
        load_cifar10(root=jpeg_dir)
    assert snapshot(jpeg_dir) == before  # nothing deleted, overwritten or half-written


@pytest.mark.parametrize("damage", TREE_DAMAGE, ids=lambda f: f.__name__)
@pytest.mark.parametrize("packed", [True, False], ids=["archive", "folders"])
def test_bad_content(damage, packed, tmp_path):
    tree = tmp_path / "tree"
    write_tree(tree)
    needle = damage(tree)
    root = tree
    if packed:
        root = tmp_path / "data"
        root.mkdir()
        write_tar(tree, root / data.JPEG_ARCHIVE)
    before = snapshot(root)
    with pytest.raises(ValueError, match=needle) as info:
        load_cifar10_arrays(root=root)
    assert str(root) in str(info.value)
    assert snapshot(root) == before


def test_corrupt_official_files(tmp_path, jpeg_dir):
    write_official(jpeg_dir)  # real md5 check: tiny files fail it
    before = snapshot(jpeg_dir)
    with pytest.raises(ValueError, match="cifar-10-batches-py"):
        load_cifar10(root=jpeg_dir)
    assert snapshot(jpeg_dir) == before


@pytest.mark.parametrize("damage", [_truncate, _garbage], ids=lambda f: f.__name__)
def test_damaged_official_archive(damage, tmp_path, trust_md5):
    write_official(tmp_path / "src")
    archive = tmp_path / "data" / _official.ARCHIVE
    archive.parent.mkdir()
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(tmp_path / "src" / _official.FOLDER, arcname=_official.FOLDER)
    damage(archive)
    before = snapshot(archive.parent)
    with pytest.raises(ValueError, match=re.escape(str(archive))):
        load_cifar10(root=archive.parent)
    assert snapshot(archive.parent) == before
    assert [p.name for p in archive.parent.iterdir()] == [archive.name]  # no half-unpacked folder


def test_failed_cache_write_leaves_old_cache(jpeg_dir, tmp_path, monkeypatch):
    load_cifar10(root=jpeg_dir)
    before = snapshot(jpeg_dir)
    write_tree(tmp_path / "src1", per_class={"train": 1, "test": 1})
    write_tar(tmp_path / "src1", jpeg_dir / data.JPEG_ARCHIVE)
    data._MEMORY.clear()

    def disk_full(f, **arrays):
        f.write(b"half a file")
        raise OSError("No space left on device")
    monkeypatch.setattr(np, "savez", disk_full)
    assert len(load_cifar10(root=jpeg_dir)) == 10  # still served, from memory
    after = snapshot(jpeg_dir)
    assert after["cifar10-jpeg.cache.npz"] == before["cifar10-jpeg.cache.npz"]
    assert sorted(after) == sorted(before)  # no temporary file left behind


# ---------------------------------------------------------------- the real copy

def test_real_jpeg_copy():
    """The shared JPEG copy, when present: 50,000 / 10,000 images, 5,000 / 1,000 per class."""
    root = REAL_DATA
    if not (root / data.JPEG_ARCHIVE).is_file() and not (root / _official.FOLDER).is_dir():
        pytest.skip(f"no CIFAR-10 copy in {root}")
    for train, per_class in ((True, 5000), (False, 1000)):
        arrays = load_cifar10_arrays(train=train, root=root, download=False)
        assert arrays.images.shape == (10 * per_class, 3, 32, 32)
        assert arrays.labels.bincount().tolist() == [per_class] * 10
