"""Charts of the what-if answers: the objective against bandwidth with each plan's region shaded, and the
Pareto front with its plans labelled and Scission's choice marked. matplotlib is imported lazily (via plots)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ..evaluate import evaluate
from ..objectives import get_objective
from ..plots import _figure, _save, image_format

if TYPE_CHECKING:
    from ..instance import Instance
    from .pareto import ParetoFront
    from .sensitivity import Sensitivity

_SHADES = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#999999")


def plot_sensitivity(instance: Instance, result: Sensitivity, path: str) -> None:
    """Objective against the swept parameter (log axis for bandwidth); every interval shaded and labelled.

    The curve inside an interval is the interval plan's objective, evaluated
    at sample points by the evaluator on the instance with that parameter.
    """
    from .sensitivity import _Sweep

    fmt = image_format(path)
    fig, (ax,) = _figure(8.0, 4.5)
    obj = get_objective(result.objective_name)
    bandwidth = result.parameter == "bandwidth_mbps"
    idx = [i for i, lk in enumerate(instance.links) if f"{lk.source}->{lk.destination}" in result.links]
    sweep = _Sweep(instance, idx, result.parameter, obj, "auto", None)
    colours: dict[str, str] = {}
    for iv in result.intervals:
        colour = "#DDDDDD" if iv.plan is None else colours.setdefault(iv.label, _SHADES[len(colours) % len(_SHADES)])
        ax.axvspan(iv.lo, iv.hi, color=colour, alpha=0.18, lw=0)
        mid = np.sqrt(iv.lo * iv.hi) if bandwidth and iv.lo > 0 else (iv.lo + iv.hi) / 2
        ax.text(mid, 0.98, iv.label, transform=ax.get_xaxis_transform(), rotation=90, ha="center", va="top", fontsize=7)
        if iv.plan is None:
            continue
        xs = np.geomspace(iv.lo, iv.hi, 60) if bandwidth and iv.lo > 0 else np.linspace(iv.lo, iv.hi, 60)
        ys = []
        for x in xs:
            changed = sweep.at(sweep.to_u(float(x)))
            ys.append(obj.value(changed, iv.plan, evaluate(changed, iv.plan)))
        ax.plot(xs, ys, color=colour, lw=2)
    for iv in result.intervals[:-1]:
        ax.axvline(iv.hi, color="black", lw=0.6, ls=":")
    if bandwidth:
        ax.set_xscale("log")
    ax.set_xlabel(("bandwidth, Mbps" if bandwidth else "link latency, ms") + f" ({', '.join(result.links)})")
    ax.set_ylabel(result.objective_name)
    ax.set_title(f"{instance.name}: optimal plan by {'bandwidth' if bandwidth else 'link latency'} (exact breakpoints)")
    _save(fig, path, fmt)


def plot_front(instance: Instance, front: ParetoFront, path: str) -> None:
    """The Pareto front as a staircase, each point labelled with its plan; Scission's choice marked."""
    fmt = image_format(path)
    fig, (ax,) = _figure(8.0, 5.0)
    a, b = front.objectives
    from ._common import plan_label

    pts = [p.values for p in front.points]
    if pts:
        xs, ys = zip(*pts)
        ax.step(xs, ys, where="post", color="#999999", lw=0.8)
        sup = [p.values for p in front.points if p.supported]
        uns = [p.values for p in front.points if not p.supported]
        if sup:
            ax.scatter(*zip(*sup), color="#0072B2", zorder=3, label="supported")
        if uns:
            ax.scatter(*zip(*uns), color="#E69F00", marker="s", zorder=3, label="unsupported (not on a weighted sum)")
        step = max(1, len(front.points) // 15)
        for p in front.points[::step]:
            ax.annotate(plan_label(instance, p.plan), p.values, fontsize=6, xytext=(4, 4), textcoords="offset points")
    if front.reference is not None:
        ax.scatter(
            *front.reference[0],
            s=160,
            facecolors="none",
            edgecolors="#D55E00",
            lw=2,
            zorder=4,
            label="Scission's choice (latency only)",
        )
    ax.set_xlabel(a)
    ax.set_ylabel(b)
    ax.set_title(f"{instance.name}: {a} x {b} Pareto front ({len(front.points)} plans)")
    ax.legend(fontsize=7)
    _save(fig, path, fmt)
