"""Check and measure DistributedDataParallel on one machine: gloo processes on the CPU.

:func:`run_gloo` starts a few processes on this machine (no torchrun needed,
so a notebook or a test can call it), joins them in a gloo process group that
meets through a file (no network port to choose) and returns what each
process's function returned. The two workers below are what chapter 8, Several processes, GPUs or machines
runs with it: :func:`gradient_worker` shows that DDP's averaged gradient is the
full batch's gradient, :func:`throughput_worker` times one process against two.

Introduced in chapter 8, Several processes, GPUs or machines.
"""
from __future__ import annotations

import os
import socket
import statistics
import sys
import tempfile
import time
import traceback
from datetime import timedelta
from pathlib import Path
from typing import Any, Callable

import torch
import torch.distributed as dist
import torch.multiprocessing as mp
from torch import nn
from torch.nn.parallel import DistributedDataParallel as DDP

from blitz.lenet import LeNet
from blitz.timing import sgd_step


def loopback_interface() -> str | None:
    """The name of the loopback network interface ("lo" on Linux, "lo0" on macOS), if there is one.

    Gloo talks over the interface ``GLOO_SOCKET_IFNAME`` names; on one machine
    the loopback interface keeps all traffic inside it.
    Introduced in chapter 8, Several processes, GPUs or machines.
    """
    try:
        names = {name for _, name in socket.if_nameindex()}
    except (AttributeError, OSError):  # no interface list on this platform
        return None
    return next((name for name in ("lo", "lo0") if name in names), None)


def _entry(rank: int, fn: Callable[..., Any], world_size: int, folder: str, args: tuple) -> None:
    """Run in each spawned process: join the gloo group, call ``fn``, save its result or its error.

    The process ends right after, so it skips the group's clean-up
    (``destroy_process_group``): with torch 2.4 that clean-up could deadlock,
    its destructor holding Python's lock while waiting for a gloo thread that
    needs it. An error is saved as text for :func:`run_gloo` to raise.
    """
    interface = loopback_interface()
    if interface is not None:  # keep gloo's traffic inside this machine
        os.environ.setdefault("GLOO_SOCKET_IFNAME", interface)
    torch.set_num_threads(1)  # one core per process, as torchrun's OMP_NUM_THREADS=1 does
    code = 0
    try:
        dist.init_process_group("gloo", init_method=f"file://{folder}/store", rank=rank,
                                world_size=world_size, timeout=timedelta(seconds=60))
        result = fn(rank, world_size, *args)
        dist.barrier()  # every process has finished its collectives
        torch.save(result, Path(folder) / f"rank{rank}.pt")
    except BaseException:
        (Path(folder) / f"rank{rank}.err").write_text(traceback.format_exc(), encoding="utf-8")
        code = 1
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def run_gloo(fn: Callable[..., Any], world_size: int, *args: Any) -> list[Any]:
    """Run ``fn(rank, world_size, *args)`` in ``world_size`` new processes joined by gloo; return their results.

    ``fn`` must be importable (a module-level function), since each process
    starts a fresh Python ("spawn"); its result must hold only tensors, numbers,
    strings, lists and dicts. If a process fails, raises ``RuntimeError`` with
    its traceback. Introduced in chapter 8, Several processes, GPUs or machines.
    """
    if not isinstance(world_size, int) or world_size < 1:
        raise ValueError(f"world_size must be an int >= 1, got {world_size!r}")
    with tempfile.TemporaryDirectory() as folder:
        try:
            mp.start_processes(_entry, args=(fn, world_size, folder, args), nprocs=world_size,
                               start_method="spawn")
        except mp.ProcessExitedException:
            errors = sorted(Path(folder).glob("rank*.err"))
            if not errors:
                raise
            # the first failure is the cause; the others' errors are often "connection closed"
            first = min(errors, key=lambda path: path.stat().st_mtime)
            raise RuntimeError(f"{fn.__name__} failed in process {first.stem[4:]}:\n"
                               + first.read_text(encoding="utf-8")) from None
        return [torch.load(Path(folder) / f"rank{r}.pt", weights_only=True) for r in range(world_size)]


