"""Choose where tensors live: CUDA, Apple's MPS, or the CPU.

A chapter calls :func:`pick_device` once, prints the reason it returns, and
moves the model and every batch there. The order of preference is CUDA, then
Apple's MPS, then the CPU, so the same notebook runs everywhere: on a machine
without a GPU it falls back to the CPU instead of crashing.

Introduced in chapter 5, Training on a GPU.
"""
from __future__ import annotations

from typing import NamedTuple

import torch

#: Accepted values of ``pick_device(prefer=...)``.
KINDS = ("cuda", "mps", "cpu")


class DeviceChoice(NamedTuple):
    """The chosen device and a sentence saying why it was chosen."""

    device: torch.device
    reason: str


def _mps_available() -> bool:
    mps = getattr(torch.backends, "mps", None)
    return bool(mps is not None and mps.is_available())


def pick_device(prefer: str | None = None) -> DeviceChoice:
    """Return the best available device (CUDA, then MPS, then CPU) and why.

    ``prefer`` forces one kind ("cuda", "mps" or "cpu"); asking for one that
    is not available falls back to the CPU and the reason says so, which is
    what a reader without a GPU needs: a working notebook and a clear note.
    Introduced in chapter 5, Training on a GPU.
    """
    if prefer is not None and prefer not in KINDS:
        raise ValueError(f"prefer must be one of {KINDS} or None, got {prefer!r}")
    want = KINDS if prefer is None else (prefer,)
    if "cuda" in want and torch.cuda.is_available():
        name = torch.cuda.get_device_name(0)
        return DeviceChoice(torch.device("cuda", 0), f"CUDA is available: using {name}.")
    if "mps" in want and _mps_available():
        return DeviceChoice(torch.device("mps"), "Apple's MPS backend is available: using the Apple GPU.")
    asked = "No GPU found" if prefer is None else f"{prefer!r} was asked for"
    if prefer in (None, "cpu"):
        why = f"{asked}: using the CPU." if prefer is None else "Using the CPU, as asked."
    else:
        why = f"{asked} but is not available: falling back to the CPU."
    if prefer is None or prefer != "cpu":
        why += " Everything below still runs, only slower, and timings describe your CPU, not a GPU."
    return DeviceChoice(torch.device("cpu"), why)
