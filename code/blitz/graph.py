"""Walk, draw and check the graph that autograd records.

When a tensor is computed from tensors that require gradients, PyTorch records
*how* it was computed: its ``grad_fn`` is a backward node (``MulBackward0``,
``AddBackward0``...) whose ``next_functions`` point to the nodes of its inputs,
down to one ``AccumulateGrad`` node per leaf tensor that requires a gradient,
which is where ``.grad`` is written. This module turns that chain into a small
graph object, draws it with matplotlib (no graphviz needed), and offers a
finite-difference gradient as an independent check of what ``backward()``
computes.

Introduced in chapter 2, Autograd: automatic differentiation.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import torch
from matplotlib.figure import Figure
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch


@dataclass(frozen=True)
class Graph:
    """A backward graph: node labels and edges (parent index, child index).

    Node 0 is the output's ``grad_fn`` (or the leaf itself). An edge
    ``(i, j)`` means "the gradient flows from node i to node j" during
    ``backward()``; an input used twice (``y * y``) gives two equal edges.
    """

    nodes: tuple[str, ...]
    edges: tuple[tuple[int, int], ...]

    def children(self, i: int) -> list[str]:
        """Labels of the nodes that node ``i`` passes gradients to."""
        return [self.nodes[j] for parent, j in self.edges if parent == i]

    def adjacency(self) -> list[tuple[str, list[str]]]:
        """``[(node label, [child labels]), ...]`` in walk order."""
        return [(label, self.children(i)) for i, label in enumerate(self.nodes)]


def _label(node: object, names: Mapping[str, torch.Tensor]) -> str:
    """``MulBackward0``; ``AccumulateGrad`` plus the leaf's name if known."""
    label = type(node).__name__
    leaf = getattr(node, "variable", None)  # only AccumulateGrad has one
    if leaf is not None:
        name = next((n for n, t in names.items() if t is leaf), None)
        label += f"\n{name}" if name else f"\n{tuple(leaf.shape)}"
    return label


def walk_graph(
    tensor: torch.Tensor, names: Mapping[str, torch.Tensor] | None = None
) -> Graph:
    """Return the backward graph behind ``tensor``, breadth first from its ``grad_fn``.

    ``names`` maps variable names to leaf tensors (``{"x": x}``) so that the
    ``AccumulateGrad`` node of each leaf is labelled with its name; unnamed
    leaves are labelled with their shape. Inputs that do not require gradients
    appear in ``next_functions`` as ``None`` and are skipped.
    """
    if not isinstance(tensor, torch.Tensor):
        raise TypeError(f"walk_graph expects a torch.Tensor, got {type(tensor).__name__}")
    names = dict(names or {})
    if tensor.grad_fn is None:
        if tensor.requires_grad:  # a leaf: the graph is just this tensor
            name = next((n for n, t in names.items() if t is tensor), None)
            return Graph((name or f"leaf {tuple(tensor.shape)}",), ())
        raise ValueError(
            "tensor has no grad_fn and does not require grad: nothing was recorded "
            "(was it computed under torch.no_grad(), or from tensors without requires_grad?)"
        )
    index: dict[object, int] = {tensor.grad_fn: 0}  # node object -> position
    order, edges, i = [tensor.grad_fn], [], 0
    while i < len(order):
        for child, _ in order[i].next_functions:
            if child is None:  # an input that needs no gradient
                continue
            if child not in index:
                index[child] = len(order)
                order.append(child)
            edges.append((i, index[child]))
        i += 1
    return Graph(tuple(_label(n, names) for n in order), tuple(edges))


def layers(graph: Graph) -> list[int]:
    """Depth of each node: the longest path from node 0, so every arrow points down."""
    depth = [0] * len(graph.nodes)
    for _ in graph.nodes:  # Bellman-Ford style relaxation; graphs here are tiny
        changed = False
        for parent, child in graph.edges:
            if depth[child] < depth[parent] + 1:
                depth[child], changed = depth[parent] + 1, True
        if not changed:
            break
    return depth


