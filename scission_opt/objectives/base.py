"""The objective plug-in protocol.

An objective is anything with a ``name`` and a ``value(instance, plan, metrics)``
method; the exhaustive solver can minimise any such objective. An *additive*
objective also supplies :class:`Terms`, per-(node, system) costs and per-hop
costs affine in the bytes sent, which the DP and MIP solvers need. ``value`` must equal the sum of the
terms along the plan; :func:`additive_value` computes that sum.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any, Protocol, TypeGuard, runtime_checkable

import numpy as np

if TYPE_CHECKING:
    from ..evaluate import Metrics
    from ..instance import Instance
    from ..plan import Plan


@dataclass(frozen=True, eq=False)
class Terms:
    """Costs of an additive objective, for one choice of origin system.

    A hop's cost is affine in the bytes it carries:
    ``hop_fixed[s, s'] + hop_per_byte[s, s'] * bytes``.

    Attributes
    ----------
    node
        ``(n, S)``: cost of running node ``i`` on system ``s``.
    hop_fixed
        ``(S, S)``: cost of any hop from ``s`` to ``s'``; ``inf`` where there is no link.
    hop_per_byte
        ``(S, S)``: cost per byte sent from ``s`` to ``s'`` (finite everywhere).
    bottleneck_weight
        Weight of the pipelined bottleneck (slowest stage or hop) added to the
        sum; only the built-in ``throughput`` and ``weighted`` objectives set it,
        and only the exhaustive and MIP solvers accept it.
    segment
        ``(S,)``: cost paid once for each contiguous segment run on system ``s``
        (its ``segment_overhead_s``, priced by the objective); ``None`` = zeros.
    """

    node: np.ndarray
    hop_fixed: np.ndarray
    hop_per_byte: np.ndarray
    boundary_bytes: np.ndarray
    bottleneck_weight: float = 0.0
    segment: np.ndarray | None = None

    @cached_property
    def segment_cost(self) -> np.ndarray:
        """``(S,)``: the per-segment cost of every system (zeros when the objective gives none)."""
        if self.segment is None:
            return np.zeros(self.hop_fixed.shape[0])
        return np.asarray(self.segment, dtype=float)

    def hop_at(self, boundary: int) -> np.ndarray:
        """``(S, S)``: cost of sending boundary ``boundary``'s bytes between every pair of systems."""
        return self.hop_fixed + self.hop_per_byte * self.boundary_bytes[boundary]

    @cached_property
    def hop(self) -> np.ndarray:
        """``(n + 1, S, S)``: every hop's cost at every boundary.

        Boundary ``b`` carries the raw input (``b = 0``) or node ``b - 1``'s output;
        boundary ``n`` is only used by the hop returning the output to the origin.
        """
        return self.hop_fixed[None, :, :] + self.hop_per_byte[None, :, :] * self.boundary_bytes[:, None, None]


@runtime_checkable
class Objective(Protocol):
    """Any objective: a name and a value for a plan (lower is better)."""

    @property
    def name(self) -> str:
        """Short name, shown in results."""
        ...

    def value(self, instance: Instance, plan: Plan, metrics: Metrics) -> float:
        """The objective value of ``plan``, from the evaluator's ``metrics``."""
        ...


@runtime_checkable
class AdditiveObjective(Objective, Protocol):
    """An objective that decomposes into node and hop costs (see :class:`Terms`)."""

    def terms(self, instance: Instance, origin: int | None) -> Terms:
        """Cost arrays when the raw input is born on system ``origin``.

        ``origin`` is ``None`` when :meth:`depends_on_origin` is false.
        """
        ...

    def depends_on_origin(self, instance: Instance) -> bool:
        """Whether the terms change with the first-tier system that holds the raw input."""
        ...


def is_additive(objective: Objective) -> TypeGuard[AdditiveObjective]:
    """Whether ``objective`` supplies :class:`Terms` (so the DP and MIP solvers can take it)."""
    return isinstance(objective, AdditiveObjective)


@dataclass(frozen=True)
class Needs:
    """What an objective needs from an instance and from a solver, declared as data.

    An objective may carry a ``needs`` attribute (or property) holding one of
    these; :func:`objective_needs` reads it, and works it out for objectives
    that do not declare it.

    Attributes
    ----------
    power
        It reads the first tier's ``compute_w`` (energy): every candidate
        first-tier system must give it.
    bottleneck
        Its value contains the pipelined bottleneck (slowest stage or hop),
        which is not a sum over segments: only solvers with the bottleneck
        feature take it.
    """

    power: bool = False
    bottleneck: bool = False

    def __or__(self, other: Needs) -> Needs:
        return Needs(self.power or other.power, self.bottleneck or other.bottleneck)


def objective_needs(objective: Objective, instance: Instance | None = None) -> Needs:
    """The objective's declared :class:`Needs`; for an undeclared additive objective, its terms decide.

    An additive objective that declares nothing has a bottleneck term when its
    terms carry a bottleneck weight (computed on ``instance``, when given).
    """
    declared: Any = getattr(objective, "needs", None)
    if isinstance(declared, Needs):
        return declared
    if instance is None or not is_additive(objective):
        return Needs()
    try:
        origin = None
        if objective.depends_on_origin(instance) and instance.candidates[0]:
            origin = instance.candidates[0][0]
        weight = objective.terms(instance, origin).bottleneck_weight
    except Exception:  # noqa: BLE001 - a plug-in that cannot build its terms here is refused later, by name
        return Needs()
    return Needs(bottleneck=bool(weight))


def additive_value(instance: Instance, plan: Plan, terms: Terms, metrics: Metrics | None = None) -> float:
    """Sum an additive objective's terms along ``plan`` (plus the weighted bottleneck).

    Each used tier pays its segment cost once and its nodes' costs; each hop pays
    ``hop_fixed`` once plus ``hop_per_byte`` times the bytes of every tensor it carries
    (:func:`scission_opt.route.transfers`), for chain and DAG plans alike.
    """
    from ..route import transfers

    sidx = instance.system_index
    total = 0.0
    for t in range(instance.n_tiers):
        if plan.used(t):
            s = sidx[plan.systems[t]]  # type: ignore[index]
            nodes = plan.node_range(t) if plan.assignment is None else list(plan.nodes_on(t))
            idx = slice(nodes.start, nodes.stop) if isinstance(nodes, range) else nodes
            total += float(terms.segment_cost[s] + terms.node[idx, s].sum())
    beta = terms.boundary_bytes
    for tr in transfers(instance, plan):
        a, b = sidx[tr.source], sidx[tr.destination]
        nbytes = float(sum(float(beta[x]) for x in tr.tensors))
        total += float(terms.hop_fixed[a, b] + terms.hop_per_byte[a, b] * nbytes)
    if terms.bottleneck_weight:
        if metrics is None:
            from ..evaluate import evaluate

            metrics = evaluate(instance, plan)
        total += terms.bottleneck_weight * metrics.bottleneck_s
    return total
