"""A better small CNN for CIFAR-10 on a CPU, and batch augmentation.

Three stages of 3x3 convolution, batch normalisation (Ioffe and Szegedy,
2015) and ReLU, each followed by 2x2 max pooling, as in the fast CIFAR-10
networks of David Page's "How to train your ResNet" (2018) and Keller Jordan's
airbench, but narrower so that it trains in minutes on two CPU cores.
Introduced in {ref}`ch-cifar10`.
"""
from __future__ import annotations

import torch
from torch import nn

from blitz import augment as batch_augment


def conv_bn(c_in: int, c_out: int) -> nn.Sequential:
    """3x3 convolution (same size) -> BatchNorm -> ReLU.

    The convolution has no bias: BatchNorm subtracts the mean right after, so a
    bias would be cancelled anyway. Introduced in {ref}`ch-cifar10`.
    """
    return nn.Sequential(nn.Conv2d(c_in, c_out, 3, padding=1, bias=False),
                         nn.BatchNorm2d(c_out), nn.ReLU(inplace=True))


class SmallCNN(nn.Module):
    """conv-BN-ReLU + pool, three times (32 -> 16 -> 8 -> 4), then max over space and a linear layer.

    Input ``(B, 3, 32, 32)``, output ``(B, num_classes)`` logits. Introduced in {ref}`ch-cifar10`.
    """

    def __init__(self, widths: tuple[int, int, int] = (32, 64, 128), num_classes: int = 10) -> None:
        super().__init__()
        if len(widths) != 3 or min(widths) < 1 or num_classes < 1:
            raise ValueError(f"need three widths >= 1 and num_classes >= 1, got {widths}, {num_classes}")
        a, b, c = widths
        self.features = nn.Sequential(
            conv_bn(3, a), nn.MaxPool2d(2),  # (B, 3, 32, 32) -> (B, a, 16, 16)
            conv_bn(a, b), nn.MaxPool2d(2),  # -> (B, b, 8, 8)
            conv_bn(b, c), nn.MaxPool2d(2),  # -> (B, c, 4, 4)
        )
        self.head = nn.Linear(c, num_classes)
        # "channels last" memory layout: the CPU's convolution kernels run it about twice as fast here
        self.to(memory_format=torch.channels_last)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Class scores for a batch ``x`` of shape (B, 3, 32, 32)."""
        if not isinstance(x, torch.Tensor) or x.dim() != 4 or x.shape[1] != 3:
            shape = tuple(x.shape) if isinstance(x, torch.Tensor) else type(x).__name__
            raise ValueError(f"SmallCNN expects input of shape (B, 3, H, W), got {shape}")
        x = self.features(x.contiguous(memory_format=torch.channels_last))
        x = torch.amax(x, dim=(2, 3))  # (B, c, 4, 4) -> (B, c): the strongest response anywhere
        return self.head(x)


def augment(images: torch.Tensor, generator: torch.Generator | None = None, pad: int = 4) -> torch.Tensor:
    """Random crop (after zero-padding by ``pad``) and random horizontal flip, for a whole batch.

    ``images`` is (B, C, H, W); each image gets its own shift and coin flip, all
    drawn at once, so one call costs a few tensor operations instead of a PIL
    call per image. A flipped or slightly shifted cat is still a cat: the
    network sees new variants at every epoch. Cropping the window that starts
    at (dy, dx) of the padded image is shifting the image by ``pad - dy`` rows
    and ``pad - dx`` columns, which :func:`blitz.augment.translate` does (its
    ``"zeros"`` mode fills in what the padding would). Introduced in {ref}`ch-cifar10`.
    """
    if not isinstance(images, torch.Tensor) or images.dim() != 4:
        raise ValueError("images must be a tensor of shape (B, C, H, W)")
    if pad < 0:
        raise ValueError(f"pad must be >= 0, got {pad}")
    b = images.shape[0]
    dy = torch.randint(0, 2 * pad + 1, (b, 1), generator=generator)  # where each crop starts
    dx = torch.randint(0, 2 * pad + 1, (b, 1), generator=generator)
    mirror = torch.rand(b, generator=generator) < 0.5
    shifts = pad - torch.cat([dy, dx], dim=1)  # (B, 2): rows down, columns right
    return batch_augment.flip(batch_augment.translate(images, shifts, mode="zeros"), mirror)
