"""Train chapter 4's LeNet on CIFAR-10 with DistributedDataParallel, one process per device.

Started by ``torchrun``, never by plain ``python``::

    torchrun --standalone --nproc_per_node=2 -m blitz.ddp --epochs 1

``torchrun`` starts the processes and gives each its place in the job through
environment variables (``RANK``, ``LOCAL_RANK``, ``WORLD_SIZE``, ``MASTER_ADDR``,
``MASTER_PORT``). Every process holds a full copy of the model, trains on its
own share of every epoch (``DistributedSampler``), and DDP averages the
gradients across processes during the backward pass, so all copies take the
same step. On a machine with CUDA each process drives one GPU and talks NCCL;
without CUDA each drives the CPU and talks gloo. Nothing else changes.

Introduced in chapter 8, Several processes, GPUs or machines.
"""
from __future__ import annotations

import argparse
import os
import time
from pathlib import Path
from typing import Mapping, NamedTuple, Sequence

import torch
import torch.distributed as dist
from torch import nn
from torch.nn.parallel import DistributedDataParallel as DDP
from torch.utils.data import BatchSampler, DistributedSampler

from blitz.batches import normalize
from blitz.data import load_cifar10_arrays
from blitz.lenet import LeNet
from blitz.train import predict

#: The variables torchrun sets for every process it starts; the script needs all of them.
TORCHRUN_VARS = ("RANK", "LOCAL_RANK", "WORLD_SIZE", "MASTER_ADDR", "MASTER_PORT")


class DistEnv(NamedTuple):
    """Where this process sits in the job, as torchrun describes it."""

    rank: int  # 0 .. world_size - 1, unique across all machines
    local_rank: int  # 0 .. nproc_per_node - 1 on this machine: which GPU to use
    world_size: int  # how many processes train together


def read_env(environ: Mapping[str, str] = os.environ) -> DistEnv:
    """Read the job's layout from torchrun's environment; a clear error if it is missing.

    Started with plain ``python -m blitz.ddp`` there is no job to join, so we
    say how to launch it, instead of the ``ValueError`` about a missing
    ``RANK`` that ``init_process_group`` would raise.
    Introduced in chapter 8, Several processes, GPUs or machines.
    """
    missing = [name for name in TORCHRUN_VARS if name not in environ]
    if missing:
        raise RuntimeError(
            f"blitz.ddp must be started by torchrun, which sets {', '.join(TORCHRUN_VARS)}; "
            f"missing: {', '.join(missing)}. Run for example:\n"
            "    torchrun --standalone --nproc_per_node=2 -m blitz.ddp --epochs 1")
    env = DistEnv(int(environ["RANK"]), int(environ["LOCAL_RANK"]), int(environ["WORLD_SIZE"]))
    if not 0 <= env.rank < env.world_size:
        raise RuntimeError(f"RANK={env.rank} is outside 0..WORLD_SIZE-1 = 0..{env.world_size - 1}")
    return env


def setup(env: DistEnv) -> torch.device:
    """Join the process group: NCCL and one GPU per process with CUDA, else gloo on the CPU.

    Introduced in chapter 8, Several processes, GPUs or machines.
    """
    if torch.cuda.is_available():
        if env.local_rank >= torch.cuda.device_count():
            raise RuntimeError(f"local rank {env.local_rank} needs GPU {env.local_rank}, but this machine has "
                               f"{torch.cuda.device_count()}: use --nproc_per_node={torch.cuda.device_count()}")
        device = torch.device("cuda", env.local_rank)
        torch.cuda.set_device(device)
        dist.init_process_group("nccl", device_id=device)
    else:
        device = torch.device("cpu")
        dist.init_process_group("gloo")
    return device


def shard(n: int, env: DistEnv, epoch: int, seed: int = 0) -> DistributedSampler:
    """This process's share of ``n`` examples for ``epoch``: a new random order every epoch.

    Every process shuffles with the same seed + epoch and keeps every
    ``world_size``-th index from its rank on, so the shares never overlap. When
    ``world_size`` does not divide ``n``, the first indices of the shuffled
    order are repeated (``drop_last=False``) so that every process gets
    ``ceil(n / world_size)`` examples and takes the same number of steps.
    Introduced in chapter 8, Several processes, GPUs or machines.
    """
    sampler = DistributedSampler(range(n), num_replicas=env.world_size, rank=env.rank,  # type: ignore[arg-type]
                                 shuffle=True, seed=seed, drop_last=False)
    sampler.set_epoch(epoch)  # without it, every epoch repeats the first epoch's order
    return sampler


def train_epoch(model: nn.Module, optimizer: torch.optim.Optimizer, images: torch.Tensor,
                labels: torch.Tensor, sampler: DistributedSampler, batch_size: int) -> tuple[float, int]:
    """One epoch of this process's share; returns (mean loss over its steps, images seen).

    ``images`` are uint8 (N, 3, 32, 32) on the model's device, normalised one
    batch at a time. ``backward()`` on the DDP-wrapped model is where the
    gradients of all processes are averaged.
    Introduced in chapter 8, Several processes, GPUs or machines.
    """
    model.train()
    total, steps, seen = 0.0, 0, 0
    for idx in BatchSampler(sampler, batch_size, drop_last=False):
        inputs, targets = normalize(images[idx]), labels[idx]
        optimizer.zero_grad()
        loss = nn.functional.cross_entropy(model(inputs), targets)
        loss.backward()  # DDP all-reduces the gradients here, bucket by bucket
        optimizer.step()
        total, steps, seen = total + loss.item(), steps + 1, seen + len(idx)
    return total / max(steps, 1), seen


