"""Benchmarks of the book's recipes (README, "Benchmarks"); run from the repository root.

``python -m tools.bench cpu`` (``make bench``) trains every CIFAR-10 recipe of
chapters 4 and 6, each in a fresh Python process so that its peak memory is its own,
and prints training seconds, images per second, test accuracy and peak
resident memory.

``python -m tools.bench gpu`` times chapter 7's final recipe (:data:`blitz.fast.RECIPE`)
on a CUDA GPU: compilation and warm-up once, then several seeded runs, their
mean and spread, against the chapter's target.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import re
import resource
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Callable

import torch
from torch import nn

from blitz import fast
from blitz.cnn import SmallCNN
from blitz.lenet import LeNet
from blitz.recipes import CNN, CNN_WIDTHS, FAST, ORIGINAL
from blitz.train import Recipe

ROOT = Path(__file__).resolve().parents[1]  # the repository root: `python -m tools.bench` runs from there

#: Every CPU recipe of chapters 4 and 6: its network and its training recipe.
RECIPES: dict[str, tuple[Callable[[], nn.Module], Recipe]] = {
    "original": (lambda: LeNet(in_channels=3), ORIGINAL),
    "fast": (lambda: LeNet(in_channels=3), FAST),
    "cnn": (lambda: SmallCNN(CNN_WIDTHS), CNN),
}
#: Widths of the network for ``gpu --tiny``: checks the code path in seconds on a CPU.
TINY_WIDTHS = (8, 16, 16)


def peak_resident_mib(status: Path = Path("/proc/self/status")) -> float:
    """This process's peak resident memory in MiB: ``VmHWM`` of its own address space.

    ``getrusage``'s ``ru_maxrss`` would not do: Linux keeps it across ``execve``, so a
    child that ``subprocess`` starts (vfork, then exec) reports at least its parent's
    peak. Where ``/proc`` is missing (macOS), ``ru_maxrss`` is the fallback (bytes
    there), with that caveat.
    """
    if status.exists():
        match = re.search(r"VmHWM:\s+(\d+) kB", status.read_text())
        if match:
            return int(match.group(1)) / 1024
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 1024 / (1024 if sys.platform == "darwin" else 1)


def run_recipe(name: str) -> dict[str, object]:
    """Load the data, train recipe ``name`` from its seed, evaluate on the whole test set."""
    from blitz.batches import normalize
    from blitz.data import load_cifar10_arrays
    from blitz.train import predict, train

    if name not in RECIPES:
        raise ValueError(f"unknown recipe {name!r}; choose from {', '.join(RECIPES)}")
    make_model, recipe = RECIPES[name]
    train_set, test_set = load_cifar10_arrays(train=True), load_cifar10_arrays(train=False)
    torch.manual_seed(recipe.seed)
    model = make_model()
    result = train(model, normalize(train_set.images), train_set.labels, recipe)
    start = time.perf_counter()
    accuracy = (predict(model, normalize(test_set.images)) == test_set.labels).double().mean().item()
    return {"recipe": name, "train_s": result.seconds, "images_per_s": result.images_per_s,
            "test_accuracy": accuracy, "eval_s": time.perf_counter() - start,
            "peak_mib": peak_resident_mib(),
            "source": train_set.source}


def format_row(r: dict[str, object]) -> str:
    """One line of the report table."""
    return (f"{r['recipe']:<9} {r['train_s']:>8.1f} {r['images_per_s']:>9,.0f} "
            f"{100 * r['test_accuracy']:>8.1f} {r['peak_mib']:>9,.0f}")


class NeedsCuda(RuntimeError):
    """``bench gpu`` was asked for real numbers on a machine without CUDA."""


def run_fast(runs: int = 5, epochs: int | None = None, tiny: bool = False) -> dict[str, object]:
    """Warm up (compile) the final recipe once, then train it ``runs`` times with seeds 1..runs.

    Needs CUDA unless ``tiny``: then it trains a few hundred images for one
    epoch, uncompiled, on whatever device there is. That checks the code path;
    its numbers mean nothing.
    """
    if runs < 1 or (epochs is not None and epochs < 1):
        raise ValueError(f"need runs >= 1 and epochs >= 1, got runs={runs}, epochs={epochs}")
    cuda = torch.cuda.is_available()
    if not cuda and not tiny:
        raise NeedsCuda("`python -m tools.bench gpu` needs a CUDA GPU (torch.cuda.is_available() is False); "
                           "--tiny runs a few hundred images on the CPU to check the code only")
    device = torch.device("cuda" if cuda else "cpu")
    cfg = fast.RECIPE if epochs is None else replace(fast.RECIPE, epochs=epochs)
    if tiny:
        cfg = replace(cfg, epochs=1, batch_size=64, eval_batch_size=128, compile=False, widths=TINY_WIDTHS,
                      precision=cfg.precision if cuda else "fp32")
    if cuda:
        torch.backends.cudnn.benchmark = True
        torch.cuda.reset_peak_memory_stats()
    data = fast.load_data(device, train_size=512 if tiny else None, test_size=256 if tiny else None)
    model = fast.build(cfg, device)
    warm = fast.warm_up(model, data, cfg)
    results = [fast.train(model, data, cfg, seed=seed) for seed in range(1, runs + 1)]
    return {"device": torch.cuda.get_device_name() if cuda else "cpu", "tiny": tiny, "epochs": cfg.epochs,
            "warm_up_s": warm, "source": data.source,
            "train_s": [r.train_seconds for r in results], "accuracy": [r.accuracy for r in results],
            "images_per_s": [r.images_per_second for r in results],
            "peak_gpu_mib": torch.cuda.max_memory_allocated() / 2**20 if cuda else None}


def fast_report(r: dict[str, object]) -> list[str]:
    """The lines ``bench gpu`` prints: one per run, then mean ± standard deviation against the target."""
    secs, accs = torch.tensor(r["train_s"]), torch.tensor(r["accuracy"])
    spread = (lambda t: f" ± {t.std():.2f}") if len(secs) > 1 else (lambda t: "")
    lines = [f"run {i}: {s:7.3f} s  {ips:>11,.0f} images/s  {a:6.2f} %"
             for i, (s, ips, a) in enumerate(zip(r["train_s"], r["images_per_s"], r["accuracy"]), 1)]
    lines.append(f"training: {secs.mean():.3f}{spread(secs)} s; test accuracy: {accs.mean():.2f}{spread(accs)} %"
                 f" (mean{' ± std' if len(secs) > 1 else ''} of {len(secs)} runs of {r['epochs']} epochs)")
    lines.append(f"warm-up and compilation (not in the training time): {r['warm_up_s']:.1f} s")
    if r["peak_gpu_mib"] is not None:
        lines.append(f"peak GPU memory: {r['peak_gpu_mib']:,.0f} MiB")
    met = accs.mean().item() >= fast.TARGET_ACCURACY and secs.mean().item() <= fast.TARGET_SECONDS
    lines.append(f"target >= {fast.TARGET_ACCURACY} % in <= {fast.TARGET_SECONDS} s: " + ("met" if met else "NOT met")
                 + (" (tiny run: the numbers mean nothing)" if r["tiny"] else ""))
    lines.append(f"data: {r['source']}")
    return lines


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark (``cpu``), or one recipe in this process (``one NAME``, prints JSON)."""
    parser = argparse.ArgumentParser(prog="python -m tools.bench", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    cpu = sub.add_parser("cpu", help="train every recipe on the CPU and print a table")
    cpu.add_argument("--recipe", action="append", choices=list(RECIPES), help="only these (repeatable)")
    one = sub.add_parser("one", help="run one recipe here and print its result as JSON")
    one.add_argument("name", choices=list(RECIPES))
    gpu = sub.add_parser("gpu", help="time chapter 7's final recipe on a CUDA GPU, several runs")
    gpu.add_argument("--runs", type=int, default=5, help="timed runs, seeds 1..RUNS (default 5)")
    gpu.add_argument("--epochs", type=int, help="override the recipe's epochs")
    gpu.add_argument("--tiny", action="store_true", help="a few hundred images, any device: checks the code only")
    args = parser.parse_args(argv)
    if args.command == "one":
        print(json.dumps(run_recipe(args.name)))
        return 0
    if args.command == "gpu":
        try:
            r = run_fast(args.runs, args.epochs, args.tiny)
        except (NeedsCuda, ValueError) as err:
            print(f"error: {err}", file=sys.stderr)
            return 2
        cuda = f", CUDA {torch.version.cuda}" if r["peak_gpu_mib"] is not None else ""
        print(f"GPU benchmark: {r['device']}, torch {torch.__version__}{cuda}, {time.strftime('%Y-%m-%d %H:%M')}")
        print("\n".join(fast_report(r)))
        return 0
    print(f"CPU benchmark: {os.cpu_count()} cores, torch {torch.__version__}, "
          f"Python {platform.python_version()}, {time.strftime('%Y-%m-%d %H:%M')}")
    print(f"{'recipe':<9} {'train s':>8} {'images/s':>9} {'test %':>8} {'peak MiB':>9}")
    source = ""
    for name in args.recipe or list(RECIPES):
        # idle OpenMP threads sleep instead of spinning: on a shared CPU, spinning threads
        # steal cores from working ones (several times slower two-thread training)
        env = {**os.environ, "OMP_WAIT_POLICY": os.environ.get("OMP_WAIT_POLICY", "PASSIVE")}
        out = subprocess.run([sys.executable, "-m", "tools.bench", "one", name],
                             capture_output=True, text=True, check=True, env=env, cwd=ROOT)
        row = json.loads(out.stdout.strip().splitlines()[-1])
        source = str(row["source"])
        print(format_row(row), flush=True)
    print(f"data: {source}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