def layout(graph: Graph) -> list[tuple[float, float]]:
    """(x, y) centre of each node: one row per depth, rows centred on x = 0."""
    depth = layers(graph)
    rows: dict[int, list[int]] = {}
    for i, d in enumerate(depth):
        rows.setdefault(d, []).append(i)
    pos = [(0.0, 0.0)] * len(graph.nodes)
    for d, members in rows.items():
        for k, i in enumerate(members):
            pos[i] = (k - (len(members) - 1) / 2, -float(d))
    return pos


def draw_graph(graph: Graph, ax=None, box_width: float = 0.8) -> Figure:
    """Draw ``graph`` top-down with one box per node and one arrow per edge.

    Leaf (``AccumulateGrad``) boxes are green, the others blue. Repeated
    edges (an input used twice) are drawn as separate, curved arrows.
    Returns the matplotlib Figure (new, unless ``ax`` is given).
    """
    if not isinstance(graph, Graph):
        raise TypeError(f"draw_graph expects a Graph from walk_graph, got {type(graph).__name__}")
    pos = layout(graph)
    width = max(x for x, _ in pos) - min(x for x, _ in pos) + 1
    height = -min(y for _, y in pos) + 1
    if ax is None:
        fig = Figure(figsize=(max(3.0, 2.2 * width), 1.3 * height))
        ax = fig.add_subplot()
    h = 0.45  # box height in data units (rows are 1 apart)
    for label, (x, y) in zip(graph.nodes, pos):
        leaf = label.startswith(("AccumulateGrad", "leaf"))
        ax.add_patch(FancyBboxPatch(
            (x - box_width / 2, y - h / 2), box_width, h, boxstyle="round,pad=0.02",
            facecolor="#d9f2d9" if leaf else "#dce8f7", edgecolor="#333333"))
        ax.text(x, y, label, ha="center", va="center", fontsize=9)
    count = Counter(graph.edges)
    seen: Counter[tuple[int, int]] = Counter()
    for edge in graph.edges:
        (x0, y0), (x1, y1) = pos[edge[0]], pos[edge[1]]
        rad = 0.5 * (seen[edge] - (count[edge] - 1) / 2)  # fan out repeated edges
        seen[edge] += 1
        ax.add_patch(FancyArrowPatch(
            (x0, y0 - h / 2), (x1, y1 + h / 2), arrowstyle="-|>", mutation_scale=12,
            connectionstyle=f"arc3,rad={rad}", color="#333333"))
    ax.set_xlim(min(x for x, _ in pos) - 0.6, max(x for x, _ in pos) + 0.6)
    ax.set_ylim(min(y for _, y in pos) - 0.5, 0.5)
    ax.set_axis_off()
    return ax.figure


def numeric_gradient(
    f: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor, eps: float = 1e-6
) -> torch.Tensor:
    """Gradient of a scalar function ``f`` at ``x`` by central differences.

    ``(f(x + eps e_i) - f(x - eps e_i)) / (2 eps)`` for every element i, in
    float64: an estimate independent of autograd, used to check what
    ``backward()`` returns. The formula's error is of order eps**2; rounding
    adds one of order 1e-16 * |f| / eps, which dominates at the default eps.
    Returns a float64 tensor shaped like ``x``.
    """
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"numeric_gradient expects a torch.Tensor x, got {type(x).__name__}")
    base = x.detach().to(torch.float64)
    grad = torch.zeros_like(base)
    flat = grad.view(-1)  # shares memory with grad
    with torch.no_grad():
        for i in range(base.numel()):
            step = torch.zeros_like(base).view(-1)
            step[i] = eps
            step = step.view_as(base)
            up, down = f(base + step), f(base - step)
            if up.numel() != 1:
                raise ValueError(f"f must return a single number, got shape {tuple(up.shape)}")
            flat[i] = (up - down).item() / (2 * eps)
    return grad
