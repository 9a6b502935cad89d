"""Draw a network's architecture from its shape table (``blitz.shapes``).

Replaces the external LeNet-5 image that the original tutorial links to: the
figure is computed from the model itself, so it cannot disagree with the code.

Introduced in {ref}`ch-nn`.
"""
from __future__ import annotations

from collections.abc import Sequence

from matplotlib.figure import Figure
from matplotlib.patches import FancyArrowPatch, Rectangle

from blitz.shapes import LayerShape

_MAX_MAPS = 6  # feature maps drawn per stack; the label gives the real count


def _stages(rows: Sequence[LayerShape]) -> list[tuple[str, LayerShape]]:
    """Keep the rows that change the shape; name each by the steps that led to it."""
    stages: list[tuple[str, LayerShape]] = []
    pending: list[str] = []
    for row in rows:
        if stages and row.shape == stages[-1][1].shape and row.params == 0:
            pending.append(row.name)  # e.g. relu: same shape, merged into the next arrow
            continue
        stages.append((" + ".join(pending + [row.name]) if stages else row.name, row))
        pending = []
    if pending:  # trailing shape-preserving steps
        name, row = stages[-1]
        stages[-1] = (name + " + " + " + ".join(pending), row)
    return stages


def _draw_maps(ax, x: float, shape: tuple[int, ...], scale: float) -> float:
    """Draw a stack of feature maps (C, H, W) at x; return the right edge."""
    channels, h, w = shape[-3:]
    side_h, side_w = h * scale, w * scale
    n = min(channels, _MAX_MAPS)
    step = 0.12
    for i in range(n):
        ax.add_patch(Rectangle((x + i * step, -side_h / 2 - i * step), side_w, side_h,
                               facecolor="#9ecae1", edgecolor="#08519c", linewidth=0.8, zorder=10 - i))
    ax.text(x + side_w / 2, -side_h / 2 - n * step - 0.25, f"{channels}@{h}x{w}",
            ha="center", va="top", fontsize=8)
    return x + side_w + (n - 1) * step


def _draw_vector(ax, x: float, length: int) -> float:
    """Draw a vector of ``length`` units as a thin bar (height grows like sqrt); return its right edge."""
    height = min(0.15 * length ** 0.5, 3.2)
    ax.add_patch(Rectangle((x, -height / 2), 0.25, height, facecolor="#fdd0a2", edgecolor="#a63603", linewidth=0.8))
    ax.text(x + 0.125, -height / 2 - 0.25, f"{length}", ha="center", va="top", fontsize=8)
    return x + 0.25


def draw_architecture(rows: Sequence[LayerShape], title: str | None = None) -> Figure:
    """Return a Figure of the network whose shape table is ``rows``.

    4-D outputs (B, C, H, W) are drawn as stacks of feature maps with sides
    proportional to H and W, 2-D outputs (B, N) as bars; each arrow is labelled
    with the steps between two shapes (``conv1 + relu``). Shape-preserving steps
    without parameters are folded into the next arrow.

    Introduced in {ref}`ch-nn`.
    """
    if not rows or not all(isinstance(r, LayerShape) for r in rows):
        raise TypeError("rows must be a non-empty sequence of LayerShape, as returned by blitz.shapes.layer_shapes")
    for r in rows:
        if len(r.shape) not in (2, 4):
            raise ValueError(f"can only draw (B, N) or (B, C, H, W) outputs; {r.name!r} has shape {r.shape}")
    stages = _stages(rows)
    biggest = max(max(r.shape[-2:]) for _, r in stages if len(r.shape) == 4) if any(
        len(r.shape) == 4 for _, r in stages) else 1
    scale = 3.0 / biggest
    fig = Figure(figsize=(max(6.0, 1.3 * len(stages)), 3.0))
    ax = fig.add_subplot()
    x, previous = 0.0, None
    for name, row in stages:
        if previous is not None:
            ax.add_patch(FancyArrowPatch((previous + 0.1, 0), (x - 0.1, 0), arrowstyle="-|>",
                                         mutation_scale=10, color="0.3", zorder=20))
            ax.text((previous + x) / 2, 0.15, name.replace(" + ", "\n"),
                    ha="center", va="bottom", fontsize=7, zorder=30)
        right = _draw_maps(ax, x, row.shape, scale) if len(row.shape) == 4 else _draw_vector(ax, x, row.shape[1])
        previous, x = right, right + 1.8
    ax.set_xlim(-0.3, x - 1.5)
    ax.set_ylim(-2.4, 2.0)
    ax.set_aspect("equal")
    ax.axis("off")
    if title:
        ax.set_title(title)
    return fig
