"""How many images per second LeNet trains on, for a device and a batch size.

The measurement isolates the device: the images are random tensors put on
the device before the clock starts, so no time goes into building PIL images,
per-image transforms, collating batches or copying over PCIe. A few untimed
warm-up steps absorb the first calls' one-off costs (library set-up, loading
kernels, memory allocation), and the device is synchronised before each
reading of the clock, because GPU calls return as soon as the work is queued.

Introduced in chapter 5, Training on a GPU.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Sequence

import torch

from blitz.lenet import LeNet
from blitz.timing import Stopwatch, interleaved, sgd_step


@dataclass(frozen=True)
class ThroughputConfig:
    """How long to measure: warm-up steps, then at least ``min_steps`` and ``min_seconds``."""

    warmup_steps: int = 5
    min_steps: int = 10
    min_seconds: float = 1.0
    lr: float = 0.001
    momentum: float = 0.9
    #: Call ``loss.item()`` after every step, as a loop that prints the running loss does.
    item_every_step: bool = False

    def __post_init__(self) -> None:
        if self.warmup_steps < 0 or self.min_steps < 1 or self.min_seconds < 0:
            raise ValueError(
                "need warmup_steps >= 0, min_steps >= 1 and min_seconds >= 0, got "
                f"{self.warmup_steps}, {self.min_steps} and {self.min_seconds}"
            )


def train_images_per_second(device: torch.device | str, batch_size: int,
                            config: ThroughputConfig = ThroughputConfig(), seed: int = 0) -> float:
    """Images per second of LeNet training steps (forward, backward, SGD) on ``device``.

    The batch (``(batch_size, 3, 32, 32)`` images, labels in 0..9) is made on
    the device once and reused, so only the device's work is timed.
    Introduced in chapter 5, Training on a GPU.
    """
    if not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"batch_size must be a positive int, got {batch_size!r}")
    device = torch.device(device)
    gen = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    net = LeNet(in_channels=3).to(device)
    opt = torch.optim.SGD(net.parameters(), lr=config.lr, momentum=config.momentum)
    x = torch.randn(batch_size, 3, 32, 32, generator=gen).to(device)
    y = torch.randint(0, 10, (batch_size,), generator=gen).to(device)

    def step() -> None:
        loss = sgd_step(net, opt, x, y)
        if config.item_every_step:
            loss.item()  # copies one number to the CPU: waits until the GPU has finished

    for _ in range(config.warmup_steps):
        step()
    # Run rounds of steps, doubling the round, and read the clock (a sync) only
    # between rounds: a sync after every step would stop the CPU queueing work ahead.
    clock, steps, rounds = Stopwatch(device), 0, config.min_steps
    clock.start()
    while True:
        for _ in range(rounds):
            step()
        steps += rounds
        elapsed = clock.stop()
        if elapsed >= config.min_seconds:
            return steps * batch_size / elapsed
        rounds *= 2


def sweep(devices: Sequence[torch.device | str], batch_sizes: list[int],
          config: ThroughputConfig = ThroughputConfig(), repeats: int = 3) -> dict[str, dict[int, float]]:
    """``{device type: {batch_size: images per second}}``, every measurement taken in turns.

    Each (device, batch size) pair is one measurement of
    :func:`train_images_per_second`; :func:`~blitz.timing.interleaved` runs
    them in turns, ``repeats`` times, and keeps each one's median. The CPU
    and the GPU are therefore timed in the same minutes: timing the whole
    CPU curve first and the GPU's afterwards would compare two different
    states of a shared machine. Introduced in chapter 5, Training on a GPU.
    """
    if not batch_sizes:
        raise ValueError("batch_sizes must name at least one batch size")
    if not devices:
        raise ValueError("devices must name at least one device")
    named = {torch.device(d).type: torch.device(d) for d in devices}
    medians = interleaved({(name, b): partial(train_images_per_second, d, b, config)
                           for name, d in named.items() for b in batch_sizes}, repeats)
    return {name: {b: medians[name, b] for b in batch_sizes} for name in named}


def copy_gb_per_second(device: torch.device | str, megabytes: int = 64, pinned: bool = False,
                       repeats: int = 5) -> float:
    """Host-to-device copy speed (GB/s) of a ``megabytes`` MB tensor, from pageable or pinned memory.

    Pinned (page-locked) memory can be read by the GPU's copy engine directly;
    pageable memory is first staged through a pinned buffer by the driver.
    Needs CUDA. Introduced in chapter 7, Going fast on a GPU.
    """
    device = torch.device(device)
    if device.type != "cuda":
        raise ValueError(f"copy speed over PCIe needs a CUDA device, got {device}")
    if megabytes < 1 or repeats < 1:
        raise ValueError(f"megabytes and repeats must be >= 1, got {megabytes} and {repeats}")
    host = torch.empty(megabytes * 2**20, dtype=torch.uint8, pin_memory=pinned)
    host.to(device, non_blocking=pinned)  # warm-up: allocation on the device
    clock = Stopwatch(device)
    clock.start()
    for _ in range(repeats):
        host.to(device, non_blocking=pinned)
    return repeats * host.numel() / clock.stop() / 1e9
