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
import re
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import UnsupportedError
from .io import write_bytes_atomic
from .plot_layout import stagger_labels

if TYPE_CHECKING:
    from .evaluate import Metrics
    from .instance import Instance, System
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
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    fig = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(fig)  # a renderer to measure text with (plan labels); savefig picks the format's own
    axes = fig.subplots(rows, 1, squeeze=False, **kwargs)[:, 0]
    return fig, axes


def _save(fig: Any, path: str | Path, fmt: str) -> None:
    buf = io.BytesIO()
    # Drawn on the Agg canvas (PNG) or the SVG backend; metadata off keeps SVGs reproducible.
    fig.savefig(buf, format=fmt, dpi=150, metadata={"Software": None} if fmt == "png" else {"Date": None})
    write_bytes_atomic(path, buf.getvalue())


def tier_colour(t: int) -> str:
    return TIER_COLOURS[t % len(TIER_COLOURS)]


def _layers(instance: Instance, i: int) -> str:
    first, last = instance.nodes[i].layers
    return f"{first}" if first == last else f"{first}-{last}"


def _thin_ticks(ax: Any, positions: Sequence[float], labels: list[str], limit: int = 48) -> None:
    """Layer-range tick labels, every k-th one when there are too many to read."""
    step = max(1, -(-len(positions) // limit))
    ax.set_xticks(positions[::step])
    upright = len(positions) <= 12 and max((len(s) for s in labels), default=0) <= 7
    ax.set_xticklabels(labels[::step], rotation=0 if upright else 90, fontsize=8 if len(positions) > 20 else 9)


def _megabytes(n: float) -> str:
    mb = n / 1e6
    return f"{mb:.3g} MB" if mb >= 0.001 else f"{n:.0f} B"


#: Smallest width of a tier's strip under the plan chart, as a share of the axis: a one-block segment stays visible.
MIN_SEGMENT_SHARE = 0.01
#: Share of the plan chart's height taken by the tier strip under the bars.
_STRIP = 0.05


def _plan_slots(instance: Instance, plan: Plan, m: Metrics) -> list[tuple[str, Any]]:
    """One slot per bar, in data order: ``("hop", hop)`` or ``("node", i)``."""
    if plan.assignment is not None:  # a DAG plan: each stop's nodes, then the hop that leaves it
        forward = [h for h in m.hops if not h.returning]
        dag_slots: list[tuple[str, Any]] = []
        for k, (t, _) in enumerate(plan.stops()):
            dag_slots += [("node", i) for i in plan.nodes_on(t)] + ([("hop", forward[k])] if k < len(forward) else [])
        return dag_slots + [("hop", h) for h in m.hops if h.returning]
    hops_at: dict[int, list[Any]] = {}
    for hop in m.hops:
        hops_at.setdefault(instance.n_nodes if hop.returning else hop.boundary, []).append(hop)
    slots: list[tuple[str, Any]] = []
    for i in range(instance.n_nodes + 1):
        for hop in hops_at.get(i, []):
            if not (hop.returning and i < instance.n_nodes):
                slots.append(("hop", hop))
        if i < instance.n_nodes:
            slots.append(("node", i))
    return slots


def _tier_strip(ax: Any, plan: Plan, slots: list[tuple[str, Any]]) -> None:
    """A strip under the bars in each segment's tier colour, at least MIN_SEGMENT_SHARE of the axis wide."""
    from matplotlib.patches import Rectangle

    segments: list[list[Any]] = []  # [tier, first x, last x]
    for x, (kind, item) in enumerate(slots):
        if kind != "node":
            continue
        t = plan.tier_of_node(item)
        if segments and segments[-1][0] == t and segments[-1][2] == x - 1:
            segments[-1][2] = x
        else:
            segments.append([t, x, x])
    lo, hi = -0.7, len(slots) - 0.3
    least = MIN_SEGMENT_SHARE * (hi - lo)
    # narrow segments last, so that a widened one is drawn over its neighbours
    for t, first, last in sorted(segments, key=lambda seg: seg[1] - seg[2]):
        width = max(last - first + 0.8, least)
        start = min(max((first + last) / 2 - width / 2, lo), hi - width)
        ax.add_patch(Rectangle((start, 0.15 * _STRIP), width, 0.7 * _STRIP, transform=ax.get_xaxis_transform(),
                               facecolor=tier_colour(t), edgecolor="none", gid=f"tier-strip-{t}"))  # fmt: skip


def _hop_labels(ax: Any, slots: list[tuple[str, Any]], heights: list[float], top: float) -> list[Any]:
    """A label above each hop and its neighbours, so that the text never crosses a bar (staggered later)."""
    labels = []
    n_slots = len(slots)
    for x, (kind, hop) in enumerate(slots):
        if kind != "hop":
            continue
        ax.bar(x, hop.time_s, width=0.8, color="white", edgecolor=TRANSFER_COLOUR, hatch="///", linewidth=1.0)
        clear = max(heights[max(0, x - 1) : x + 2])
        align = "left" if x == 0 else "right" if x == n_slots - 1 else "center"
        anchor = x - 0.4 if align == "left" else x + 0.4 if align == "right" else x
        if clear > hop.time_s:
            ax.plot([x, x], [hop.time_s, clear + 0.01 * top], color=TRANSFER_COLOUR, linewidth=0.6, linestyle=":")
        labels.append(ax.annotate(
            f"{hop.source} \u2192 {hop.destination}\n{_megabytes(hop.bytes)}, {hop.time_s:.3g} s",
            (anchor, clear + 0.01 * top), xytext=(0, 2), textcoords="offset points", ha=align, va="bottom",
            fontsize=7, color="#404040", gid="hop-label",
            # a dotted leader from the label down to its hop, seen once a label is lifted to a higher row
            arrowprops={"arrowstyle": "-", "linestyle": ":", "linewidth": 0.6, "color": TRANSFER_COLOUR,
                        "shrinkA": 0, "shrinkB": 0, "relpos": ({"left": 0.0, "right": 1.0}.get(align, 0.5), 0.0)},
        ))  # fmt: skip
    return labels


def _block_time(instance: Instance, plan: Plan, i: int) -> float:
    system = plan.systems[plan.tier_of_node(i)]
    assert system is not None  # a tier that runs a block has a system
    return float(instance.latency[instance.system_index[system], i])


def plan_figure(instance: Instance, plan: Plan, *, metrics: Metrics | None = None, title: str | None = None) -> Any:
    """The figure :func:`plot_plan` writes (a :class:`matplotlib.figure.Figure`), for inspection."""
    from .evaluate import evaluate

    m = metrics if metrics is not None else evaluate(instance, plan)
    slots = _plan_slots(instance, plan, m)
    n_slots = len(slots)
    fig, (ax,) = _figure(min(18.0, max(8.0, 0.16 * n_slots + 5.0)), 5.2)
    heights = [_block_time(instance, plan, item) if kind == "node" else float(item.time_s) for kind, item in slots]
    top = max(heights, default=0.0) or 1.0
    tick_pos, tick_labels = [], []
    for x, (kind, item) in enumerate(slots):
        if kind == "node":
            t = plan.tier_of_node(item)
            ax.bar(x, heights[x], width=0.8, color=tier_colour(t), edgecolor="white", linewidth=0.4)
            if heights[x] == 0 and n_slots <= 40:
                # A block measured at 0 s still runs on its tier (the strip shows which): say so.
                ax.annotate("0 s", (x, 0), xytext=(0, 4), textcoords="offset points", ha="center", fontsize=7,
                            color="#404040")  # fmt: skip
            tick_pos.append(x)
            tick_labels.append(_layers(instance, item))
    labels = _hop_labels(ax, slots, heights, top)
    _tier_strip(ax, plan, slots)
    ax.set_xlim(-0.7, n_slots - 0.3)
    ax.set_ylim(-top * 1.3 * _STRIP / (1 - _STRIP), top * 1.3)
    _thin_ticks(ax, tick_pos, tick_labels)
    ax.set_xlabel("block (model layers)" + ("; hatched bars are transfers between tiers" if m.hops else ""))
    ax.set_ylabel("time (s)")
    ax.grid(axis="y", alpha=0.3)
    ax.set_axisbelow(True)
    ax.legend(handles=_plan_legend(instance, plan, m), loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8,
              frameon=False)  # fmt: skip
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
    stagger_labels(fig, ax, labels, strip=_STRIP)
    ax.set_yticks([v for v in ax.get_yticks() if 0 <= v <= ax.get_ylim()[1]])
    return fig


def _plan_legend(instance: Instance, plan: Plan, m: Metrics) -> list[Any]:
    from matplotlib.patches import Patch

    handles = []
    for t, tier in enumerate(instance.tiers):
        if plan.used(t):
            handles.append(
                Patch(color=tier_colour(t), label=f"{tier}: {plan.systems[t]} ({m.compute_s[t]:.4g} s compute)")
            )
        elif t == 0:
            # The raw input is born on the first tier's system even when it runs no block.
            handles.append(Patch(color=tier_colour(t), label=f"{tier}: {plan.systems[0]} (input only, no block)"))
    if m.hops:
        handles.append(Patch(facecolor="white", edgecolor=TRANSFER_COLOUR, hatch="///",
                             label="transfer (ping + size / bandwidth)"))  # fmt: skip
    return handles


def plot_plan(
    instance: Instance, plan: Plan, path: str | Path, *, metrics: Metrics | None = None, title: str | None = None
) -> None:
    """Bar chart of a plan: each block's compute time on the system that runs it, and each hop's time.

    Bars run in data order: the blocks of the first used tier, the hop to the
    next tier (grey, hatched, labelled with its size), that tier's blocks, and
    so on. A strip under the bars names each block's tier by colour, at least
    :data:`MIN_SEGMENT_SHARE` of the axis wide, so that a segment of one short
    block stays visible; hop labels that would overlap are lifted to rows
    above. The x axis names each block by its model layer range.
    """
    fmt = image_format(path)
    _save(plan_figure(instance, plan, metrics=metrics, title=title), path, fmt)


_Row = tuple[str, str, list[tuple[float, float, str]], str]  # (label, kind, segments, colour)


def _timeline_rows(
    instance: Instance, plan: Plan, hops: list[Any], back: list[Any]
) -> tuple[list[_Row], dict[int, str], float]:
    """Rows top to bottom in data order (stop, hop, stop, ..., the result's way back), compute rows' layers, end."""
    sidx = instance.system_index
    rows: list[_Row] = []
    ranges: dict[int, str] = {}  # row -> the layers a compute row runs
    clock = 0.0
    for k, (t, system) in enumerate(plan.stops()):
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
    return rows, ranges, clock


def plot_timeline(
    instance: Instance, plan: Plan, path: str | Path, *, metrics: Metrics | None = None, title: str | None = None
) -> None:
    """One inference against time: a row per system (its blocks) and per hop (ping, then bytes on the wire)."""
    from .evaluate import evaluate

    fmt = image_format(path)
    m = metrics if metrics is not None else evaluate(instance, plan)
    stops = plan.stops()
    hops = [h for h in m.hops if not h.returning]
    back = [h for h in m.hops if h.returning]
    rows, ranges, clock = _timeline_rows(instance, plan, hops, back)

    fig, (ax,) = _figure(10.0, 1.2 + 0.75 * len(rows))
    end = max(clock, 1e-12)
    for y, (_, kind, segments, colour) in enumerate(rows):
        for start, width, text in segments:
            if kind == "compute":
                ax.broken_barh([(start, width)], (y - 0.35, 0.7), facecolors=colour, edgecolors="white", linewidth=0.6)
            elif text == "ping":
                ax.broken_barh(
                    [(start, width)], (y - 0.35, 0.7), facecolors="#D9D9D9", edgecolors=colour, linewidth=0.6
                )
            else:
                ax.broken_barh(
                    [(start, width)], (y - 0.35, 0.7), facecolors="white", edgecolors=colour, hatch="///", linewidth=0.8
                )
            # Name a segment only where the text fits (about 1/100 of the axis per character at this size).
            if width >= end * 0.0105 * max(3, len(text)):
                ax.text(
                    start + width / 2,
                    y,
                    text,
                    ha="center",
                    va="center",
                    fontsize=7,
                    color="white" if kind == "compute" else "black",
                )
        if kind == "compute" and segments and sum(w for _, w, _ in segments) == 0:
            # Blocks measured at 0 s: no width to draw, so mark the instant they run.
            ax.plot([segments[0][0]], [y], marker="D", markersize=7, color=colour, linestyle="none")
            ax.annotate(
                f"{ranges[y]} measured at 0 s",
                (segments[0][0], y),
                xytext=(-8, 0),
                textcoords="offset points",
                ha="right",
                va="center",
                fontsize=7,
                color="#404040",
            )
        if kind == "compute" and not segments:
            ax.text(0, y, "  raw input born here, runs no block", ha="left", va="center", fontsize=7, color="#404040")
        if kind == "compute" and segments:
            first = segments[0][0]
            last = segments[-1][0] + segments[-1][1]
            ax.annotate(
                f"{last - first:.3g} s",
                (last, y + 0.35),
                xytext=(2, 0),
                textcoords="offset points",
                fontsize=7,
                va="bottom",
                color="#404040",
            )
        elif kind == "transfer":
            total = sum(w for _, w, _ in segments)
            ax.annotate(
                f"{total:.3g} s",
                (segments[-1][0] + segments[-1][1], y + 0.35),
                xytext=(2, 0),
                textcoords="offset points",
                fontsize=7,
                va="bottom",
                color="#404040",
            )
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
            Patch(
                facecolor="white", edgecolor=TRANSFER_COLOUR, hatch="///", label="bytes on the wire (size / bandwidth)"
            ),
        ]
    ax.legend(
        handles=handles,
        loc="upper center",
        bbox_to_anchor=(0.5, -0.22 if len(rows) < 4 else -0.12),
        ncol=2,
        fontsize=8,
        frameon=False,
    )
    ax.set_title(title or f"{instance.model}: one inference, {m.latency_s:.4g} s end to end", fontsize=10)
    _save(fig, path, fmt)


#: Words in a provenance text that say where latencies came from, first match wins.
_ORIGINS = (("synthetic", "synthetic"), ("estimated", "estimated"), ("measured", "measured"), ("benchmark", "measured"))


def latency_origin(instance: Instance, system: System) -> str:
    """``synthetic``, ``estimated``, ``measured`` or ``of unstated origin``: where a system's latencies came from.

    Read from the system's provenance (its ``latency_s:`` clause where it has
    one), else from the instance's.
    """
    for text in (system.provenance, instance.provenance):
        clause = re.search(r"latency_s:\s*([^;]*)", text)
        low = (clause.group(1) if clause else text).lower()
        for word, origin in _ORIGINS:
            if word in low:
                return origin
    return "of unstated origin"


def _profile_title(instance: Instance, origins: list[str]) -> str:
    kinds = list(dict.fromkeys(origins))
    what = " and ".join(kinds) if len(kinds) <= 2 else ", ".join(kinds[:-1]) + " and " + kinds[-1]
    return f"{instance.model}: {what} profile, {instance.n_nodes} blocks, {instance.n_systems} systems"


def profile_figure(instance: Instance, *, title: str | None = None) -> Any:
    """The figure :func:`plot_profile` writes (a :class:`matplotlib.figure.Figure`), for inspection."""
    n = instance.n_nodes
    origins = [latency_origin(instance, system) for system in instance.systems]
    labels = [
        f"{system.name} ({system.tier}, {origin}, {instance.latency[s].sum():.4g} s in all)"
        for s, (system, origin) in enumerate(zip(instance.systems, origins))
    ]
    width = min(22.0, max(8.0, 0.16 * n + 4.0))
    # The legend goes under both panels, in as many columns as fit the width (about 4.4 pt per character).
    entries = len(labels) + 2
    ncol = max(1, min(entries, int(width * 72 // (4.4 * max(len(x) for x in labels) + 30))))
    legend_rows = -(-entries // ncol)
    fig, (ax_t, ax_b) = _figure(width, 6.4 + 0.19 * legend_rows, rows=2, sharex=True)
    xs = list(range(n))
    per_tier: dict[str, int] = {}
    for s, system in enumerate(instance.systems):
        k = per_tier.get(system.tier, 0)
        per_tier[system.tier] = k + 1
        ax_t.plot(xs, instance.latency[s], color=tier_colour(instance.tier_index[system.tier]),
                  linestyle=_LINESTYLES[k % len(_LINESTYLES)], marker=_MARKERS[k % len(_MARKERS)],
                  markersize=3.5 if n > 30 else 5, linewidth=1.2, label=labels[s])  # fmt: skip
    ax_t.set_ylabel("compute time per block (s)")
    ax_t.set_ylim(bottom=0)
    ax_t.grid(alpha=0.3)

    sizes = instance.boundary_bytes / 1e6
    ax_b.bar(xs, sizes[1:], width=0.8, color="#4D4D4D", label="block output")
    ax_b.axhline(sizes[0], color="#D55E00", linestyle="--", linewidth=1.0,
                 label=f"raw input ({_megabytes(instance.input_bytes)})")  # fmt: skip
    ax_b.set_ylabel("output size (MB)")
    ax_b.set_ylim(bottom=0)
    ax_b.grid(axis="y", alpha=0.3)
    ax_b.set_axisbelow(True)
    ax_b.set_xlim(-0.7, n - 0.3)
    _thin_ticks(ax_b, xs, [_layers(instance, i) for i in xs])
    ax_b.set_xlabel("block (model layers)")
    handles = ax_t.get_legend_handles_labels()[0] + ax_b.get_legend_handles_labels()[0]
    fig.legend(handles=handles, loc="outside lower center", ncol=ncol, fontsize=8, frameon=False)
    ax_t.set_title(title or _profile_title(instance, origins), fontsize=10)
    return fig


def plot_profile(instance: Instance, path: str | Path, *, title: str | None = None) -> None:
    """Per-block latency on every system (top) and each block's output size (bottom), against the blocks.

    The title and each system's legend entry say whether its latencies were
    measured, estimated or synthetic (:func:`latency_origin`); the legend sits
    under both panels, in as many columns as fit.
    """
    fmt = image_format(path)
    _save(profile_figure(instance, title=title), path, fmt)
