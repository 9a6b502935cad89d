"""A better small CNN for CIFAR-10 on a CPU, built from conv-BatchNorm blocks.

Three stages of 3x3 convolution, 2x2 max pooling, batch normalisation (Ioffe
and Szegedy, 2015) and ReLU, as in the fast CIFAR-10 networks of David Page's
"How to train your ResNet" (2018) and Keller Jordan's airbench, but narrower
so that it trains in a few minutes on two CPU cores.
Introduced in chapter 6, Where the time goes on a CPU.
"""
from __future__ import annotations

from functools import partial
from typing import Callable

import torch
from torch import nn


def conv_bn(c_in: int, c_out: int, pool: bool = False,
            activation: Callable[[], nn.Module] = partial(nn.ReLU, inplace=True)) -> nn.Sequential:
    """3x3 convolution (same size), an optional 2x2 max pool, BatchNorm, then ``activation()``.

    The convolution has no bias: BatchNorm subtracts the mean right after, so a
    bias would be cancelled anyway. ``pool=True`` pools before BatchNorm, which
    gives BatchNorm and the activation 4x fewer values to process (both
    :class:`SmallCNN` and the GPU network of chapter 7, Going fast on a GPU do this).
    Introduced in chapter 6, Where the time goes on a CPU.
    """
    layers: list[nn.Module] = [nn.Conv2d(c_in, c_out, 3, padding=1, bias=False)]
    if pool:
        layers.append(nn.MaxPool2d(2))
    return nn.Sequential(*layers, nn.BatchNorm2d(c_out), activation())


class SmallCNN(nn.Module):
    """conv-pool-BN-ReLU, three times (32 -> 16 -> 8 -> 4), then max over space and a linear layer.

    Each stage pools right after its convolution, so that batch normalisation
    and ReLU process a quarter of the values they would after it: less work
    per step. Input ``(B, 3, 32, 32)``, output ``(B, num_classes)`` logits.
    Introduced in chapter 6, Where the time goes on a CPU.
    """

    def __init__(self, widths: tuple[int, int, int] = (32, 64, 128), num_classes: int = 10) -> None:
        super().__init__()
        if len(widths) != 3 or min(widths) < 1 or num_classes < 1:
            raise ValueError(f"need three widths >= 1 and num_classes >= 1, got {widths}, {num_classes}")
        a, b, c = widths
        self.features = nn.Sequential(
            conv_bn(3, a, pool=True),  # (B, 3, 32, 32) -> (B, a, 16, 16)
            conv_bn(a, b, pool=True),  # -> (B, b, 8, 8)
            conv_bn(b, c, pool=True),  # -> (B, c, 4, 4)
        )
        self.head = nn.Linear(c, num_classes)
        # "channels last" memory layout: the CPU's convolution kernels (oneDNN) run it faster than the default
        self.to(memory_format=torch.channels_last)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Class scores for a batch ``x`` of shape (B, 3, 32, 32)."""
        if not isinstance(x, torch.Tensor) or x.dim() != 4 or x.shape[1] != 3:
            shape = tuple(x.shape) if isinstance(x, torch.Tensor) else type(x).__name__
            raise ValueError(f"SmallCNN expects input of shape (B, 3, H, W), got {shape}")
        x = self.features(x.contiguous(memory_format=torch.channels_last))
        x = torch.amax(x, dim=(2, 3))  # (B, c, 4, 4) -> (B, c): the strongest response anywhere
        return self.head(x)

