"""Training CIFAR-10 fast on one GPU, one switch per idea: the recipe of chapter 7, Going fast on a GPU.

``FastConfig`` holds every choice the chapter turns on one at a time: batch
size and learning rate, where the data lives (a DataLoader or the GPU),
augmentation, ``channels_last``, mixed precision, the network, weight decay
and Nesterov momentum, the learning-rate schedule and its peak, label
smoothing, ``torch.compile`` and test-time augmentation. ``RECIPE`` is the final recipe with all of them on.

Ideas from David Page, "How to Train Your ResNet" (2018), and Keller Jordan,
"94% on CIFAR-10 in 3.29 seconds on a single GPU" (arXiv:2404.00498); the code
is our own. Timing follows the GPU's clock: CUDA events around each epoch,
compilation and warm-up excluded (``warm_up`` reports them separately).

Introduced in chapter 7, Going fast on a GPU.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Iterator, Literal, NamedTuple

import torch
from torch import nn
from torch.nn import functional as F
from torch.utils.data import DataLoader, TensorDataset

from blitz import augment
from blitz.batches import normalize, shuffled_batches
from blitz.data import load_cifar10_arrays
from blitz.fast_nets import FastNet
from blitz.lenet import LeNet
from blitz.schedule import lr_factor
from blitz.timing import Stopwatch

PRECISIONS = {"fp32": torch.float32, "bf16": torch.bfloat16, "fp16": torch.float16}


@dataclass(frozen=True)
class FastConfig:
    """Every knob of the fast recipe; the defaults are chapter 5's recipe."""

    model: Literal["lenet", "fastnet"] = "lenet"
    epochs: int = 2
    batch_size: int = 4
    lr: float = 0.001  # peak learning rate (with the schedule), else constant
    momentum: float = 0.9
    nesterov: bool = False
    weight_decay: float = 0.0
    data: Literal["loader", "gpu"] = "loader"  # a DataLoader of CPU tensors, or the whole set on the device
    flip: bool = False  # random left-right flip (data="gpu" only)
    translate: int = 0  # random shift of up to this many pixels, reflect padding (data="gpu" only)
    channels_last: bool = False
    precision: Literal["fp32", "bf16", "fp16"] = "fp32"  # autocast dtype
    schedule: bool = False  # linear warm-up to lr, then linear decay to 0
    warmup_epochs: float = 2.0
    label_smoothing: float = 0.0
    compile: bool = False  # torch.compile, default mode
    tta: bool = False  # average the logits of each test image and its mirror image
    widths: tuple[int, int, int] = (64, 256, 256)  # FastNet only
    eval_batch_size: int = 1000
    max_steps: int | None = None  # stop early (to time slow recipes); None: all epochs

    def __post_init__(self) -> None:
        if self.model not in ("lenet", "fastnet") or self.data not in ("loader", "gpu"):
            raise ValueError(f"model must be 'lenet' or 'fastnet' and data 'loader' or 'gpu', got {self.model!r}, {self.data!r}")
        if self.precision not in PRECISIONS:
            raise ValueError(f"precision must be one of {tuple(PRECISIONS)}, got {self.precision!r}")
        if min(self.epochs, self.batch_size, self.eval_batch_size) < 1 or self.lr <= 0:
            raise ValueError("epochs, batch_size and eval_batch_size must be >= 1 and lr > 0")
        if not 0.0 <= self.label_smoothing < 1.0 or self.translate < 0 or self.warmup_epochs < 0:
            raise ValueError("label_smoothing must be in [0, 1), translate and warmup_epochs >= 0")
        if self.data == "loader" and (self.flip or self.translate):
            raise ValueError("flip and translate are done on the device: they need data='gpu'")


#: The final recipe of the chapter: every idea switched on.
RECIPE = FastConfig(model="fastnet", epochs=10, batch_size=512, lr=0.4, nesterov=True, weight_decay=5e-4,
                    data="gpu", flip=True, translate=2, channels_last=True, precision="bf16", schedule=True,
                    label_smoothing=0.2, compile=True, tta=True)


def half_precision(device: torch.device) -> Literal["fp32", "bf16", "fp16"]:
    """The 16-bit autocast format this device trains fastest in.

    ``bf16`` on GPUs of compute capability 8.0 or newer (A100, H100, RTX 30xx
    on), which have bfloat16 Tensor Cores; ``fp16`` below 8.0 (the T4 of
    Colab's free tier, a V100), which have float16 Tensor Cores only: PyTorch
    runs bfloat16 there too, but emulated and slowly (:func:`train` then
    scales the loss with a ``GradScaler``); ``fp32`` on a CPU, where 16-bit
    autocast is seldom faster.
    Introduced in chapter 7, Going fast on a GPU.
    """
    if device.type != "cuda":
        return "fp32"
    return "bf16" if torch.cuda.get_device_capability(device) >= (8, 0) else "fp16"


