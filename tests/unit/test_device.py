"""blitz.device and blitz.throughput, on whatever machine runs the tests."""
from __future__ import annotations

import math

import pytest
import torch

from blitz import device as dev
from blitz import throughput
from blitz.throughput import ThroughputConfig, copy_gb_per_second, sweep, train_images_per_second

QUICK = ThroughputConfig(warmup_steps=1, min_steps=2, min_seconds=0.0)


def test_falls_back_to_the_cpu_with_a_note(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(dev, "_mps_available", lambda: False)
    choice = dev.pick_device()
    assert choice.device == torch.device("cpu")
    assert "No GPU found" in choice.reason and "CPU" in choice.reason
    forced = dev.pick_device("cuda")
    assert forced.device.type == "cpu" and "not available" in forced.reason


def test_prefers_cuda_then_mps(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "get_device_name", lambda i=0: "Test GPU")
    monkeypatch.setattr(dev, "_mps_available", lambda: True)
    choice = dev.pick_device()
    assert choice.device == torch.device("cuda", 0) and "Test GPU" in choice.reason
    assert dev.pick_device("mps").device == torch.device("mps")
    assert dev.pick_device("cpu").device == torch.device("cpu")


def test_bad_arguments_raise() -> None:
    with pytest.raises(ValueError, match="prefer must be one of"):
        dev.pick_device("gpu")
    with pytest.raises(ValueError, match="batch_size"):
        train_images_per_second("cpu", 0, QUICK)
    with pytest.raises(ValueError, match="min_steps"):
        ThroughputConfig(min_steps=0)
    with pytest.raises(ValueError, match="at least one"):
        sweep(["cpu"], [], QUICK)
    with pytest.raises(ValueError, match="at least one device"):
        sweep([], [4], QUICK)
    with pytest.raises(ValueError, match="needs a CUDA device"):
        copy_gb_per_second("cpu")


def test_sweep_measures_each_batch_size_on_the_cpu() -> None:
    rates = sweep(["cpu"], [2, 8], QUICK)
    assert list(rates) == ["cpu"] and list(rates["cpu"]) == [2, 8]
    assert all(math.isfinite(r) and r > 0 for r in rates["cpu"].values())
    with_item = train_images_per_second("cpu", 2, ThroughputConfig(1, 2, 0.0, item_every_step=True))
    assert math.isfinite(with_item)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_copy_speed_on_cuda() -> None:
    assert copy_gb_per_second("cuda", megabytes=1, pinned=True) > 0


def test_sweep_takes_turns_between_devices_and_batch_sizes(monkeypatch) -> None:
    calls = []

    def fake(device, batch_size, config, seed=0):
        calls.append((torch.device(device).type, batch_size))
        return float(len(calls))  # a different "speed" at every call: the median must pick the middle one

    monkeypatch.setattr(throughput, "train_images_per_second", fake)
    rates = throughput.sweep(["cpu", "meta"], [4, 64], QUICK, repeats=3)
    assert calls[:4] == [("cpu", 4), ("cpu", 64), ("meta", 4), ("meta", 64)] and calls[4:8] == calls[:4]
    assert rates == {"cpu": {4: 5.0, 64: 6.0}, "meta": {4: 7.0, 64: 8.0}}  # medians of (1, 5, 9), (2, 6, 10), ...