def save_checkpoint(path: Path, model: DDP, optimizer: torch.optim.Optimizer, epoch: int) -> None:
    """Write the model (without DDP's wrapper), the optimizer and the epoch; called on rank 0 only.

    Written to a temporary file and renamed, so that a crash never leaves a
    half-written checkpoint for a restart to load.
    Introduced in chapter 8, Several processes, GPUs or machines.
    """
    tmp = path.with_suffix(".tmp")
    torch.save({"model": model.module.state_dict(), "optimizer": optimizer.state_dict(), "epoch": epoch}, tmp)
    tmp.replace(path)


def resume(path: Path | None, model: nn.Module, optimizer: torch.optim.Optimizer, device: torch.device) -> int:
    """Load a checkpoint into every process if there is one; return the first epoch to train.

    The momentum comes from the checkpoint, the learning rate from this run:
    after a restart with another world size it must follow the new global
    batch. Introduced in chapter 8, Several processes, GPUs or machines.
    """
    if path is None or not path.is_file():
        return 0
    state = torch.load(path, map_location=device, weights_only=True)
    model.load_state_dict(state["model"])
    lrs = [group["lr"] for group in optimizer.param_groups]
    optimizer.load_state_dict(state["optimizer"])  # this would also bring back the saved learning rate
    for group, lr in zip(optimizer.param_groups, lrs):
        group["lr"] = lr
    return state["epoch"] + 1


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="torchrun [...] -m blitz.ddp", description=__doc__.split("\n")[0])
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=64, help="per process; the global batch is this x world size")
    parser.add_argument("--lr", type=float, default=None,
                        help="default: 0.001 x global batch / 4 (chapter 6's linear scaling rule)")
    parser.add_argument("--images", type=int, default=None, help="train on N random training images only")
    parser.add_argument("--checkpoint", type=Path, default=None, help="saved by rank 0 after every epoch; resumed from")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    if args.epochs < 1 or args.batch_size < 1 or (args.images is not None and args.images < 1):
        parser.error("--epochs, --batch-size and --images must be >= 1")
    return args


def load_data(images: int | None, seed: int, device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
    """CIFAR-10's training images (uint8, (N, 3, 32, 32)) and labels on ``device``; N random ones if asked.

    Every process loads the whole set and picks the same random subset
    (same seed): the sampler, not the loading, splits the work.
    Introduced in chapter 8, Several processes, GPUs or machines.
    """
    train_set = load_cifar10_arrays(train=True)
    keep = torch.randperm(len(train_set.labels), generator=torch.Generator().manual_seed(seed))[:images]
    return train_set.images[keep].to(device), train_set.labels[keep].to(device)


def evaluate(model: nn.Module, device: torch.device) -> float:
    """Per cent of CIFAR-10's 10,000 test images that ``model`` classifies correctly."""
    test = load_cifar10_arrays(train=False)
    return 100 * (predict(model, normalize(test.images.to(device))).cpu() == test.labels).double().mean().item()


def main(argv: Sequence[str] | None = None) -> None:
    """Train LeNet with DDP: one process per device, rank 0 logs and checkpoints."""
    args = parse_args(argv)
    try:
        env = read_env()
    except RuntimeError as exc:  # started without torchrun: a clear message, not a traceback
        raise SystemExit(f"error: {exc}") from None
    device = setup(env)
    try:
        images, labels = load_data(args.images, args.seed, device)
        global_batch = args.batch_size * env.world_size
        lr = args.lr if args.lr is not None else 0.001 * global_batch / 4  # linear scaling rule
        torch.manual_seed(args.seed)  # the same initial weights everywhere (DDP also broadcasts rank 0's)
        model = DDP(LeNet(in_channels=3).to(device))  # wrapped once, before the optimizer sees it
        optimizer = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9)
        first = resume(args.checkpoint, model.module, optimizer, device)
        if env.rank == 0:  # only rank 0 speaks
            print(f"{env.world_size} processes, backend {dist.get_backend()}, device {device.type}; "
                  f"{len(labels)} images, batch {args.batch_size} per process = {global_batch} global, lr {lr:g}",
                  flush=True)
        for epoch in range(first, args.epochs):
            start = time.perf_counter()
            sampler = shard(len(labels), env, epoch, args.seed)
            loss, seen = train_epoch(model, optimizer, images, labels, sampler, args.batch_size)
            totals = torch.tensor([loss, seen], dtype=torch.float64, device=device)
            dist.all_reduce(totals)  # summed over processes: [sum of their mean losses, images seen by all]
            seconds = time.perf_counter() - start
            if env.rank == 0:
                print(f"epoch {epoch + 1}: loss {totals[0].item() / env.world_size:.3f}, {totals[1].item():,.0f} "
                      f"images in {seconds:.1f} s ({totals[1].item() / seconds:,.0f} images/s)", flush=True)
                if args.checkpoint is not None:
                    save_checkpoint(args.checkpoint, model, optimizer, epoch)
        if env.rank == 0:
            print(f"test accuracy {evaluate(model.module, device):.1f} % (10,000 images)", flush=True)
    finally:
        dist.destroy_process_group()


if __name__ == "__main__":
    main()
