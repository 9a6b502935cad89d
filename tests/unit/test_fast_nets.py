"""blitz.fast_nets.FastNet: shapes, channels_last, bad input."""
import pytest
import torch

from blitz.fast_nets import FastNet


def test_output_shape_and_parameter_count():
    net = FastNet(widths=(8, 16, 16), stem=4)
    assert net(torch.randn(5, 3, 32, 32)).shape == (5, 10)
    convs = [(3, 4), (4, 8), (8, 8), (8, 16), (16, 16), (16, 16), (16, 16)]
    bn = 2 * sum(c for _, c in convs)
    expected = sum(9 * a * b for a, b in convs) + bn + 16 * 10
    assert sum(p.numel() for p in net.parameters()) == expected


def test_channels_last_gives_the_same_logits():
    torch.manual_seed(0)
    net = FastNet(widths=(8, 16, 16), stem=4).eval()
    x = torch.randn(4, 3, 32, 32)
    reference = net(x)
    net = net.to(memory_format=torch.channels_last)
    out = net(x.contiguous(memory_format=torch.channels_last))
    assert torch.allclose(out, reference, atol=1e-5)


def test_bad_arguments_and_input():
    with pytest.raises(ValueError, match="widths"):
        FastNet(widths=(8, 16))
    with pytest.raises(ValueError, match=r"\(B, 3, H, W\)"):
        FastNet(widths=(8, 8, 8))(torch.randn(3, 32, 32))
