"""The plain-PyTorch script of chapter 4 (book/scripts/cifar10_classifier.py) runs and needs no blitz.

Readers download the script and run it on their own machine, where it
downloads CIFAR-10 with torchvision. Here torchvision's ``CIFAR10`` is
replaced by a small stand-in with the same interface, built with
``blitz.data`` from a tiny array file of random images: the build machines
have only a JPEG copy of CIFAR-10, which torchvision's integrity check would
reject, and no test may reach the network.
"""
from __future__ import annotations

import ast
import importlib.util
import json
import socket
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest
import torch
import torchvision

from blitz.data import ARRAY_FILE, load_cifar10
from blitz.lenet import LeNet

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "book" / "scripts" / "cifar10_classifier.py"


def _load_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("cifar10_classifier", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _write_arrays(root: Path, n_train: int = 40, n_test: int = 20) -> None:
    """root/cifar10-jpeg.npz with random images and labels cycling through the ten classes."""
    rng = np.random.default_rng(0)
    arrays = {"format": np.array(1),
              "source": np.array(json.dumps({"kind": "archive", "name": "random pictures"}))}
    for split, n in (("train", n_train), ("test", n_test)):
        arrays[f"{split}_images"] = rng.integers(0, 256, size=(n, 32, 32, 3), dtype=np.uint8)
        arrays[f"{split}_labels"] = np.arange(n, dtype=np.int64) % 10
    root.mkdir(parents=True, exist_ok=True)
    np.savez(root / ARRAY_FILE, **arrays)


@pytest.fixture
def fake_cifar(monkeypatch, tmp_path) -> list[dict]:
    """torchvision.datasets.CIFAR10 replaced by blitz's dataset over a tiny array file; records the calls."""
    arrays = tmp_path / "arrays"
    _write_arrays(arrays)
    calls: list[dict] = []

    def fake(root, train=True, transform=None, target_transform=None, download=False):
        calls.append({"root": root, "train": train, "download": download})
        return load_cifar10(train=train, transform=transform, root=arrays, download=False)

    def refuse(*args, **kwargs):
        raise OSError("network is unreachable (blocked by the tests)")

    monkeypatch.setattr(torchvision.datasets, "CIFAR10", fake)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.delenv("BLITZ_SMOKE", raising=False)
    return calls


def test_script_trains_saves_loads_and_reports_accuracy(fake_cifar, tmp_path, capsys) -> None:
    script = _load_script()
    weights = tmp_path / "net.pth"
    accuracy = script.main(epochs=1, data_root=str(tmp_path / "data"), max_batches=3, weights=str(weights))
    out = capsys.readouterr().out
    # the original's call: both splits, download=True, into the folder asked for
    assert fake_cifar == [{"root": str(tmp_path / "data"), "train": True, "download": True},
                          {"root": str(tmp_path / "data"), "train": False, "download": True}]
    assert "Finished Training" in out and f"Saved and reloaded the weights: {weights}" in out
    assert "Accuracy of the network on the 20 test images:" in out
    assert 0.0 <= accuracy <= 100.0 and f"{accuracy:.1f} %" in out
    assert out.count("Accuracy of ") == 11  # overall, then each of the ten classes
    state = torch.load(weights, weights_only=True)
    assert set(state) == {f"{layer}.{kind}" for layer in ("conv1", "conv2", "fc1", "fc2", "fc3")
                          for kind in ("weight", "bias")}


def test_script_saves_the_trained_weights(fake_cifar, tmp_path, monkeypatch) -> None:
    """The saved file holds the weights after training, not the initial ones."""
    script = _load_script()
    initial: list[dict] = []

    class Recording(script.Net):
        def __init__(self):
            super().__init__()
            initial.append({k: v.clone() for k, v in self.state_dict().items()})

    monkeypatch.setattr(script, "Net", Recording)
    weights = tmp_path / "net.pth"
    script.main(epochs=1, data_root=str(tmp_path), max_batches=2, weights=str(weights))
    saved = torch.load(weights, weights_only=True)
    assert len(initial) == 2  # the trained network, then the fresh one the weights are loaded into
    assert all(not torch.equal(saved[k], initial[0][k]) for k in ("conv1.weight", "fc3.weight", "fc3.bias"))


def test_script_net_is_the_books_lenet() -> None:
    """Same parameter names and shapes as blitz.lenet.LeNet(in_channels=3), and the same outputs with its weights."""
    net, lenet = _load_script().Net(), LeNet(in_channels=3)
    assert {k: v.shape for k, v in net.state_dict().items()} == {k: v.shape for k, v in lenet.state_dict().items()}
    net.load_state_dict(lenet.state_dict())
    x = torch.randn(2, 3, 32, 32)
    assert torch.equal(net(x), lenet(x))


@pytest.mark.parametrize("kwargs", [{"epochs": 0}, {"max_batches": 0}])
def test_script_rejects_bad_arguments(kwargs, fake_cifar, tmp_path) -> None:
    with pytest.raises(ValueError, match="epochs >= 1"):
        _load_script().main(data_root=str(tmp_path), weights=str(tmp_path / "w.pth"), **kwargs)
    assert fake_cifar == []  # refused before any data is touched


def test_script_imports_nothing_from_blitz() -> None:
    tree = ast.parse(SCRIPT.read_text(encoding="utf-8"))
    imported = {a.name.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    imported |= {n.module.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
    assert imported <= {"__future__", "argparse", "torch", "torchvision"}, imported
    assert "blitz" not in SCRIPT.read_text(encoding="utf-8")


def test_script_help_runs_standalone() -> None:
    """``python cifar10_classifier.py --help`` in a Python that cannot import blitz."""
    code = ("import sys; sys.modules['blitz'] = None; sys.argv = ['cifar10_classifier.py', '--help']; "
            f"import runpy; runpy.run_path({str(SCRIPT)!r}, run_name='__main__')")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "--max-batches" in result.stdout and "--epochs" in result.stdout
