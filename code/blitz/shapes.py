"""The output shape and parameter count of every layer of a network.

``layer_shapes`` pushes one dummy input through any ``nn.Module`` and records
what each step produced: leaf sub-modules (``conv1``, ``fc1``) through forward
hooks, and functional calls made in the model's own ``forward``
(``F.relu``, ``F.max_pool2d``, ``torch.flatten``) through a
``TorchFunctionMode``, so networks written in the functional style, like
LeNet, show every step and not only their layers.

Introduced in chapter 3, Neural networks.
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, NamedTuple

import torch
from torch import nn
from torch.overrides import TorchFunctionMode


class LayerShape(NamedTuple):
    """One row of a shape table: a step's name, output shape and own parameters."""

    name: str
    shape: tuple[int, ...]
    params: int


def conv_output_size(size: int, kernel: int, stride: int = 1, padding: int = 0) -> int:
    """Side of a convolution's or pooling's output.

    ``floor((size - kernel + 2 * padding) / stride) + 1``: the number of
    positions a ``kernel``-wide window, moved ``stride`` at a time, takes on
    the padded input.

    Introduced in chapter 3, Neural networks.
    """
    checks = (("size", size, 1), ("kernel", kernel, 1), ("stride", stride, 1),
              ("padding", padding, 0))
    for name, value, low in checks:
        if not isinstance(value, int) or value < low:
            raise ValueError(f"{name} must be an int >= {low}, got {value!r}")
    if kernel > size + 2 * padding:
        raise ValueError(
            f"kernel {kernel} is larger than the padded input {size} + 2*{padding}"
        )
    return (size - kernel + 2 * padding) // stride + 1


class _Recorder(TorchFunctionMode):
    """Record the tensors returned by torch functions called outside sub-modules."""

    def __init__(self, rows: list[LayerShape]) -> None:
        super().__init__()
        self.rows = rows
        self.depth = 0  # > 0 while a hooked sub-module runs

    def __torch_function__(
        self, func: Any, types: Any, args: tuple = (), kwargs: dict | None = None
    ) -> Any:
        out = func(*args, **(kwargs or {}))
        if self.depth == 0 and isinstance(out, torch.Tensor):
            name = getattr(func, "__name__", str(func)).lstrip("_")
            self.rows.append(LayerShape(name, tuple(out.shape), 0))
        return out


def _check_arguments(model: object, input_shape: object) -> tuple[int, ...]:
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    if isinstance(input_shape, (str, bytes)) or not isinstance(input_shape, Sequence):
        raise TypeError(
            "input_shape must be a sequence of ints such as (1, 1, 32, 32), "
            f"got {input_shape!r}"
        )
    if not input_shape or not all(isinstance(s, int) and s > 0 for s in input_shape):
        raise ValueError(
            "input_shape must be positive ints such as (1, 1, 32, 32), "
            f"got {tuple(input_shape)}"
        )
    return tuple(input_shape)


def layer_shapes(model: nn.Module, input_shape: Sequence[int]) -> list[LayerShape]:
    """Return a LayerShape (name, output shape, parameters) for every step of ``model``.

    A zero tensor of ``input_shape`` goes through ``model`` once, without
    gradients and in eval mode (the model's mode is restored afterwards).
    Leaf sub-modules are named by their attribute path (``conv1``); functional
    calls by their function (``relu``). Only parameters owned directly by a
    recorded leaf are counted, so the column sums to the model's total when
    every parameter lives in a leaf module.

    Introduced in chapter 3, Neural networks.
    """
    shape = _check_arguments(model, input_shape)
    rows = [LayerShape("input", shape, 0)]
    recorder = _Recorder(rows)
    handles = []

    def pre_hook(module: nn.Module, args: Any) -> None:
        recorder.depth += 1

    def make_hook(name: str):
        def hook(module: nn.Module, args: Any, out: Any) -> None:
            recorder.depth -= 1
            if recorder.depth == 0 and isinstance(out, torch.Tensor):
                params = sum(p.numel() for p in module.parameters(recurse=False))
                rows.append(LayerShape(name, tuple(out.shape), params))
        return hook

    for name, module in model.named_modules():
        if module is not model and not list(module.children()):  # leaves only
            handles.append(module.register_forward_pre_hook(pre_hook))
            handles.append(module.register_forward_hook(make_hook(name)))
    was_training = model.training
    first = next(model.parameters(), None)
    x = torch.zeros(shape, device=first.device if first is not None else "cpu")
    try:
        model.eval()
        with torch.no_grad(), recorder:
            model(x)
    finally:
        for handle in handles:
            handle.remove()
        model.train(was_training)
    return rows


def format_table(rows: Sequence[LayerShape]) -> str:
    """Return ``rows`` as an aligned plain-text table with a total line."""
    lines = [("layer", "output shape", "parameters")]
    lines += [(r.name, str(tuple(r.shape)), f"{r.params:,}") for r in rows]
    lines.append(("total", "", f"{sum(r.params for r in rows):,}"))
    widths = [max(len(line[i]) for line in lines) for i in range(3)]

    def fmt(line: tuple[str, str, str]) -> str:
        name, shape, params = line
        return f"{name:<{widths[0]}}  {shape:<{widths[1]}}  {params:>{widths[2]}}"

    rule = "-" * (sum(widths) + 4)
    return "\n".join([fmt(lines[0]), rule] + [fmt(line).rstrip() for line in lines[1:]])
