"""Pictures of plans and profiles, as PNG or SVG.

- :func:`plot_plan`: compute time of each block, coloured by the tier that runs
  it, with the transfers drawn where the plan cuts;
- :func:`plot_timeline`: one inference against time, a row per system and per hop;
- :func:`plot_profile`: per-block latency on every system and output size per block.

matplotlib is imported inside these functions (``solve`` starts without it) and
figures are drawn on the Agg canvas, never through pyplot, so no display is needed.
Every number drawn comes from :func:`scission_opt.evaluate` or the instance.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import UnsupportedError
from .io import write_bytes_atomic

if TYPE_CHECKING:
    from .evaluate import Metrics
    from .instance import Instance
    from .plan import Plan

#: Image formats the plots can be written as, by file suffix.
FORMATS = {".png": "png", ".svg": "svg"}

#: Colour per tier index (device, edge, cloud, then more); colour-blind-safe Okabe-Ito hues.
TIER_COLOURS = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442")
TRANSFER_COLOUR = "#7F7F7F"
_LINESTYLES = ("-", "--", ":", "-.")
_MARKERS = ("o", "s", "^", "D", "v", "P")


def image_format(path: str | Path) -> str:
    """``png`` or ``svg`` from the file suffix; any other suffix is an error (checked before any work)."""
    suffix = Path(path).suffix.lower()
    if suffix not in FORMATS:
        raise UnsupportedError(f"{path}: cannot write a {suffix or 'suffix-less'} image; use .png or .svg")
    return FORMATS[suffix]


def _figure(width: float, height: float, rows: int = 1, **kwargs: Any) -> tuple[Any, Any]:
    try:
        from matplotlib.figure import Figure
    except ImportError:
        raise UnsupportedError("plots need matplotlib: pip install 'scission_opt[plot]'") from None
    fig = Figure(figsize=(width, height), layout="constrained")
    axes = fig.subplots(rows, 1, squeeze=False, **kwargs)[:, 0]
    return fig, axes


def _save(fig: Any, path: str | Path, fmt: str) -> None:
    buf = io.BytesIO()
    # Drawn on the Agg canvas (PNG) or the SVG backend; metadata off keeps SVGs reproducible.
    fig.savefig(buf, format=fmt, dpi=150, metadata={"Software": None} if fmt == "png" else {"Date": None})
    write_bytes_atomic(path, buf.getvalue())


def tier_colour(t: int) -> str:
    return TIER_COLOURS[t % len(TIER_COLOURS)]


def _layers(instance: "Instance", i: int) -> str:
    first, last = instance.nodes[i].layers
    return f"{first}" if first == last else f"{first}-{last}"


def _thin_ticks(ax: Any, positions: list[float], labels: list[str], limit: int = 48) -> None:
    """Layer-range tick labels, every k-th one when there are too many to read."""
    step = max(1, -(-len(positions) // limit))
    ax.set_xticks(positions[::step])
    upright = len(positions) <= 12 and max((len(s) for s in labels), default=0) <= 7
    ax.set_xticklabels(labels[::step], rotation=0 if upright else 90, fontsize=8 if len(positions) > 20 else 9)


def _megabytes(n: float) -> str:
    mb = n / 1e6
    return f"{mb:.3g} MB" if mb >= 0.001 else f"{n:.0f} B"


def plot_plan(
    instance: "Instance", plan: "Plan", path: str | Path, *, metrics: "Metrics | None" = None, title: str | None = None
) -> None:
    """Bar chart of a plan: each block's compute time on the system that runs it, and each hop's time.

    Bars run in data order: the blocks of the first used tier, the hop to the
    next tier (grey, hatched, labelled with its size), that tier's blocks, and
    so on. The x axis names each block by its model layer range.
    """
    from .evaluate import evaluate

    fmt = image_format(path)
    m = metrics if metrics is not None else evaluate(instance, plan)
    hops_at: dict[int, list[Any]] = {}
    for hop in m.hops:
        hops_at.setdefault(instance.n_nodes if hop.returning else hop.boundary, []).append(hop)

    # One slot per bar: ("hop", hop) or ("node", i).
    slots: list[tuple[str, Any]] = []
    for i in range(instance.n_nodes + 1):
        for hop in hops_at.get(i, []):
            if not (hop.returning and i < instance.n_nodes):
                slots.append(("hop", hop))
        if i < instance.n_nodes:
            slots.append(("node", i))
    if plan.assignment is not None:  # a DAG plan: each stop's nodes, then the hop that leaves it
        forward = [h for h in m.hops if not h.returning]
        slots = []
        for k, (t, _) in enumerate(plan.stops()):
            slots += [("node", i) for i in plan.nodes_on(t)] + ([("hop", forward[k])] if k < len(forward) else [])
        slots += [("hop", h) for h in m.hops if h.returning]

    n_slots = len(slots)
    fig, (ax,) = _figure(min(18.0, max(8.0, 0.16 * n_slots + 5.0)), 5.2)
    sidx = instance.system_index
    heights = [
        float(instance.latency[sidx[plan.systems[plan.tier_of_node(item)]], item]) if kind == "node" else item.time_s  # type: ignore[index]
        for kind, item in slots
    ]
    top = max(heights, default=0.0)
    tick_pos, tick_labels = [], []
    for x, (kind, item) in enumerate(slots):
        if kind == "node":
            t = plan.tier_of_node(item)
            ax.bar(x, heights[x], width=0.8, color=tier_colour(t), edgecolor="white", linewidth=0.4)
            if heights[x] == 0:
                # A block measured at 0 s still runs on its tier: mark it on the axis.
                ax.plot([x - 0.4, x + 0.4], [0, 0], color=tier_colour(t), linewidth=4, solid_capstyle="butt", clip_on=False)
                if n_slots <= 40:
                    ax.annotate("0 s", (x, 0), xytext=(0, 4), textcoords="offset points", ha="center", fontsize=7,
                                color="#404040")
            tick_pos.append(x)
            tick_labels.append(_layers(instance, item))
            continue
        hop = item
        ax.bar(x, hop.time_s, width=0.8, color="white", edgecolor=TRANSFER_COLOUR, hatch="///", linewidth=1.0)
        # Label above the hop and its neighbours so the text never crosses a bar; keep it inside the axes.
        clear = max(heights[max(0, x - 1) : x + 2])
        align = "left" if x == 0 else "right" if x == n_slots - 1 else "center"
        anchor = x - 0.4 if align == "left" else x + 0.4 if align == "right" else x
        if clear > hop.time_s:
            ax.plot([x, x], [hop.time_s, clear + 0.01 * top], color=TRANSFER_COLOUR, linewidth=0.6, linestyle=":")
        ax.annotate(
            f"{hop.source} \u2192 {hop.destination}\n{_megabytes(hop.bytes)}, {hop.time_s:.3g} s",
            (anchor, clear + 0.01 * top),
            xytext=(0, 2),
            textcoords="offset points",
            ha=align,
            va="bottom",
            fontsize=7,
            color="#404040",
        )

    ax.set_xlim(-0.7, n_slots - 0.3)
    ax.set_ylim(0, top * 1.3 if top > 0 else 1.0)
    _thin_ticks(ax, tick_pos, tick_labels)
    ax.set_xlabel("block (model layers)" + ("; hatched bars are transfers between tiers" if m.hops else ""))
    ax.set_ylabel("time (s)")
    ax.grid(axis="y", alpha=0.3)
    ax.set_axisbelow(True)
    from matplotlib.patches import Patch

    handles = []
    for t, tier in enumerate(instance.tiers):
        if plan.used(t):
            handles.append(Patch(color=tier_colour(t), label=f"{tier}: {plan.systems[t]} ({m.compute_s[t]:.4g} s compute)"))
        elif t == 0:
            # The raw input is born on the first tier's system even when it runs no block.
            handles.append(Patch(color=tier_colour(t), label=f"{tier}: {plan.systems[0]} (input only, no block)"))
    if m.hops:
        handles.append(Patch(facecolor="white", edgecolor=TRANSFER_COLOUR, hatch="///", label="transfer (ping + size / bandwidth)"))
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, frameon=False)
    ax.set_title(
        title
        or (
            f"{instance.model}: {m.latency_s:.4g} s end to end = {m.compute_total_s:.4g} s compute + "
            f"{m.communication_s:.4g} s transfer, {_megabytes(m.bytes_total)} sent"
            if m.hops
            else f"{instance.model}: {m.latency_s:.4g} s end to end, all on {plan.origin}, nothing sent"
        ),
        fontsize=10,
    )
    _save(fig, path, fmt)


def plot_timeline(
    instance: "Instance", plan: "Plan", path: str | Path, *, metrics: "Metrics | None" = None, title: str | None = None
) -> None:
    """One inference against time: a row per system (its blocks) and per hop (ping, then bytes on the wire)."""
    from .evaluate import evaluate

    fmt = image_format(path)
    m = metrics if metrics is not None else evaluate(instance, plan)
    sidx = instance.system_index
    stops = plan.stops()
    hops = [h for h in m.hops if not h.returning]
    back = [h for h in m.hops if h.returning]

    # Rows top to bottom in data order: stop, hop, stop, hop, ... (and the result's way back).
    rows: list[tuple[str, str, list[tuple[float, float, str]], str]] = []  # (label, kind, segments, colour)
    ranges: dict[int, str] = {}  # row -> the layers a compute row runs
    clock = 0.0
    for k, (t, system) in enumerate(stops):
        segments: list[tuple[float, float, str]] = []
        for i in plan.node_range(t):
            d = float(instance.latency[sidx[system], i])
            segments.append((clock, d, _layers(instance, i)))
            clock += d
        if len(segments) > 12:
            # Too many blocks to tell apart: one bar named by the tier's whole layer range.
            r = plan.node_range(t)
            first, last = instance.nodes[r.start].layers[0], instance.nodes[r.stop - 1].layers[1]
            segments = [(segments[0][0], clock - segments[0][0], f"layers {first}-{last}")]
        rows.append((f"{system}\n({instance.tiers[t]})", "compute", segments, tier_colour(t)))
        r = plan.node_range(t)
        ranges[len(rows) - 1] = (
            f"layers {instance.nodes[r.start].layers[0]}-{instance.nodes[r.stop - 1].layers[1]}" if r else ""
        )
        if k < len(hops):
            hop = hops[k]
            ping = hop.time_s - hop.transfer_s
            segs = [(clock, ping, "ping"), (clock + ping, hop.transfer_s, _megabytes(hop.bytes))]
            rows.append((f"{hop.source} \u2192 {hop.destination}", "transfer", segs, TRANSFER_COLOUR))
            clock += hop.time_s
    for hop in back:
        ping = hop.time_s - hop.transfer_s
        segs = [(clock, ping, "ping"), (clock + ping, hop.transfer_s, _megabytes(hop.bytes))]
        rows.append((f"{hop.source} \u2192 {hop.destination}\n(result back)", "transfer", segs, TRANSFER_COLOUR))
        clock += hop.time_s

    fig, (ax,) = _figure(10.0, 1.2 + 0.75 * len(rows))
    end = max(clock, 1e-12)
    for y, (label, kind, segments, colour) in enumerate(rows):
        for start, width, text in segments:
            if kind == "compute":
                ax.broken_barh([(start, width)], (y - 0.35, 0.7), facecolors=colour, edgecolors="white", linewidth=0.6)
            elif text == "ping":
                ax.broken_barh([(start, width)], (y - 0.35, 0.7), facecolors="#D9D9D9", edgecolors=colour, linewidth=0.6)
            else:
                ax.broken_barh(
                    [(start, width)], (y - 0.35, 0.7), facecolors="white", edgecolors=colour, hatch="///", linewidth=0.8
                )
            # Name a segment only where the text fits (about 1/100 of the axis per character at this size).
            if width >= end * 0.0105 * max(3, len(text)):
                ax.text(start + width / 2, y, text, ha="center", va="center", fontsize=7,
                        color="white" if kind == "compute" else "black")
        if kind == "compute" and segments and sum(w for _, w, _ in segments) == 0:
            # Blocks measured at 0 s: no width to draw, so mark the instant they run.
            ax.plot([segments[0][0]], [y], marker="D", markersize=7, color=colour, linestyle="none")
            ax.annotate(f"{ranges[y]} measured at 0 s", (segments[0][0], y), xytext=(-8, 0), textcoords="offset points",
                        ha="right", va="center", fontsize=7, color="#404040")
        if kind == "compute" and not segments:
            ax.text(0, y, "  raw input born here, runs no block", ha="left", va="center", fontsize=7, color="#404040")
        if kind == "compute" and segments:
            first = segments[0][0]
            last = segments[-1][0] + segments[-1][1]
            ax.annotate(f"{last - first:.3g} s", (last, y + 0.35), xytext=(2, 0), textcoords="offset points",
                        fontsize=7, va="bottom", color="#404040")
        elif kind == "transfer":
            total = sum(w for _, w, _ in segments)
            ax.annotate(f"{total:.3g} s", (segments[-1][0] + segments[-1][1], y + 0.35), xytext=(2, 0),
                        textcoords="offset points", fontsize=7, va="bottom", color="#404040")
    ax.set_yticks(range(len(rows)))
    ax.set_yticklabels([r[0] for r in rows], fontsize=8)
    ax.set_ylim(len(rows) - 0.4, -0.6)
    ax.set_xlim(0, end * 1.06)
    ax.set_xlabel("time since the input was ready (s)")
    ax.grid(axis="x", alpha=0.3)
    ax.set_axisbelow(True)

    from matplotlib.patches import Patch

    handles = [
        Patch(facecolor=tier_colour(t), label=f"compute on {instance.tiers[t]} (segments named by model layers)")
        for t, _ in stops
        if plan.used(t)
    ]
    if hops or back:
        handles += [
            Patch(facecolor="#D9D9D9", edgecolor=TRANSFER_COLOUR, label="link ping"),
            Patch(facecolor="white", edgecolor=TRANSFER_COLOUR, hatch="///", label="bytes on the wire (size / bandwidth)"),
        ]
    ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.22 if len(rows) < 4 else -0.12),
              ncol=2, fontsize=8, frameon=False)
    ax.set_title(title or f"{instance.model}: one inference, {m.latency_s:.4g} s end to end", fontsize=10)
    _save(fig, path, fmt)


def plot_profile(instance: "Instance", path: str | Path, *, title: str | None = None) -> None:
    """Per-block latency on every system (top) and each block's output size (bottom), against the blocks."""
    fmt = image_format(path)
    n = instance.n_nodes
    fig, (ax_t, ax_b) = _figure(min(22.0, max(8.0, 0.16 * n + 4.0)), 7.0, rows=2, sharex=True)
    xs = list(range(n))
    per_tier: dict[str, int] = {}
    for s, system in enumerate(instance.systems):
        t = instance.tier_index[system.tier]
        k = per_tier.get(system.tier, 0)
        per_tier[system.tier] = k + 1
        ax_t.plot(
            xs,
            instance.latency[s],
            color=tier_colour(t),
            linestyle=_LINESTYLES[k % len(_LINESTYLES)],
            marker=_MARKERS[k % len(_MARKERS)],
            markersize=3.5 if n > 30 else 5,
            linewidth=1.2,
            label=f"{system.name} ({system.tier}, {instance.latency[s].sum():.4g} s in all)",
        )
    ax_t.set_ylabel("compute time per block (s)")
    ax_t.set_ylim(bottom=0)
    ax_t.grid(alpha=0.3)
    ax_t.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)

    sizes = instance.boundary_bytes / 1e6
    ax_b.bar(xs, sizes[1:], width=0.8, color="#4D4D4D", label="block output")
    ax_b.axhline(sizes[0], color="#D55E00", linestyle="--", linewidth=1.0,
                 label=f"raw input ({_megabytes(instance.input_bytes)})")
    ax_b.set_ylabel("output size (MB)")
    ax_b.set_ylim(bottom=0)
    ax_b.grid(axis="y", alpha=0.3)
    ax_b.set_axisbelow(True)
    ax_b.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    ax_b.set_xlim(-0.7, n - 0.3)
    _thin_ticks(ax_b, xs, [_layers(instance, i) for i in xs])
    ax_b.set_xlabel("block (model layers)")
    ax_t.set_title(title or f"{instance.model}: measured profile, {n} blocks, {instance.n_systems} systems", fontsize=10)
    _save(fig, path, fmt)
