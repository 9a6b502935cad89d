"""DistributedDataParallel (blitz.ddp, blitz.ddp_check): the maths, the shards, the errors.

The gradient test starts two real gloo processes on this machine (loopback,
CPU) and compares what DDP computes with a single process that sees the
whole batch, computed here independently.
"""
from __future__ import annotations

import socket
from pathlib import Path

import pytest
import torch
from torch import nn

from blitz import ddp
from blitz.ddp import DistEnv, main, parse_args, read_env, shard
from blitz.ddp_check import gradient_worker, loopback_interface, run_gloo
from blitz.lenet import LeNet

TORCHRUN_ENV = {"RANK": "1", "LOCAL_RANK": "1", "WORLD_SIZE": "2", "MASTER_ADDR": "127.0.0.1", "MASTER_PORT": "29500"}


def _full_batch_reference(images: torch.Tensor, labels: torch.Tensor, lr: float) -> tuple[list, list]:
    """One process, whole batches, no DDP: the first gradient and the weights after every step."""
    torch.manual_seed(0)
    model = LeNet(in_channels=3)
    nn.functional.cross_entropy(model(images[0]), labels[0]).backward()
    grads = [p.grad.clone() for p in model.parameters()]
    model.zero_grad()
    optimizer = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9)
    for x, y in zip(images, labels):
        optimizer.zero_grad()
        nn.functional.cross_entropy(model(x), y).backward()
        optimizer.step()
    return grads, [p.detach() for p in model.parameters()]


def test_two_processes_with_half_batches_match_one_process_with_the_whole_batch() -> None:
    g = torch.Generator().manual_seed(1)
    images, labels = torch.randn(3, 8, 3, 32, 32, generator=g), torch.randint(0, 10, (3, 8), generator=g)
    results = run_gloo(gradient_worker, 2, images, labels, 0.05)
    grads, weights = _full_batch_reference(images, labels, 0.05)
    for rank in (0, 1):
        for mine, full in zip(results[rank]["averaged"], grads):
            torch.testing.assert_close(mine, full, rtol=1e-5, atol=1e-6)
        for mine, full in zip(results[rank]["weights"], weights):
            torch.testing.assert_close(mine, full, rtol=1e-5, atol=1e-6)
    # without the all-reduce each process has only its half's gradient, which is not the full one
    gap = max((a - b).abs().max().item() for a, b in zip(results[0]["local"], grads))
    assert gap > 1e-3
    # and the full gradient is the mean of the two halves' gradients
    for a, b, full in zip(results[0]["local"], results[1]["local"], grads):
        torch.testing.assert_close((a + b) / 2, full, rtol=1e-5, atol=1e-6)


def test_run_gloo_refuses_a_bad_world_size() -> None:
    with pytest.raises(ValueError, match="world_size"):
        run_gloo(gradient_worker, 0)


def test_read_env_needs_torchrun() -> None:
    with pytest.raises(RuntimeError, match="must be started by torchrun.*missing: RANK, LOCAL_RANK"):
        read_env({"WORLD_SIZE": "2", "MASTER_ADDR": "127.0.0.1", "MASTER_PORT": "29500"})
    assert read_env(TORCHRUN_ENV) == DistEnv(rank=1, local_rank=1, world_size=2)
    with pytest.raises(RuntimeError, match="outside"):
        read_env({**TORCHRUN_ENV, "RANK": "2"})


