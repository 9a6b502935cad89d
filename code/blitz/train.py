"""Training and evaluating an image classifier on tensors held in memory.

The original tutorial trains LeNet on CIFAR-10 through a ``DataLoader`` that
turns every image into a PIL image, then a tensor, at every epoch. Here the
images are loaded once into one uint8 tensor (``blitz.data.load_cifar10_arrays``),
and each step slices a shuffled batch out of memory and normalises it in one
tensor operation (:mod:`blitz.batches`): the same maths, much less work per
step. Hyperparameters live in a :class:`Recipe`.

Introduced in chapter 4, Training a classifier on the CPU.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, NamedTuple

import torch
from torch import nn

from blitz.augment import crop_flip
from blitz.batches import check_images, normalize, shuffled_batches
from blitz.schedule import lr_factor

#: ``progress(epoch, step, mean_loss)``: called every ``Recipe.log_every`` steps.
Progress = Callable[[int, int, float], None]


@dataclass(frozen=True)
class Recipe:
    """Everything that defines a training run, in one place.

    The defaults are the original tutorial's recipe: batch 4, SGD with
    learning rate 0.001 and momentum 0.9, 2 epochs, the running loss every
    2,000 batches. ``schedule`` is ``"constant"`` or ``"onecycle"`` (the
    learning rate rises linearly to ``lr`` over the first quarter of the steps,
    then falls linearly to zero: :func:`blitz.schedule.lr_factor`);
    ``augment`` turns on random crops and flips (:func:`blitz.augment.crop_flip`).
    Introduced in chapter 4, Training a classifier on the CPU.
    """

    batch_size: int = 4
    lr: float = 0.001
    momentum: float = 0.9
    nesterov: bool = False
    weight_decay: float = 0.0
    epochs: int = 2
    schedule: str = "constant"
    augment: bool = False
    log_every: int = 2000
    threads: int = 1  # torch CPU threads during training (measured in "Where the time goes")
    seed: int = 0

    def __post_init__(self) -> None:
        for field in ("batch_size", "epochs", "log_every", "threads"):
            if not isinstance(getattr(self, field), int) or getattr(self, field) < 1:
                raise ValueError(f"Recipe.{field} must be an int >= 1, got {getattr(self, field)!r}")
        if not self.lr > 0 or not 0 <= self.momentum < 1 or self.weight_decay < 0:
            raise ValueError(f"need lr > 0, 0 <= momentum < 1, weight_decay >= 0; got "
                             f"{self.lr}, {self.momentum}, {self.weight_decay}")
        if self.schedule not in ("constant", "onecycle"):
            raise ValueError(f"Recipe.schedule must be 'constant' or 'onecycle', got {self.schedule!r}")


class TrainResult(NamedTuple):
    """What :func:`train` returns."""

    losses: list[float]  # the loss of every step, in order
    seconds: float  # wall-clock time of the training loop
    images_per_s: float


def _check_pair(images: torch.Tensor, labels: object) -> None:
    check_images(images)
    if not (images.is_floating_point() or images.dtype == torch.uint8):
        raise TypeError(f"images must be floating point or uint8 pixels, got {images.dtype}")
    if not isinstance(labels, torch.Tensor) or labels.dim() != 1 or labels.dtype != torch.int64:
        raise TypeError("labels must be a 1-D int64 tensor")
    if len(labels) != len(images):
        raise ValueError(f"{len(images)} images but {len(labels)} labels")


def make_optimizer(model: nn.Module, recipe: Recipe, steps: int) -> tuple[torch.optim.Optimizer, object]:
    """SGD with momentum as the recipe says, and its learning-rate scheduler (or None).

    Created once, before the loop: SGD's momentum lives in the optimizer, so
    re-creating it every step (as the original does) silently drops it.
    Introduced in chapter 4, Training a classifier on the CPU.
    """
    optimizer = torch.optim.SGD(model.parameters(), lr=recipe.lr, momentum=recipe.momentum,
                                nesterov=recipe.nesterov, weight_decay=recipe.weight_decay)
    scheduler = None
    if recipe.schedule == "onecycle":  # up linearly for the first quarter of the steps, then down to 0
        warm = max(1, steps // 4)
        scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda s: lr_factor(s, steps, warm))
    return optimizer, scheduler


def train(model: nn.Module, images: torch.Tensor, labels: torch.Tensor, recipe: Recipe,
          progress: Progress | None = None) -> TrainResult:
    """Train ``model`` in place on ``images`` (N, C, H, W) and ``labels`` (N,).

    ``images`` are normalised floats, or uint8 pixels that each batch
    normalises as it is sliced (:func:`blitz.batches.normalize`): CIFAR-10's
    training set then stays 154 MB instead of 614 MB of float32. Every epoch
    visits the images in a new random order (like ``shuffle=True``),
    ``batch_size`` at a time. Returns every step's loss, so that the caller
    can plot the curve, and the time taken.
    Introduced in chapter 4, Training a classifier on the CPU.
    """
    _check_pair(images, labels)
    n, steps_per_epoch = len(images), -(-len(images) // recipe.batch_size)
    generator = torch.Generator().manual_seed(recipe.seed)
    criterion = nn.CrossEntropyLoss()
    optimizer, scheduler = make_optimizer(model, recipe, recipe.epochs * steps_per_epoch)
    losses: list[float] = []
    threads, start = torch.get_num_threads(), time.perf_counter()
    torch.set_num_threads(recipe.threads)
    model.train()
    try:
        for epoch in range(recipe.epochs):
            batches = shuffled_batches(images, labels, recipe.batch_size, generator)
            for step, (inputs, targets) in enumerate(batches):
                if inputs.dtype == torch.uint8:
                    inputs = normalize(inputs)  # (B, 3, 32, 32) uint8 -> float32 in [-1, 1]
                if recipe.augment:
                    inputs = crop_flip(inputs, generator)
                optimizer.zero_grad()
                loss = criterion(model(inputs), targets)
                loss.backward()
                optimizer.step()
                if scheduler is not None:
                    scheduler.step()
                losses.append(loss.item())
                if progress is not None and (step + 1) % recipe.log_every == 0:
                    progress(epoch + 1, step + 1, sum(losses[-recipe.log_every:]) / recipe.log_every)
    finally:
        torch.set_num_threads(threads)
    seconds = time.perf_counter() - start
    return TrainResult(losses, seconds, recipe.epochs * n / seconds)


@torch.no_grad()
def predict(model: nn.Module, images: torch.Tensor, batch_size: int = 500) -> torch.Tensor:
    """Predicted class (N,) int64 for every image of ``images`` (N, C, H, W), in eval mode.

    Goes through *all* the images (the whole test set), ``batch_size`` at a
    time to bound memory. Introduced in chapter 4, Training a classifier on the CPU.
    """
    check_images(images)
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")
    model.eval()
    if len(images) == 0:
        return torch.empty(0, dtype=torch.int64)
    return torch.cat([model(images[i:i + batch_size]).argmax(1) for i in range(0, len(images), batch_size)])


def save_weights(model: nn.Module, path: str | Path) -> Path:
    """Save the model's ``state_dict`` (its tensors by name, no code) to ``path``.

    Introduced in chapter 4, Training a classifier on the CPU.
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be an nn.Module, got {type(model).__name__}")
    path = Path(path)
    torch.save(model.state_dict(), path)
    return path


def load_weights(model: nn.Module, path: str | Path) -> nn.Module:
    """Load weights saved by :func:`save_weights` into ``model`` and return it.

    ``weights_only=True`` makes ``torch.load`` refuse anything but tensors and
    plain containers: a full pickle can run arbitrary code while loading.
    Introduced in chapter 4, Training a classifier on the CPU.
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be an nn.Module, got {type(model).__name__}")
    if not Path(path).is_file():
        raise FileNotFoundError(f"no saved weights at {path}")
    state = torch.load(path, map_location="cpu", weights_only=True)
    model.load_state_dict(state)  # strict: names and shapes must match the model
    return model
