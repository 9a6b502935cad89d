"""Accuracy, the confusion matrix and per-class accuracy.

The original counts correct answers per class with a loop that hard-codes the
batch size (``for i in range(4)``). A confusion matrix holds every count at
once, for any batch size, and the per-class accuracies are read off it.
Introduced in chapter 4, Training a classifier on the CPU.
"""
from __future__ import annotations

import torch


def _check_labels(labels: object, predictions: object, num_classes: int) -> None:
    if not isinstance(num_classes, int) or num_classes < 1:
        raise ValueError(f"num_classes must be an int >= 1, got {num_classes!r}")
    for name, t in (("labels", labels), ("predictions", predictions)):
        if not isinstance(t, torch.Tensor) or t.dim() != 1 or t.dtype != torch.int64:
            raise TypeError(f"{name} must be a 1-D int64 tensor, got {getattr(t, 'shape', type(t).__name__)}")
        if len(t) and (t.min() < 0 or t.max() >= num_classes):
            raise ValueError(f"{name} must lie in 0..{num_classes - 1}")
    if len(labels) != len(predictions):
        raise ValueError(f"{len(labels)} labels but {len(predictions)} predictions")


def confusion_matrix(labels: torch.Tensor, predictions: torch.Tensor, num_classes: int = 10) -> torch.Tensor:
    """(num_classes, num_classes) int64 counts: row = true class, column = predicted class.

    The diagonal holds the correct answers. One ``bincount`` over
    ``true * num_classes + predicted`` counts every pair at once.
    Introduced in chapter 4, Training a classifier on the CPU.
    """
    _check_labels(labels, predictions, num_classes)
    pairs = labels * num_classes + predictions  # (N,): one number per (true, predicted) pair
    counts = torch.bincount(pairs, minlength=num_classes * num_classes)
    return counts.reshape(num_classes, num_classes)  # (K*K,) -> (K, K)


def accuracy(matrix: torch.Tensor) -> float:
    """Fraction of all examples on the diagonal of a confusion matrix.
    Introduced in chapter 4, Training a classifier on the CPU.
    """
    _check_matrix(matrix)
    total = int(matrix.sum())
    if total == 0:
        raise ValueError("the confusion matrix is empty: accuracy of no examples is undefined")
    return int(matrix.diagonal().sum()) / total


def per_class_accuracy(matrix: torch.Tensor) -> torch.Tensor:
    """For each true class, the fraction of its examples predicted correctly (NaN if it has none).

    Row ``i`` of the matrix holds all examples of class ``i``, so its diagonal
    entry over its sum is that class's accuracy (also called its *recall*).
    Introduced in chapter 4, Training a classifier on the CPU.
    """
    _check_matrix(matrix)
    totals = matrix.sum(1).double()
    return matrix.diagonal().double() / totals  # 0 / 0 gives NaN: a class with no examples


def _check_matrix(matrix: object) -> None:
    if not isinstance(matrix, torch.Tensor) or matrix.dim() != 2 or matrix.shape[0] != matrix.shape[1]:
        raise ValueError(f"expected a square (K, K) tensor of counts, got {getattr(matrix, 'shape', matrix)!r}")