#: The chapter's goal for RECIPE on an H100 or H200: mean test accuracy (%) and mean training seconds.
TARGET_ACCURACY, TARGET_SECONDS = 90.5, 3.0


class FastData(NamedTuple):
    """CIFAR-10 on the device: uint8 images (N, 3, 32, 32), int64 labels, per-channel mean and std."""

    train_x: torch.Tensor
    train_y: torch.Tensor
    test_x: torch.Tensor
    test_y: torch.Tensor
    mean: torch.Tensor  # (1, 3, 1, 1) on the 0..1 scale (blitz.batches.normalize)
    std: torch.Tensor
    source: str


@dataclass
class FastResult:
    """What one training run measured. Seconds are training only: no compilation, no evaluation."""

    accuracy: float  # on the test set, in %
    train_seconds: float
    images_per_second: float
    steps: int
    final_loss: float  # mean training loss of the last epoch
    history: list[tuple[float, float]] = field(default_factory=list)  # (training seconds so far, test accuracy %)


def _subset(n: int, size: int | None) -> torch.Tensor:
    """Indices of a fixed random subset (the copies are sorted by class, so the first N would be one class)."""
    return torch.randperm(n, generator=torch.Generator().manual_seed(0))[:size] if size else torch.arange(n)


def load_data(device: torch.device, train_size: int | None = None, test_size: int | None = None) -> FastData:
    """Load CIFAR-10 once and copy it to ``device`` as uint8 (4x smaller than float32); sizes pick random subsets."""
    train, test = load_cifar10_arrays(train=True), load_cifar10_arrays(train=False)
    i, j = _subset(len(train.labels), train_size), _subset(len(test.labels), test_size)
    tx, ty = train.images[i].to(device), train.labels[i].to(device)
    mean = tx.float().mean(dim=(0, 2, 3), keepdim=True) / 255  # (N, 3, 32, 32) -> (1, 3, 1, 1)
    std = tx.float().std(dim=(0, 2, 3), keepdim=True) / 255
    return FastData(tx, ty, test.images[j].to(device), test.labels[j].to(device), mean, std, train.source)


def prepare(x: torch.Tensor, data: FastData, channels_last: bool) -> torch.Tensor:
    """uint8 images -> float32 with zero mean and unit std per channel, in the memory layout asked for."""
    x = normalize(x, data.mean, data.std)
    return x.contiguous(memory_format=torch.channels_last) if channels_last else x


def build(cfg: FastConfig, device: torch.device) -> nn.Module:
    """The network of ``cfg`` on ``device``, in channels_last and compiled if asked.

    ``dynamic=False``: kernels for the exact shapes seen (one training and one
    test batch size), never kernels generalised to any batch size, which
    torch.compile would otherwise make once it has seen two batch sizes.
    """
    net = FastNet(cfg.widths) if cfg.model == "fastnet" else LeNet(in_channels=3)
    net = net.to(device, memory_format=torch.channels_last if cfg.channels_last else torch.contiguous_format)
    return torch.compile(net, dynamic=False) if cfg.compile else net


def _loader(data: FastData, cfg: FastConfig, seed: int) -> DataLoader:
    """Chapter 5's way without its per-image PIL work: images normalised once into one float32
    tensor in CPU memory, picked and stacked by a DataLoader (no workers), each batch then copied."""
    cpu = TensorDataset(prepare(data.train_x, data, False).cpu(), data.train_y.cpu())
    return DataLoader(cpu, batch_size=cfg.batch_size, shuffle=True, drop_last=True,
                      generator=torch.Generator().manual_seed(seed))


def batches(data: FastData, cfg: FastConfig, gen: torch.Generator,
            loader: DataLoader | None = None) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
    """One epoch of shuffled (images, labels) batches on the device, augmented if asked.

    The last partial batch is dropped (``drop_last``), so every step has the
    recipe's batch size, which its learning rate was tuned for.
    """
    device = data.train_x.device
    if loader is not None:  # the CPU picks and stacks every batch, then it is copied to the device
        fmt = torch.channels_last if cfg.channels_last else torch.contiguous_format
        yield from ((x.to(device, memory_format=fmt), y.to(device)) for x, y in loader)
        return
    x = data.train_x  # the whole training set, still uint8, augmented in a few big operations
    if cfg.flip:
        x = augment.random_flip(x, gen)
    if cfg.translate:
        x = augment.random_translate(x, cfg.translate, gen)
    for xb, yb in shuffled_batches(x, data.train_y, cfg.batch_size, gen, drop_last=True):
        yield prepare(xb, data, cfg.channels_last), yb


