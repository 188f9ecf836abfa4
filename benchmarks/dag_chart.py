"""The plan chart of a DAG plan: which layers run on which tier, and the tensors crossing each hop.

The bars are :func:`scission_opt.plots.plan_figure` (each layer's compute time in its tier's
colour, each hop's time hatched); under them a legend names, per hop, every tensor it carries
(the layer that makes it and its size), so a multi-tensor cut can be read off the chart.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from scission_opt.evaluate import evaluate
from scission_opt.instance import Instance
from scission_opt.plan import Plan

#: Tensors named per hop before the line says "and N more".
MAX_NAMED = 8


def _tensor_name(instance: Instance, boundary: int) -> str:
    """The tensor of ``boundary`` (0: the raw input; b: the output of node b-1) with its size."""
    if boundary == 0:
        return f"raw input ({instance.input_bytes / 1e6:.3g} MB)"
    node = instance.nodes[boundary - 1]
    return f"{node.name} ({node.output_bytes / 1e6:.3g} MB)"


def hop_lines(instance: Instance, plan: Plan) -> list[str]:
    """One line per hop: source -> destination, how many tensors, their total size, and their names."""
    lines = []
    for hop in evaluate(instance, plan).hops:
        tensors = hop.tensors or (hop.boundary,)
        names = [_tensor_name(instance, b) for b in tensors[:MAX_NAMED]]
        more = f", and {len(tensors) - MAX_NAMED} more" if len(tensors) > MAX_NAMED else ""
        lines.append(
            f"{hop.source} \u2192 {hop.destination}{' (result back)' if hop.returning else ''}: "
            f"{len(tensors)} tensor{'s' if len(tensors) != 1 else ''}, {hop.bytes / 1e6:.3g} MB: "
            + ", ".join(names)
            + more
        )
    return lines


def tier_line(instance: Instance, plan: Plan) -> str:
    """How many layers each used tier runs, e.g. ``device pi4: 308 layers; edge vm: 463 layers``."""
    parts = []
    for t, system in enumerate(plan.systems):
        count = len(plan.nodes_on(t))
        if count:
            parts.append(f"{instance.tiers[t]} {system}: {count} layer{'s' if count != 1 else ''}")
    return "; ".join(parts)


def dag_plan_figure(instance: Instance, plan: Plan, title: str) -> Any:
    """:func:`~scission_opt.plots.plan_figure` with the tensors of every hop written under it."""
    from scission_opt.plots import plan_figure

    fig = plan_figure(instance, plan, title=title)
    lines = [tier_line(instance, plan)] + hop_lines(instance, plan)
    height = fig.get_figheight()
    extra = 0.22 * len(lines) + 0.3
    fig.set_figheight(height + extra)
    for ax in fig.axes:  # keep the axes where they were in inches: the text goes into the new space below
        box = ax.get_position()
        ax.set_position(
            [box.x0, (box.y0 * height + extra) / (height + extra), box.width, box.height * height / (height + extra)]
        )
    for k, line in enumerate(lines):
        fig.text(0.01, (extra - 0.25 - 0.22 * k) / (height + extra), line, fontsize=7.5, color="#303030",
                 family="monospace", gid="hop-tensors")  # fmt: skip
    return fig


def plot_dag_plan(instance: Instance, plan: Plan, path: str | Path, title: str) -> None:
    """Write :func:`dag_plan_figure` as a PNG (or any format matplotlib knows from the suffix)."""
    fig = dag_plan_figure(instance, plan, title)
    fig.savefig(str(path), dpi=110, bbox_inches="tight")
