"""``python -m blitz.bench cpu``: train every CIFAR-10 recipe and report time, speed, accuracy, memory.

Each recipe runs in a fresh Python process so that its peak memory is its
own. Prints, per recipe: training seconds, images per second, test accuracy
and peak resident memory. Introduced in {ref}`ch-cifar10`.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time
from typing import Iterable

import torch

from blitz.recipes import RECIPES


def seconds_per_step(batches: Iterable[tuple[torch.Tensor, torch.Tensor]], steps: int,
                     threads: int = 1, warmup: int = 5) -> float:
    """Mean wall-clock seconds of one LeNet SGD step (data included) over ``steps`` batches.

    ``batches`` is any iterable of (images, labels): a DataLoader or
    :func:`blitz.train.shuffled_batches`. The first ``warmup`` steps (worker
    start-up, first allocations) are not timed. Introduced in {ref}`ch-cifar10`.
    """
    from blitz.lenet import LeNet

    if steps < 1 or warmup < 0 or threads < 1:
        raise ValueError(f"need steps >= 1, warmup >= 0, threads >= 1; got {steps}, {warmup}, {threads}")
    model, criterion = LeNet(in_channels=3), torch.nn.CrossEntropyLoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.001, momentum=0.9)
    before = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        it = iter(batches)
        for i in range(warmup + steps):
            if i == warmup:
                start = time.perf_counter()
            try:
                inputs, labels = next(it)
            except StopIteration:
                raise ValueError(f"batches ran out after {i} of {warmup + steps} steps") from None
            optimizer.zero_grad()
            criterion(model(inputs), labels).backward()
            optimizer.step()
        return (time.perf_counter() - start) / steps
    finally:
        torch.set_num_threads(before)


def run_recipe(name: str) -> dict[str, object]:
    """Load the data, train recipe ``name`` from its seed, evaluate on the whole test set."""
    from blitz.data import load_cifar10_arrays
    from blitz.train import normalize, predict, train

    if name not in RECIPES:
        raise ValueError(f"unknown recipe {name!r}; choose from {', '.join(RECIPES)}")
    entry = RECIPES[name]
    train_set, test_set = load_cifar10_arrays(train=True), load_cifar10_arrays(train=False)
    torch.manual_seed(entry.recipe.seed)
    model = entry.make_model()
    result = train(model, normalize(train_set.images), train_set.labels, entry.recipe)
    start = time.perf_counter()
    accuracy = (predict(model, normalize(test_set.images)) == test_set.labels).double().mean().item()
    return {"recipe": name, "train_s": result.seconds, "images_per_s": result.images_per_s,
            "test_accuracy": accuracy, "eval_s": time.perf_counter() - start,
            "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,  # Linux: KiB
            "source": train_set.source}


def format_row(r: dict[str, object]) -> str:
    """One line of the report table."""
    return (f"{r['recipe']:<9} {r['train_s']:>8.1f} {r['images_per_s']:>9,.0f} "
            f"{100 * r['test_accuracy']:>8.1f} {r['peak_mib']:>9,.0f}")


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark (``cpu``), or one recipe in this process (``one NAME``, prints JSON)."""
    parser = argparse.ArgumentParser(prog="python -m blitz.bench", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    cpu = sub.add_parser("cpu", help="train every recipe on the CPU and print a table")
    cpu.add_argument("--recipe", action="append", choices=list(RECIPES), help="only these (repeatable)")
    one = sub.add_parser("one", help="run one recipe here and print its result as JSON")
    one.add_argument("name", choices=list(RECIPES))
    args = parser.parse_args(argv)
    if args.command == "one":
        print(json.dumps(run_recipe(args.name)))
        return 0
    print(f"CPU benchmark: {os.cpu_count()} cores, torch {torch.__version__}, "
          f"Python {platform.python_version()}, {time.strftime('%Y-%m-%d %H:%M')}")
    print(f"{'recipe':<9} {'train s':>8} {'images/s':>9} {'test %':>8} {'peak MiB':>9}")
    source = ""
    for name in args.recipe or list(RECIPES):
        # idle OpenMP threads sleep instead of spinning: on a shared CPU, spinning threads
        # steal cores from working ones (several times slower two-thread training)
        env = {**os.environ, "OMP_WAIT_POLICY": os.environ.get("OMP_WAIT_POLICY", "PASSIVE")}
        out = subprocess.run([sys.executable, "-m", "blitz.bench", "one", name],
                             capture_output=True, text=True, check=True, env=env)
        row = json.loads(out.stdout.strip().splitlines()[-1])
        source = str(row["source"])
        print(format_row(row), flush=True)
    print(f"data: {source}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
