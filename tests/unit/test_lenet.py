"""Tests for blitz.lenet (chapter 3)."""
from __future__ import annotations

import pytest
import torch
from torch.nn import functional as F

from blitz.lenet import LeNet


@pytest.mark.parametrize("in_channels", [1, 3])
@pytest.mark.parametrize("batch", [1, 4, 17])
def test_output_shape(in_channels: int, batch: int) -> None:
    torch.manual_seed(0)
    net = LeNet(in_channels=in_channels)
    out = net(torch.randn(batch, in_channels, 32, 32))
    assert out.shape == (batch, 10)


def test_num_classes() -> None:
    assert LeNet(num_classes=7)(torch.randn(2, 1, 32, 32)).shape == (2, 7)


def _hand_count(c: int, k: int = 10) -> int:
    # weights + biases of each layer, computed independently of torch
    conv1 = 6 * c * 5 * 5 + 6
    conv2 = 16 * 6 * 5 * 5 + 16
    fc1 = 120 * 400 + 120
    fc2 = 84 * 120 + 84
    fc3 = k * 84 + k
    return conv1 + conv2 + fc1 + fc2 + fc3


@pytest.mark.parametrize("c", [1, 3])
def test_parameter_count(c: int) -> None:
    net = LeNet(in_channels=c)
    assert sum(p.numel() for p in net.parameters()) == _hand_count(c)
    assert len(list(net.parameters())) == 10
    assert _hand_count(1) == 61706


def test_forward_matches_functional_reference() -> None:
    torch.manual_seed(1)
    net = LeNet(in_channels=3)
    x = torch.randn(5, 3, 32, 32)
    w = dict(net.named_parameters())
    h = F.max_pool2d(F.relu(F.conv2d(x, w["conv1.weight"], w["conv1.bias"])), kernel_size=2, stride=2)
    h = F.max_pool2d(F.relu(F.conv2d(h, w["conv2.weight"], w["conv2.bias"])), kernel_size=2, stride=2)
    h = h.reshape(h.shape[0], -1)
    h = F.relu(h @ w["fc1.weight"].T + w["fc1.bias"])
    h = F.relu(h @ w["fc2.weight"].T + w["fc2.bias"])
    ref = h @ w["fc3.weight"].T + w["fc3.bias"]
    torch.testing.assert_close(net(x), ref)


@pytest.mark.parametrize(
    "shape",
    [(2, 3, 32, 32), (2, 1, 28, 28), (2, 1, 32, 31), (1, 32, 32), (32, 32), (1, 1, 1, 32, 32)],
)
def test_bad_shape_raises_value_error(shape: tuple[int, ...]) -> None:
    with pytest.raises(ValueError, match=r"\(B, 1, 32, 32\)"):
        LeNet()(torch.randn(*shape))


def test_three_d_input_hints_unsqueeze() -> None:
    with pytest.raises(ValueError, match="unsqueeze"):
        LeNet(in_channels=3)(torch.randn(3, 32, 32))


def test_non_tensor_raises_type_error() -> None:
    with pytest.raises(TypeError, match=r"\(B, 1, 32, 32\)"):
        LeNet()([[0.0] * 32] * 32)


def test_bad_constructor_arguments() -> None:
    with pytest.raises(ValueError):
        LeNet(in_channels=0)