def gradient_worker(rank: int, world_size: int, images: torch.Tensor, labels: torch.Tensor,
                    lr: float) -> dict[str, list[torch.Tensor]]:
    """DDP on this process's share of each batch: its local and averaged gradients, then its weights.

    ``images`` (S, B, 3, 32, 32) and ``labels`` (S, B) are S global batches;
    each process takes its contiguous 1/world_size of every batch. Returns
    the gradient of the first batch computed locally (``no_sync``: no
    all-reduce) and through DDP (averaged over processes), and the weights
    after S steps of SGD with momentum.
    Introduced in chapter 8, Several processes, GPUs or machines.
    """
    torch.manual_seed(0)
    model = DDP(LeNet(in_channels=3))
    optimizer = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9)
    mine = images.chunk(world_size, dim=1)[rank], labels.chunk(world_size, dim=1)[rank]  # (S, B/W, ...)
    with model.no_sync():  # backward without the all-reduce: this process's gradient alone
        nn.functional.cross_entropy(model(mine[0][0]), mine[1][0]).backward()
    local = [p.grad.clone() for p in model.parameters()]
    optimizer.zero_grad()
    nn.functional.cross_entropy(model(mine[0][0]), mine[1][0]).backward()  # all-reduced gradient
    averaged = [p.grad.clone() for p in model.parameters()]
    for x, y in zip(*mine):
        sgd_step(model, optimizer, x, y)  # SGD step is plain: every process applies the same average
    return {"local": local, "averaged": averaged, "weights": [p.detach().clone() for p in model.parameters()]}


def _images_per_s(model: nn.Module, batch: int, steps: int, threads: int) -> tuple[float, float]:
    """(images per second, share of the time on a CPU) of ``steps`` SGD steps at ``batch`` with ``threads`` threads.

    The share is CPU time over wall time: about 1 for a thread that had a core
    to itself all along, less when it waited for a core or for its partners.
    """
    x, y = torch.randn(batch, 3, 32, 32), torch.randint(0, 10, (batch,))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.001, momentum=0.9)
    torch.set_num_threads(threads)
    sgd_step(model, optimizer, x, y)  # warm-up, untimed
    dist.barrier()  # start together
    start, cpu = time.perf_counter(), time.process_time()
    for _ in range(steps):
        sgd_step(model, optimizer, x, y)
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    torch.set_num_threads(1)
    return batch * steps / seconds, cpu / seconds


def throughput_worker(rank: int, world_size: int, batch: int, steps: int, repeats: int) -> dict[str, Any]:
    """Images/s of LeNet on 1 process (1 and 2 threads) and on ``world_size`` DDP processes, interleaved.

    Each repeat measures the three set-ups one after the other (while rank 0
    trains alone the others wait at a barrier); rank 0 reports the median of
    each over ``repeats`` (DDP: the images of all processes per second) and
    its median share of the time on a CPU, and every rank the median time of
    one all-reduce of LeNet's gradients.
    Introduced in chapter 8, Several processes, GPUs or machines.
    """
    torch.manual_seed(0)
    alone, together = ("1 process, 1 thread", "1 process, 2 threads"), f"{world_size} processes (DDP), 1 thread each"
    runs: dict[str, list[tuple[float, float]]] = {name: [] for name in (*alone, together)}
    ddp = DDP(LeNet(in_channels=3))
    for _ in range(repeats):
        for threads, name in zip((1, 2), alone):
            if rank == 0:
                runs[name].append(_images_per_s(LeNet(in_channels=3), batch, steps, threads))
            else:
                dist.barrier()  # matches rank 0's "start together"; then wait until it is done
            dist.barrier()
        speed, share = _images_per_s(ddp, batch, steps, 1)
        runs[together].append((world_size * speed, share))
        dist.barrier()
    grads = torch.zeros(sum(p.numel() for p in ddp.parameters()))
    times = []
    for _ in range(5 * steps):
        start = time.perf_counter()
        dist.all_reduce(grads)
        times.append(time.perf_counter() - start)
    return {"images_per_s": {name: statistics.median(r[0] for r in v) for name, v in runs.items() if v},
            "cpu_share": {name: statistics.median(r[1] for r in v) for name, v in runs.items() if v},
            "allreduce_s": statistics.median(times), "gradient_floats": grads.numel()}
