"""A small all-convolutional network with BatchNorm, built to train fast.

The shape follows the fast CIFAR-10 networks of David Page ("How to Train
Your ResNet", 2018) and Keller Jordan's airbench (arXiv:2404.00498): a stem
convolution, then three blocks that each halve the picture and widen the
channels, then a global max pool and one linear layer whose output is scaled
down. There is no residual connection, no whitening layer and no dropout:
BatchNorm (Ioffe & Szegedy, 2015) after every convolution is what lets it
train at a high learning rate. Plain convolutions, pooling and BatchNorm are
the operations GPUs (and ``channels_last``) handle best.

Introduced in chapter 7, Going fast on a GPU.
"""
from __future__ import annotations

import torch
from torch import nn

from blitz.cnn import conv_bn


class FastNet(nn.Module):
    """Stem, three conv-pool-BN-GELU blocks, global max pool, linear.

    Input ``(B, 3, 32, 32)`` normalised images, output ``(B, num_classes)``
    logits. Each block: conv, pool, BN, GELU, then conv, BN, GELU, so the
    picture goes 32 -> 16 -> 8 -> 4 while the channels go
    ``stem -> widths[0] -> widths[1] -> widths[2]``.

    Introduced in chapter 7, Going fast on a GPU.
    """

    def __init__(self, widths: tuple[int, int, int] = (64, 256, 256), stem: int = 32,
                 num_classes: int = 10, scale: float = 0.125) -> None:
        super().__init__()
        if len(widths) != 3 or min(widths) < 1 or stem < 1 or num_classes < 1:
            raise ValueError(f"widths must be three ints >= 1 and stem, num_classes >= 1, "
                             f"got widths={widths}, stem={stem}, num_classes={num_classes}")
        chans = (stem, *widths)
        # each block: conv, pool, BN, GELU, then conv, BN, GELU (blitz.cnn.conv_bn)
        blocks = [nn.Sequential(conv_bn(a, b, pool=True, activation=nn.GELU), conv_bn(b, b, activation=nn.GELU))
                  for a, b in zip(chans, chans[1:])]
        self.stem = conv_bn(3, stem, activation=nn.GELU)
        self.blocks = nn.Sequential(*blocks)
        self.head = nn.Linear(widths[2], num_classes, bias=False)
        # small logits at the start keep the first, large-learning-rate steps tame (Page's "x 0.125")
        self.scale = scale

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Class scores for a batch ``x`` of shape (B, 3, 32, 32)."""
        if x.dim() != 4 or x.shape[1] != 3:
            raise ValueError(f"FastNet expects input of shape (B, 3, H, W), got {tuple(x.shape)}")
        x = self.stem(x)  # (B, 3, 32, 32) -> (B, stem, 32, 32)
        x = self.blocks(x)  # -> (B, widths[2], 4, 4)
        x = x.amax(dim=(2, 3))  # global max pool: (B, widths[2], 4, 4) -> (B, widths[2])
        return self.head(x) * self.scale  # (B, widths[2]) -> (B, num_classes)
