"""Placing chart labels without overlap: the lowest free place for each, left to right.

Used by :func:`scission_opt.plots.plan_figure` for its hop labels. Works on
matplotlib figure objects (text extents in display pixels), imports nothing
from matplotlib at module level.
"""

from __future__ import annotations

from typing import Any


def _lift(boxes: list[Any], pad: float) -> list[float]:
    """How far (pixels) to raise each text box so that none overlaps another: lowest free place, left to right."""
    placed: list[tuple[float, float, float, float]] = []
    lifts = [0.0] * len(boxes)
    for i in sorted(range(len(boxes)), key=lambda k: boxes[k].x0):
        b = boxes[i]
        near = [p for p in placed if p[0] < b.x1 + pad and b.x0 < p[1] + pad]
        for bottom in sorted([b.y0] + [p[3] + pad for p in near if p[3] + pad > b.y0]):
            if all(bottom + b.height + pad <= p[2] or bottom >= p[3] + pad for p in near):
                break
        lifts[i] = bottom - b.y0
        placed.append((b.x0, b.x1, bottom, bottom + b.height))
    return lifts


def stagger_labels(fig: Any, ax: Any, labels: list[Any], *, strip: float = 0.0) -> None:
    """Lift labels that would overlap another to the lowest free place; raise the y limit so that all fit.

    Parameters
    ----------
    fig, ax
        A figure with a canvas that can render (Agg), and its axes.
    labels
        Annotations anchored in data coordinates with their text placed in
        ``offset points`` above the anchor; their offsets are rewritten.
    strip
        The share of the axes' height kept under y = 0 (the y limits become
        ``(-top * strip / (1 - strip), top)``).
    """
    if not labels:
        return
    from matplotlib.text import Text

    renderer = fig.canvas.get_renderer()
    fig.draw_without_rendering()  # the constrained layout fixes the axes' size
    # the text alone (an Annotation's own extent includes its leader line), relative to the anchor point
    boxes = [Text.get_window_extent(label, renderer) for label in labels]
    anchors = [ax.transData.transform(label.xy)[1] for label in labels]
    rise = [b.y0 - a for b, a in zip(boxes, anchors)]
    frame = ax.get_window_extent(renderer)
    pad = 3 * fig.dpi / 72

    def lifts_now() -> list[float]:
        anchors = [ax.transData.transform(label.xy)[1] for label in labels]
        return _lift([b.translated(0, a + r - b.y0) for b, a, r in zip(boxes, anchors, rise)], pad)

    for _ in range(4):  # a higher limit moves the anchors down, which can change the overlaps
        limit = ax.get_ylim()[1]
        needed = limit
        for label, b, r, lift in zip(labels, boxes, rise, lifts_now()):
            room = 1 - strip - (r + lift + b.height + pad) / frame.height
            if room > 0.1:
                needed = max(needed, (1 - strip) * label.xy[1] / room)
        if needed <= limit * 1.001:
            break
        ax.set_ylim(-needed * strip / (1 - strip), needed)
    lifts = lifts_now()
    for label, lift in zip(labels, lifts):
        label.xyann = (0, 2 + lift * 72 / fig.dpi)
