"""Draw a network's architecture from its shape table (``blitz.shapes``).

Replaces the external LeNet-5 image that the original tutorial links to: the
figure is computed from the model itself, so it cannot disagree with the code.

Introduced in chapter 3, Neural networks.
"""
from __future__ import annotations

from collections.abc import Sequence

from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import FancyArrowPatch, Rectangle

from blitz.shapes import LayerShape

_MAX_MAPS = 6  # feature maps drawn per stack; the label gives the real count
_INCH = 0.4  # inches per data unit: a 32x32 map is drawn 2.6 units high


def _gap(label: str) -> float:
    """Space for an arrow, wide enough for its label's longest line (9 pt text)."""
    longest = max((len(line) for line in label.split(" + ")), default=0)
    return max(1.0, 0.2 * longest + 0.4)


def _stages(rows: Sequence[LayerShape]) -> list[tuple[str, LayerShape]]:
    """Keep the rows that change the shape; name each by the steps that led to it."""
    stages: list[tuple[str, LayerShape]] = []
    pending: list[str] = []
    for row in rows:
        if stages and row.shape == stages[-1][1].shape and row.params == 0:
            pending.append(row.name)  # e.g. relu: same shape, folded into the next arrow
            continue
        stages.append((" + ".join(pending + [row.name]) if stages else row.name, row))
        pending = []
    if pending:  # trailing shape-preserving steps join the last arrow
        name, row = stages[-1]
        stages[-1] = (" + ".join([name] + pending), row)
    return stages


def _draw_maps(ax: Axes, x: float, shape: tuple[int, ...], scale: float) -> float:
    """Draw a stack of feature maps (C, H, W) at ``x``; return its right edge."""
    channels, h, w = shape[-3:]
    side_h, side_w = h * scale, w * scale
    n, step = min(channels, _MAX_MAPS), 0.12
    for i in range(n):
        corner = (x + i * step, -side_h / 2 - i * step)
        ax.add_patch(Rectangle(corner, side_w, side_h, facecolor="#9ecae1",
                               edgecolor="#08519c", linewidth=0.8, zorder=10 - i))
    ax.text(x + side_w / 2, -side_h / 2 - n * step - 0.25, f"{channels}@{h}x{w}",
            ha="center", va="top", fontsize=8)
    return x + side_w + (n - 1) * step


def _draw_vector(ax: Axes, x: float, length: int) -> float:
    """Draw a vector as a bar whose height grows like sqrt(length); return its right edge."""
    height = min(0.13 * length**0.5, 2.8)
    ax.add_patch(Rectangle((x, -height / 2), 0.25, height, facecolor="#fdd0a2",
                           edgecolor="#a63603", linewidth=0.8))
    ax.text(x + 0.125, -height / 2 - 0.25, f"{length}", ha="center", va="top", fontsize=8)
    return x + 0.25


def _check_rows(rows: object) -> None:
    if not isinstance(rows, Sequence) or not rows or not all(
        isinstance(r, LayerShape) for r in rows
    ):
        raise TypeError(
            "rows must be a non-empty sequence of LayerShape, "
            "as returned by blitz.shapes.layer_shapes"
        )
    for r in rows:
        if len(r.shape) not in (2, 4):
            raise ValueError(
                f"can only draw (B, N) or (B, C, H, W) outputs; {r.name!r} has shape {r.shape}"
            )


def draw_architecture(rows: Sequence[LayerShape], title: str | None = None) -> Figure:
    """Return a Figure of the network whose shape table is ``rows``.

    4-D outputs (B, C, H, W) are drawn as stacks of feature maps with sides
    proportional to H and W, 2-D outputs (B, N) as bars. Steps that keep the
    shape and own no parameters (``relu``) are folded into the next arrow, so
    each arrow is labelled with every step between two shapes.

    Introduced in chapter 3, Neural networks.
    """
    _check_rows(rows)
    stages = _stages(rows)
    sides = [max(r.shape[-2:]) for _, r in stages if len(r.shape) == 4]
    scale = 2.6 / max(sides, default=1)
    fig = Figure()
    ax = fig.add_subplot()
    x, previous = 0.0, None
    for i, (name, row) in enumerate(stages):
        if previous is not None:
            ax.add_patch(FancyArrowPatch((previous + 0.1, 0), (x - 0.1, 0), arrowstyle="-|>",
                                         mutation_scale=10, color="0.3", zorder=20))
            ax.text((previous + x) / 2, 0.15, name.replace(" + ", "\n"),
                    ha="center", va="bottom", fontsize=9, zorder=30)
        if len(row.shape) == 4:
            right = _draw_maps(ax, x, row.shape, scale)
        else:
            right = _draw_vector(ax, x, row.shape[1])
        label = stages[i + 1][0] if i + 1 < len(stages) else ""
        previous, x = right, right + _gap(label)
    width = previous + 0.6
    ax.set_xlim(-0.3, width - 0.3)
    ax.set_ylim(-2.2, 1.9)
    ax.set_aspect("equal")
    ax.axis("off")
    fig.set_size_inches(_INCH * width, _INCH * 4.1 + (0.3 if title else 0))
    fig.subplots_adjust(left=0, right=1, bottom=0, top=0.88 if title else 1)
    if title:
        ax.set_title(title)
    return fig
