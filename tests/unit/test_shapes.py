"""Tests for blitz.shapes and blitz.architecture (chapter 3)."""
from __future__ import annotations

import matplotlib
import pytest
import torch
from matplotlib.figure import Figure
from matplotlib.patches import FancyArrowPatch, Rectangle
from torch import nn

from blitz.architecture import draw_architecture
from blitz.lenet import LeNet
from blitz.shapes import LayerShape, conv_output_size, format_table, layer_shapes

matplotlib.use("Agg")

# LeNet on a (2, 1, 32, 32) batch, worked out by hand: 32-5+1=28, 28/2=14, 14-5+1=10, 10/2=5
LENET_ROWS = [
    ("input", (2, 1, 32, 32), 0),
    ("conv1", (2, 6, 28, 28), 6 * 1 * 25 + 6),
    ("relu", (2, 6, 28, 28), 0),
    ("max_pool2d", (2, 6, 14, 14), 0),
    ("conv2", (2, 16, 10, 10), 16 * 6 * 25 + 16),
    ("relu", (2, 16, 10, 10), 0),
    ("max_pool2d", (2, 16, 5, 5), 0),
    ("flatten", (2, 400), 0),
    ("fc1", (2, 120), 400 * 120 + 120),
    ("relu", (2, 120), 0),
    ("fc2", (2, 84), 120 * 84 + 84),
    ("relu", (2, 84), 0),
    ("fc3", (2, 10), 84 * 10 + 10),
]


def test_lenet_shapes_match_hand_computation() -> None:
    rows = layer_shapes(LeNet(), (2, 1, 32, 32))
    assert [tuple(r) for r in rows] == LENET_ROWS
    assert sum(r.params for r in rows) == 61706


def test_sequential_with_nested_modules() -> None:
    model = nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.ReLU(), nn.Sequential(nn.Flatten(), nn.Linear(4 * 8 * 8, 5)))
    rows = layer_shapes(model, (1, 3, 8, 8))
    assert [(r.name, r.shape, r.params) for r in rows] == [
        ("input", (1, 3, 8, 8), 0),
        ("0", (1, 4, 8, 8), 4 * 3 * 9 + 4),
        ("1", (1, 4, 8, 8), 0),
        ("2.0", (1, 256), 0),
        ("2.1", (1, 5), 256 * 5 + 5),
    ]


def test_model_state_restored_and_no_hooks_left() -> None:
    net = LeNet()
    net.train()
    layer_shapes(net, (1, 1, 32, 32))
    assert net.training
    assert all(not m._forward_hooks and not m._forward_pre_hooks for m in net.modules())
    net.eval()
    layer_shapes(net, (1, 1, 32, 32))
    assert not net.training


@pytest.mark.parametrize(
    ("size", "kernel", "stride", "padding", "expected"),
    [(32, 5, 1, 0, 28), (28, 2, 2, 0, 14), (14, 5, 1, 0, 10), (10, 2, 2, 0, 5), (28, 5, 1, 2, 28), (7, 3, 2, 0, 3)],
)
def test_conv_output_size(size: int, kernel: int, stride: int, padding: int, expected: int) -> None:
    assert conv_output_size(size, kernel, stride, padding) == expected
    # and agrees with what torch computes
    conv = nn.Conv2d(1, 1, kernel, stride=stride, padding=padding)
    assert conv(torch.zeros(1, 1, size, size)).shape[-1] == expected


@pytest.mark.parametrize("args", [(0, 3), (5, 0), (5, 3, 0), (5, 3, 1, -1), (2, 5), (5.0, 3)])
def test_conv_output_size_rejects_bad_arguments(args: tuple) -> None:
    with pytest.raises(ValueError):
        conv_output_size(*args)


def test_layer_shapes_rejects_bad_arguments() -> None:
    with pytest.raises(TypeError, match="nn.Module"):
        layer_shapes(lambda x: x, (1, 1, 32, 32))
    with pytest.raises(TypeError, match="sequence of ints"):
        layer_shapes(LeNet(), "1,1,32,32")
    with pytest.raises(ValueError, match="positive ints"):
        layer_shapes(LeNet(), (1, 0, 32, 32))
    with pytest.raises(ValueError, match="positive ints"):
        layer_shapes(LeNet(), ())
    with pytest.raises(ValueError, match=r"\(B, 1, 32, 32\)"):  # LeNet's own check
        layer_shapes(LeNet(), (1, 1, 28, 28))


def test_format_table_totals_the_parameters() -> None:
    net = LeNet()
    text = format_table(layer_shapes(net, (1, 1, 32, 32)))
    lines = text.splitlines()
    assert lines[0].split() == ["layer", "output", "shape", "parameters"]
    assert lines[-1].split() == ["total", f"{sum(p.numel() for p in net.parameters()):,}"]
    assert len(lines) == 2 + 13 + 1


def test_architecture_figure_artists() -> None:
    fig = draw_architecture(layer_shapes(LeNet(), (1, 1, 32, 32)), title="LeNet")
    assert isinstance(fig, Figure)
    ax = fig.axes[0]
    rects = [p for p in ax.patches if isinstance(p, Rectangle)]
    arrows = [p for p in ax.patches if isinstance(p, FancyArrowPatch)]
    # input 1 map + 6 + 6 + 6 (capped at 6 of 16) + 6, then 4 bars (400, 120, 84, 10)
    assert len(rects) == 1 + 6 + 6 + 6 + 6 + 4
    assert len(arrows) == 8  # 9 distinct shapes
    texts = {t.get_text() for t in ax.texts}
    assert {"1@32x32", "6@28x28", "6@14x14", "16@10x10", "16@5x5", "400", "120", "84", "10"} <= texts
    assert {"conv1", "relu\nmax_pool2d", "flatten", "relu\nfc3"} <= texts
    assert ax.get_title() == "LeNet"


def test_architecture_rejects_bad_rows() -> None:
    with pytest.raises(TypeError):
        draw_architecture([])
    with pytest.raises(TypeError):
        draw_architecture([("input", (1, 3), 0)])
    with pytest.raises(ValueError, match="shape"):
        draw_architecture([LayerShape("input", (1, 3, 4), 0)])
