"""Timing GPU work honestly: on the GPU's own clock, after the queued work has finished.

CUDA calls return before the GPU has done the work, so a CPU stopwatch alone
measures how fast Python queues kernels. ``Stopwatch`` records CUDA events
around the timed region and waits for the end event; on other devices it
falls back to ``time.perf_counter``.

Introduced in {ref}`ch-fast`.
"""
from __future__ import annotations

import time

import torch


class Stopwatch:
    """Seconds between start() and stop(): CUDA events on a GPU (its own clock), perf_counter elsewhere."""

    def __init__(self, device: torch.device) -> None:
        self.cuda = device.type == "cuda"
        self._started = False

    def start(self) -> None:
        """Start timing (on a GPU: once the work queued so far has finished)."""
        self._started = True
        if self.cuda:
            torch.cuda.synchronize()  # nothing earlier may leak into the timed region
            self._begin = torch.cuda.Event(enable_timing=True)
            self._begin.record()
        else:
            self._t0 = time.perf_counter()

    def stop(self) -> float:
        """Seconds since start(), once all work queued so far has finished."""
        if not self._started:
            raise RuntimeError("Stopwatch.stop() called before start()")
        if not self.cuda:
            return time.perf_counter() - self._t0
        end = torch.cuda.Event(enable_timing=True)
        end.record()
        end.synchronize()  # wait until the GPU has really finished the work queued so far
        return self._begin.elapsed_time(end) / 1000  # milliseconds -> seconds
