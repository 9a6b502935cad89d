"""Figures for the CIFAR-10 chapter: an image grid, a loss curve, a confusion matrix.

Each function returns a matplotlib Figure (white background, readable in the
book's dark mode too); the chapter displays it.
Introduced in chapter 4, Training a classifier on the CPU.
"""
from __future__ import annotations

from typing import Sequence

import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.figure import Figure


def image_grid(images: torch.Tensor, titles: Sequence[str] | None = None, columns: int = 8) -> Figure:
    """Show uint8 images (N, 3, H, W) in a grid, each with an optional title (its label).

    Takes the *un-normalised* uint8 pixels: no ``img / 2 + 0.5`` needed.
    Introduced in chapter 4, Training a classifier on the CPU.
    """
    if not isinstance(images, torch.Tensor) or images.dim() != 4 or images.shape[1] != 3:
        raise ValueError(f"images must be a (N, 3, H, W) tensor, got {getattr(images, 'shape', images)!r}")
    if images.dtype != torch.uint8:
        raise TypeError(f"images must be uint8 (0..255), got {images.dtype}")
    n = len(images)
    if n == 0 or columns < 1:
        raise ValueError(f"need at least one image and columns >= 1, got {n} and {columns}")
    if titles is not None and len(titles) != n:
        raise ValueError(f"{n} images but {len(titles)} titles")
    rows = -(-n // columns)
    cols = min(columns, n)
    fig, axes = plt.subplots(rows, cols, figsize=(1.3 * cols, 1.5 * rows), squeeze=False, facecolor="white")
    for i, ax in enumerate(axes.flat):
        ax.axis("off")
        if i < n:
            ax.imshow(images[i].permute(1, 2, 0).numpy())  # (3, H, W) -> (H, W, 3), as matplotlib wants
            if titles is not None:
                ax.set_title(titles[i], fontsize=9)
    fig.tight_layout()
    return fig


def loss_curve(curves: dict[str, Sequence[float]], steps_per_epoch: dict[str, int] | None = None,
               window: int = 500) -> Figure:
    """Training loss against epochs, smoothed with a moving average of ``window`` steps.

    ``curves`` maps a name to its per-step losses; ``steps_per_epoch`` (same
    keys) puts runs with different batch sizes on one epoch axis.
    Introduced in chapter 4, Training a classifier on the CPU.
    """
    if not curves:
        raise ValueError("curves is empty: nothing to plot")
    if window < 1:
        raise ValueError(f"window must be >= 1, got {window}")
    fig, ax = plt.subplots(figsize=(6.5, 3.5), facecolor="white")
    for name, losses in curves.items():
        y = np.asarray(losses, dtype=float)
        w = max(1, min(window, len(y)))
        smooth = np.convolve(y, np.ones(w) / w, mode="valid")  # mean of each run of w steps
        x = np.arange(w, len(y) + 1, dtype=float)
        if steps_per_epoch is not None:
            x /= steps_per_epoch[name]
        ax.plot(x, smooth, label=name)
    ax.set_xlabel("epoch" if steps_per_epoch is not None else "step")
    ax.set_ylabel(f"training loss (mean of {window} steps)")
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    return fig


def confusion_figure(matrix: torch.Tensor, classes: Sequence[str]) -> Figure:
    """Heat map of a confusion matrix (rows: true class, columns: predicted), counts written in.

    Introduced in chapter 4, Training a classifier on the CPU.
    """
    k = len(classes)
    if not isinstance(matrix, torch.Tensor) or tuple(matrix.shape) != (k, k):
        raise ValueError(f"matrix must be a ({k}, {k}) tensor for {k} classes, got {getattr(matrix, 'shape', matrix)!r}")
    counts = matrix.numpy()
    fig, ax = plt.subplots(figsize=(6.5, 5.5), facecolor="white")
    ax.imshow(counts, cmap="Blues")
    for (i, j), c in np.ndenumerate(counts):
        ax.text(j, i, str(c), ha="center", va="center", fontsize=7,
                color="white" if c > counts.max() / 2 else "black")
    ax.set_xticks(range(k), classes, rotation=45, ha="right")
    ax.set_yticks(range(k), classes)
    ax.set_xlabel("predicted class")
    ax.set_ylabel("true class")
    fig.tight_layout()
    return fig