def logits(model: nn.Module, x: torch.Tensor, tta: bool) -> torch.Tensor:
    """The model's logits for ``x``; with ``tta``, the mean of those for x and x mirrored left-right."""
    out = model(x)
    return (out + model(x.flip(3))) / 2 if tta else out


def evaluate(model: nn.Module, data: FastData, cfg: FastConfig) -> float:
    """Test accuracy in % (eval mode, no gradients, same precision as training)."""
    model.eval()
    correct = torch.zeros((), dtype=torch.int64, device=data.test_y.device)
    with torch.no_grad(), _autocast(data.test_x.device, cfg):
        for i in range(0, len(data.test_y), cfg.eval_batch_size):
            x = prepare(data.test_x[i:i + cfg.eval_batch_size], data, cfg.channels_last)
            correct += (logits(model, x, cfg.tta).argmax(1) == data.test_y[i:i + cfg.eval_batch_size]).sum()
    model.train()
    return 100.0 * correct.item() / len(data.test_y)


def _autocast(device: torch.device, cfg: FastConfig) -> torch.autocast:
    return torch.autocast(device.type, dtype=PRECISIONS[cfg.precision], enabled=cfg.precision != "fp32")


def reset(model: nn.Module, seed: int) -> None:
    """Fresh random weights (and BatchNorm statistics) in place, so a compiled model is reused as it is."""
    torch.manual_seed(seed)
    for m in model.modules():
        if m is not model and hasattr(m, "reset_parameters"):
            m.reset_parameters()


def train(model: nn.Module, data: FastData, cfg: FastConfig, seed: int = 0, eval_each_epoch: bool = False) -> FastResult:
    """Train ``model`` from fresh weights with ``cfg``; time the training only, then test it."""
    device = data.train_x.device
    reset(model, seed)
    gen = torch.Generator(device=device).manual_seed(seed)
    opt = torch.optim.SGD(model.parameters(), lr=cfg.lr, momentum=cfg.momentum, nesterov=cfg.nesterov,
                          weight_decay=cfg.weight_decay)
    per_epoch = len(data.train_y) // cfg.batch_size
    if per_epoch < 1:
        raise ValueError(f"batch_size {cfg.batch_size} is larger than the {len(data.train_y)} training images")
    total = cfg.epochs * per_epoch
    warmup = round(cfg.warmup_epochs * per_epoch) if cfg.schedule else 0
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: lr_factor(s, total, warmup) if cfg.schedule else 1.0)
    scaler = torch.amp.GradScaler(device.type, enabled=cfg.precision == "fp16")  # fp16 needs loss scaling
    loader = _loader(data, cfg, seed) if cfg.data == "loader" else None  # prepared before the clock starts
    clock, seconds, steps, history = Stopwatch(device), 0.0, 0, []
    model.train()
    for _ in range(cfg.epochs):
        loss_sum = torch.zeros((), device=device)  # summed on the device: no .item() sync per step
        clock.start()
        for epoch_steps, (x, y) in enumerate(batches(data, cfg, gen, loader), 1):
            with _autocast(device, cfg):
                loss = F.cross_entropy(model(x), y, label_smoothing=cfg.label_smoothing)
            opt.zero_grad(set_to_none=True)
            scaler.scale(loss).backward()
            scaler.step(opt)
            scaler.update()
            sched.step()
            loss_sum += loss.detach().float()
            steps += 1
            if steps == cfg.max_steps:
                break
        seconds += clock.stop()
        if eval_each_epoch:
            history.append((seconds, evaluate(model, data, cfg)))
        if steps == cfg.max_steps:
            break
    acc = history[-1][1] if history else evaluate(model, data, cfg)
    return FastResult(acc, seconds, steps * cfg.batch_size / seconds, steps, loss_sum.item() / epoch_steps, history)


def warm_up(model: nn.Module, data: FastData, cfg: FastConfig, steps: int = 3) -> float:
    """Run a few training steps and one evaluation so that compilation, cuDNN's algorithm search and
    memory allocation happen here and not in the timed run; return how long that took in seconds."""
    clock = Stopwatch(data.train_x.device)
    clock.start()
    train(model, data, replace(cfg, epochs=1, max_steps=steps, schedule=False))
    return clock.stop()


def time_to(history: list[tuple[float, float]], target: float) -> float | None:
    """Training seconds until the test accuracy first reached ``target`` %, or None if it never did."""
    return next((s for s, acc in history if acc >= target), None)
