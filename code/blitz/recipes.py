"""The training recipes of the CIFAR-10 chapter, each a model plus a :class:`~blitz.train.Recipe`.

``python -m blitz.bench cpu`` runs them all. Introduced in {ref}`ch-cifar10`.
"""
from __future__ import annotations

from typing import Callable, NamedTuple

from torch import nn

from blitz.cnn import SmallCNN
from blitz.lenet import LeNet
from blitz.train import Recipe


class Entry(NamedTuple):
    """A model factory and its recipe."""

    make_model: Callable[[], nn.Module]
    recipe: Recipe
    description: str


#: The original tutorial's recipe, unchanged: LeNet, batch 4, SGD lr 0.001 momentum 0.9, 2 epochs.
ORIGINAL = Recipe()
#: Same network and epochs, 16 times fewer (larger) steps, learning rate scaled with the batch (0.001 * 64 / 4).
FAST = Recipe(name="fast", batch_size=64, lr=0.016, epochs=2, log_every=200, threads=1)
#: A better small CNN: batch norm, augmentation, one-cycle learning rate, weight decay.
CNN = Recipe(name="cnn", batch_size=128, lr=0.2, momentum=0.9, nesterov=True, weight_decay=5e-4,
             epochs=4, schedule="onecycle", augment=True, log_every=100, threads=2)
#: The widths of the better CNN's three stages.
CNN_WIDTHS = (32, 96, 192)

RECIPES: dict[str, Entry] = {
    "original": Entry(lambda: LeNet(in_channels=3), ORIGINAL, "LeNet, the original recipe"),
    "fast": Entry(lambda: LeNet(in_channels=3), FAST, "LeNet, batch 64, lr 0.016"),
    "cnn": Entry(lambda: SmallCNN(CNN_WIDTHS), CNN, "SmallCNN, BN + augmentation + one-cycle"),
}