def test_script_without_torchrun_exits_with_a_clear_message(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in TORCHRUN_ENV:
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(SystemExit, match="(?s)must be started by torchrun.*torchrun --standalone --nproc_per_node=2"):
        main(["--epochs", "1"])


def test_parse_args_defaults_and_errors() -> None:
    args = parse_args([])
    assert (args.epochs, args.batch_size, args.lr, args.images, args.checkpoint) == (2, 64, None, None, None)
    with pytest.raises(SystemExit):
        parse_args(["--batch-size", "0"])


@pytest.mark.parametrize("n, world", [(10, 3), (50_000, 3), (12, 4), (7, 2)])
def test_uneven_world_size_pads_with_repeats_so_every_rank_takes_the_same_steps(n: int, world: int) -> None:
    shares = [list(shard(n, DistEnv(r, r, world), epoch=0)) for r in range(world)]
    per_rank = -(-n // world)  # ceil(n / world)
    assert all(len(s) == per_rank for s in shares)  # the same number of examples, hence of steps
    everything = [i for s in shares for i in s]
    assert set(everything) == set(range(n))  # nothing is left out
    repeats = per_rank * world - n
    assert len(everything) - len(set(everything)) == repeats  # padding: a few examples twice
    assert repeats < world


def test_set_epoch_reshuffles_but_every_rank_agrees() -> None:
    env = DistEnv(0, 0, 2)
    assert list(shard(100, env, epoch=0)) != list(shard(100, env, epoch=1))
    assert list(shard(100, env, epoch=1)) == list(shard(100, env, epoch=1))  # same seed + epoch everywhere
    both = set(shard(100, env, 1)) | set(shard(100, DistEnv(1, 1, 2), 1))
    assert both == set(range(100))  # the two shares of one epoch are disjoint and complete


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_main_in_a_one_process_job_logs_checkpoints_and_resumes(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    """The script end to end (world size 1, gloo, loopback), on 40 random images instead of CIFAR-10."""
    g = torch.Generator().manual_seed(0)
    fake = (torch.randint(0, 256, (40, 3, 32, 32), dtype=torch.uint8, generator=g),
            torch.randint(0, 10, (40,), generator=g))
    monkeypatch.setattr(ddp, "load_data", lambda images, seed, device: fake)
    monkeypatch.setattr(ddp, "evaluate", lambda model, device: 12.5)
    env = {"RANK": "0", "LOCAL_RANK": "0", "WORLD_SIZE": "1", "MASTER_ADDR": "127.0.0.1"}
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    if loopback_interface() is not None:
        monkeypatch.setenv("GLOO_SOCKET_IFNAME", loopback_interface())
    checkpoint = tmp_path / "ck.pt"
    monkeypatch.setenv("MASTER_PORT", str(_free_port()))
    ddp.main(["--epochs", "2", "--batch-size", "8", "--checkpoint", str(checkpoint)])
    first = capsys.readouterr().out
    assert "1 processes, backend gloo" in first and "batch 8 per process = 8 global, lr 0.002" in first
    assert "epoch 1:" in first and "epoch 2:" in first and "test accuracy 12.5 %" in first
    state = torch.load(checkpoint, weights_only=True)
    assert state["epoch"] == 1 and set(state["model"]) == set(LeNet(in_channels=3).state_dict())
    monkeypatch.setenv("MASTER_PORT", str(_free_port()))
    ddp.main(["--epochs", "3", "--batch-size", "16", "--checkpoint", str(checkpoint)])  # a restart resumes
    second = capsys.readouterr().out
    assert "epoch 1:" not in second and "epoch 2:" not in second and "epoch 3:" in second
    state = torch.load(checkpoint, weights_only=True)
    assert state["epoch"] == 2
    assert state["optimizer"]["param_groups"][0]["lr"] == pytest.approx(0.004)  # this run's lr, not the saved one
    assert state["optimizer"]["state"]  # the momentum buffers came through


def failing_worker(rank: int, world_size: int) -> None:
    """Process 1 fails; process 0 then loses its partner at the barrier."""
    if rank == 1:
        raise ValueError("process 1 gives up")


def test_run_gloo_raises_the_first_error_with_its_traceback() -> None:
    with pytest.raises(RuntimeError, match=r"(?s)failing_worker failed in process 1:.*ValueError: process 1 gives up"):
        run_gloo(failing_worker, 2)
