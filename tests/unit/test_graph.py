"""Tests of blitz.graph: the autograd-graph walker, its drawing, and the numeric gradient."""
from __future__ import annotations

import pytest
import torch
from matplotlib.figure import Figure
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

from blitz.graph import Graph, draw_graph, layers, numeric_gradient, walk_graph


def _blitz_example():
    """The chapter's example: out = mean(3 (x + 2)^2) with x = ones(2, 2)."""
    x = torch.ones(2, 2, requires_grad=True)
    y = x + 2
    out = (y * y * 3).mean()
    return x, out


def test_walk_graph_of_the_chapter_example_matches_the_hand_derived_graph():
    x, out = _blitz_example()
    graph = walk_graph(out, {"x": x})
    # mean <- (y*y)*3 <- y*y <- y = x + 2 <- leaf x; the constant 3 needs no gradient.
    assert graph.nodes == (
        "MeanBackward0", "MulBackward0", "MulBackward0", "AddBackward0", "AccumulateGrad\nx",
    )
    # y*y uses y twice: two edges from the inner MulBackward0 to AddBackward0.
    assert graph.edges == ((0, 1), (1, 2), (2, 3), (2, 3), (3, 4))
    assert graph.adjacency()[2] == ("MulBackward0", ["AddBackward0", "AddBackward0"])
    assert layers(graph) == [0, 1, 2, 3, 4]


def test_mul_points_to_both_leaves_and_unnamed_leaves_show_their_shape():
    a = torch.randn(3, requires_grad=True)
    b = torch.randn(2, 3, requires_grad=True)
    c = torch.randn(3)  # no grad: must not appear
    graph = walk_graph(a * b + c, {"a": a})
    assert graph.nodes == ("AddBackward0", "MulBackward0", "AccumulateGrad\na", "AccumulateGrad\n(2, 3)")
    assert graph.adjacency() == [
        ("AddBackward0", ["MulBackward0"]),
        ("MulBackward0", ["AccumulateGrad\na", "AccumulateGrad\n(2, 3)"]),
        ("AccumulateGrad\na", []),
        ("AccumulateGrad\n(2, 3)", []),
    ]


def test_shared_node_is_placed_below_all_its_parents():
    a = torch.randn(3, requires_grad=True)
    out = (a.exp() + a).sum()  # a reached at depth 2 directly and at depth 3 via exp
    graph = walk_graph(out, {"a": a})
    depth = layers(graph)
    assert graph.nodes.count("AccumulateGrad\na") == 1
    for parent, child in graph.edges:
        assert depth[child] > depth[parent]


def test_a_leaf_requiring_grad_is_a_one_node_graph():
    x = torch.zeros(2, requires_grad=True)
    assert walk_graph(x, {"x": x}) == Graph(("x",), ())


def test_walk_graph_rejects_non_tensors_and_untracked_tensors():
    with pytest.raises(TypeError, match="torch.Tensor"):
        walk_graph([1.0, 2.0])
    with pytest.raises(ValueError, match="no grad_fn"):
        walk_graph(torch.ones(2) * 3)
    x = torch.ones(2, requires_grad=True)
    with torch.no_grad():
        y = x * 2
    with pytest.raises(ValueError, match="no grad_fn"):
        walk_graph(y)


def test_draw_graph_draws_one_box_per_node_and_one_arrow_per_edge():
    x, out = _blitz_example()
    graph = walk_graph(out, {"x": x})
    fig = draw_graph(graph)
    assert isinstance(fig, Figure)
    ax = fig.axes[0]
    boxes = [p for p in ax.patches if isinstance(p, FancyBboxPatch)]
    arrows = [p for p in ax.patches if isinstance(p, FancyArrowPatch)]
    assert len(boxes) == len(graph.nodes) == 5
    assert len(arrows) == len(graph.edges) == 5
    assert sorted(t.get_text() for t in ax.texts) == sorted(graph.nodes)


def test_draw_graph_rejects_a_tensor():
    with pytest.raises(TypeError, match="Graph"):
        draw_graph(torch.ones(2))


def test_backward_matches_the_hand_derived_gradient():
    x, out = _blitz_example()
    out.backward()
    # d out / dx_i = (1/4) * 3 * 2 * (x_i + 2) = 1.5 * 3 = 4.5
    assert torch.equal(x.grad, torch.full((2, 2), 4.5))


def test_numeric_gradient_agrees_with_autograd_and_with_calculus():
    torch.manual_seed(0)
    x = torch.randn(2, 3, dtype=torch.float64, requires_grad=True)

    def f(t):
        return (t.sin() * t).sum()

    f(x).backward()
    numeric = numeric_gradient(f, x)
    analytic = x.detach().cos() * x.detach() + x.detach().sin()  # d/dt (t sin t)
    assert numeric.shape == x.shape and numeric.dtype == torch.float64
    torch.testing.assert_close(numeric, analytic, rtol=1e-7, atol=1e-8)
    torch.testing.assert_close(x.grad, numeric, rtol=1e-7, atol=1e-8)


def test_numeric_gradient_rejects_bad_input():
    with pytest.raises(TypeError, match="torch.Tensor"):
        numeric_gradient(lambda t: t.sum(), [1.0, 2.0])
    with pytest.raises(ValueError, match="single number"):
        numeric_gradient(lambda t: t * 2, torch.ones(3))
