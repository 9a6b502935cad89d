"""Image batches held in memory: check them, normalise them once, hold some out, slice them in a random order.

The original tutorial's ``DataLoader`` builds every batch image by image (PIL,
``ToTensor``, ``Normalize``, then stacking). When the whole data set already
sits in one tensor, the same batches are one indexing each, on the CPU or on
a GPU alike.
Introduced in chapter 4, Training a classifier on the CPU; chapter 7, Going fast on a GPU uses the same
functions on the GPU.
"""
from __future__ import annotations

from typing import Iterator

import torch


def check_images(images: object, dtype: torch.dtype | None = None) -> torch.Tensor:
    """Return ``images`` if it is a (N, C, H, W) tensor (of ``dtype``, if given); else raise a clear error."""
    if not isinstance(images, torch.Tensor):
        raise TypeError(f"images must be a torch.Tensor of shape (N, C, H, W), got {type(images).__name__}")
    if images.dim() != 4:
        raise ValueError(f"images must have shape (N, C, H, W), got {tuple(images.shape)}")
    if dtype is not None and images.dtype != dtype:
        raise TypeError(f"images must be {dtype}, got {images.dtype}")
    return images


def normalize(images: torch.Tensor, mean: float | torch.Tensor = 0.5,
              std: float | torch.Tensor = 0.5) -> torch.Tensor:
    """uint8 images (N, C, H, W) in 0..255 -> float32 ``(x / 255 - mean) / std``.

    The same as the original's ``ToTensor()`` then ``Normalize((0.5,) * 3, (0.5,) * 3)``,
    done on a whole tensor (a batch, or a whole split) in one operation instead
    of image by image: with 0.5 and 0.5 every value lands in [-1, 1]. ``mean``
    and ``std`` may also be per-channel tensors of shape (1, C, 1, 1) on the
    0..1 scale. Computed in place on the one float32 copy: for CIFAR-10's
    50,000 training images that copy is 614 MB, and ``(x / 255 - mean) / std``
    would hold two at once.
    Introduced in chapter 4, Training a classifier on the CPU.
    """
    check_images(images, torch.uint8)
    out = images.float()  # one float32 copy, then in place: no second copy at the peak
    return out.div_(255).sub_(mean).div_(std)


def shuffled_batches(images: torch.Tensor, labels: torch.Tensor, batch_size: int,
                     generator: torch.Generator | None = None,
                     drop_last: bool = False) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
    """One epoch of (images, labels) batches in a random order, sliced from memory.

    What ``DataLoader(..., shuffle=True)`` does, without per-image work: one
    random permutation, then one indexing per batch. The last batch is smaller
    when ``batch_size`` does not divide the data; ``drop_last=True`` skips it
    instead (as ``DataLoader(drop_last=True)`` does), so that every step sees
    the same batch size, which a fast GPU recipe tuned for one batch size wants.
    The permutation is drawn on the generator's device.
    Introduced in chapter 4, Training a classifier on the CPU.
    """
    if len(images) != len(labels):
        raise ValueError(f"{len(images)} images but {len(labels)} labels")
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")
    where = generator.device if generator is not None else images.device
    order = torch.randperm(len(images), generator=generator, device=where).to(images.device)
    end = len(images) - len(images) % batch_size if drop_last else len(images)
    for start in range(0, end, batch_size):
        idx = order[start:start + batch_size]
        yield images[idx], labels[idx]


def validation_split(images: torch.Tensor, labels: torch.Tensor, size: int,
                     seed: int = 0) -> tuple[tuple[torch.Tensor, torch.Tensor], tuple[torch.Tensor, torch.Tensor]]:
    """Hold out ``size`` random training examples: ``((fit_images, fit_labels), (val_images, val_labels))``.

    Choosing a hyperparameter (a batch size, a learning rate) by its test
    accuracy would tune the recipe to the test images, and the test accuracy
    would no longer say how the network does on images it has never seen. So
    choices are made on a *validation set* taken from the training images, and
    the test set is used once, at the end. The split draws from its own
    generator seeded with ``seed``: the same split at every run, and the
    global random state untouched. Introduced in chapter 6, Where the time goes on a CPU.
    """
    if len(images) != len(labels):
        raise ValueError(f"{len(images)} images but {len(labels)} labels")
    if not 0 < size < len(images):
        raise ValueError(f"size must be between 1 and {len(images) - 1} (the number of examples - 1), got {size}")
    order = torch.randperm(len(images), generator=torch.Generator().manual_seed(seed)).to(images.device)
    fit, val = order[size:], order[:size]
    return (images[fit], labels[fit]), (images[val], labels[val])
