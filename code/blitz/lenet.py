"""LeNet: the small convolutional network of the 60 Minute Blitz.

A variant of LeNet-5 (LeCun et al., 1998, "Gradient-based learning applied to
document recognition") with ReLU activations and max pooling. It expects
32x32 images: one channel in chapter 3, Neural networks; three (CIFAR-10) in
chapter 4, Training a classifier on the CPU.

Introduced in chapter 3, Neural networks.
"""
from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

#: Height and width of the images LeNet expects.
IMAGE_SIZE = 32


class LeNet(nn.Module):
    """Two convolution + pooling stages, then three fully connected layers.

    Input ``(B, in_channels, 32, 32)``, output ``(B, num_classes)`` raw
    scores (logits). The 400 inputs of ``fc1`` are the 16 feature maps of
    5x5 left after the second pooling (32 -> 28 -> 14 -> 10 -> 5).

    Introduced in chapter 3, Neural networks.
    """

    def __init__(self, in_channels: int = 1, num_classes: int = 10) -> None:
        super().__init__()
        if in_channels < 1 or num_classes < 1:
            raise ValueError(
                "in_channels and num_classes must be >= 1, "
                f"got {in_channels} and {num_classes}"
            )
        self.in_channels = in_channels
        # in_channels -> 6 feature maps, each from a 5x5 kernel
        self.conv1 = nn.Conv2d(in_channels, 6, 5)
        # 6 -> 16 feature maps, each from a 5x5 kernel over all 6 input maps
        self.conv2 = nn.Conv2d(6, 16, 5)
        # fully connected (affine, y = Wx + b): 400 -> 120 -> 84 -> classes
        self.fc1 = nn.Linear(16 * 5 * 5, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Return class scores for a batch ``x`` of shape (B, in_channels, 32, 32)."""
        self._check_input(x)
        # conv, ReLU activation, then 2x2 max pooling (which halves H and W)
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)  # (B, C, 32, 32) -> (B, 6, 14, 14)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)  # (B, 6, 14, 14) -> (B, 16, 5, 5)
        x = torch.flatten(x, 1)  # (B, 16, 5, 5) -> (B, 400)
        x = F.relu(self.fc1(x))  # (B, 400) -> (B, 120)
        x = F.relu(self.fc2(x))  # (B, 120) -> (B, 84)
        return self.fc3(x)  # (B, 84) -> (B, num_classes)

    def _check_input(self, x: object) -> None:
        """Raise TypeError/ValueError naming the expected input if ``x`` is wrong."""
        expected = f"(B, {self.in_channels}, {IMAGE_SIZE}, {IMAGE_SIZE})"
        if not isinstance(x, torch.Tensor):
            raise TypeError(
                f"LeNet expects a torch.Tensor of shape {expected}, "
                f"got {type(x).__name__}"
            )
        chw = (self.in_channels, IMAGE_SIZE, IMAGE_SIZE)
        if x.dim() != 4 or tuple(x.shape[1:]) != chw:
            hint = ""
            if x.dim() == 3:
                hint = " (a single image? add a batch dimension with x.unsqueeze(0))"
            raise ValueError(
                f"LeNet expects input of shape {expected}, got {tuple(x.shape)}{hint}"
            )
