"""Timing training honestly: wait for the device, skip the warm-up, time many steps.

GPU calls return as soon as the work is *queued*, so a CPU stopwatch alone
measures how fast Python queues kernels. :class:`Stopwatch` waits for the
device before it reads the clock (on a CUDA GPU it uses the GPU's own clock,
CUDA events); on the CPU it is ``time.perf_counter``. :func:`seconds_per_step`
times SGD steps with their data, after a few untimed warm-up steps;
:func:`interleaved` compares several such measurements fairly on a busy machine.


Introduced in chapter 6, Where the time goes on a CPU (seconds per step, interleaved) and chapter 5, Training on a GPU
(synchronising, the stopwatch); chapter 7, Going fast on a GPU shows the stopwatch.
"""
from __future__ import annotations

import statistics
import time
from typing import Callable, Iterable, Mapping, TypeVar

import torch
from torch import nn

from blitz.batches import normalize

K = TypeVar("K")


def synchronize(device: torch.device | str) -> None:
    """Wait until every operation queued on ``device`` has finished.

    CUDA (and MPS) calls return as soon as the work is queued; a timer read
    before synchronising measures how fast Python queues work, not how fast
    the GPU does it. On the CPU this does nothing. Introduced in chapter 5, Training on a GPU.
    """
    kind = torch.device(device).type
    if kind == "cuda":
        torch.cuda.synchronize(device)
    elif kind == "mps":
        torch.mps.synchronize()
    elif kind != "cpu":
        raise ValueError(f"synchronize knows cuda, mps and cpu devices, got {device!r}")


class Stopwatch:
    """Seconds since start(), read once the device has finished the work queued so far.

    On a CUDA device it records CUDA events (the GPU's own clock) around the
    timed region; elsewhere it synchronises and reads ``time.perf_counter``.
    ``stop()`` may be called several times: each call gives the time since
    ``start()``.
    Introduced in chapter 5, Training on a GPU; chapter 7, Going fast on a GPU shows its code.
    """

    def __init__(self, device: torch.device | str) -> None:
        self.device = torch.device(device)
        self.cuda = self.device.type == "cuda"
        self._started = False

    def start(self) -> None:
        """Start timing, once the work queued so far has finished (none of it leaks in)."""
        synchronize(self.device)
        self._started = True
        if self.cuda:
            self._begin = torch.cuda.Event(enable_timing=True)
            self._begin.record()
        else:
            self._t0 = time.perf_counter()

    def stop(self) -> float:
        """Seconds since start(), once all the work queued so far has finished."""
        if not self._started:
            raise RuntimeError("Stopwatch.stop() called before start()")
        if not self.cuda:
            synchronize(self.device)
            return time.perf_counter() - self._t0
        end = torch.cuda.Event(enable_timing=True)
        end.record()
        end.synchronize()  # wait until the GPU has really finished the work queued so far
        return self._begin.elapsed_time(end) / 1000  # milliseconds -> seconds


def sgd_step(model: nn.Module, optimizer: torch.optim.Optimizer, inputs: torch.Tensor,
             labels: torch.Tensor) -> torch.Tensor:
    """One training step: forward, cross-entropy loss, backward, update; returns the loss.

    The loss stays on the device: reading it (``.item()``) would make the CPU
    wait for the GPU. Introduced in chapter 6, Where the time goes on a CPU.
    """
    optimizer.zero_grad()
    loss = nn.functional.cross_entropy(model(inputs), labels)
    loss.backward()
    optimizer.step()
    return loss


def seconds_per_step(model: nn.Module, batches: Iterable[tuple[torch.Tensor, torch.Tensor]], steps: int,
                     threads: int = 1, warmup: int = 5) -> float:
    """Mean wall-clock seconds of one SGD step of ``model`` (data included) over ``steps`` batches.

    ``batches`` is any iterable of (images, labels): a DataLoader or
    :func:`blitz.batches.shuffled_batches` (uint8 images are normalised batch
    by batch, as :func:`blitz.train.train` does). The optimizer is the original
    recipe's (SGD, learning rate 0.001, momentum 0.9). The first ``warmup``
    steps (worker start-up, first allocations) are not timed; the CPU runs
    with ``threads`` threads. Introduced in chapter 6, Where the time goes on a CPU.
    """
    if steps < 1 or warmup < 0 or threads < 1:
        raise ValueError(f"need steps >= 1, warmup >= 0, threads >= 1; got {steps}, {warmup}, {threads}")
    optimizer = torch.optim.SGD(model.parameters(), lr=0.001, momentum=0.9)
    device = next(model.parameters()).device
    clock, before = Stopwatch(device), torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        it = iter(batches)
        for i in range(warmup + steps):
            if i == warmup:
                clock.start()
            try:
                inputs, labels = next(it)
            except StopIteration:
                raise ValueError(f"batches ran out after {i} of {warmup + steps} steps") from None
            if inputs.dtype == torch.uint8:
                inputs = normalize(inputs)
            sgd_step(model, optimizer, inputs, labels)
        return clock.stop() / steps
    finally:
        torch.set_num_threads(before)


def interleaved(measures: Mapping[K, Callable[[], float]], repeats: int = 5) -> dict[K, float]:
    """The median of ``repeats`` runs of each measurement, run in turn: A, B, C, A, B, C, ...

    On a machine shared with other programs the speed drifts from minute to
    minute. Measuring A for a while and then B for a while compares A's minute
    with B's; taking turns spreads the drift over both, and the median ignores
    the odd run that another program interrupted.
    Introduced in chapter 6, Where the time goes on a CPU.
    """
    if repeats < 1:
        raise ValueError(f"repeats must be >= 1, got {repeats}")
    runs: dict[K, list[float]] = {key: [] for key in measures}
    for _ in range(repeats):
        for key, measure in measures.items():
            runs[key].append(measure())
    return {key: statistics.median(values) for key, values in runs.items()}
