"""The backend-neutral arc-flow model: arcs as flat arrays, rows as COO blocks, and decoding.

formulations/chain-mip.md writes the model out with the symbols used here. A plan
is a path through states ``(b, s)`` = "node ``b`` runs on system ``s``". Columns
``0 .. m-1`` are the arcs (binary), in the order source arcs, transitions, sink
arcs; further columns (:class:`ExtraColumn`) are continuous.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from ...plan import Plan

if TYPE_CHECKING:
    from ...instance import Instance
    from ...objectives import Terms

#: Arc kinds.
SRC, TRANS, SNK = 0, 1, 2


@dataclass(frozen=True)
class RowBlock:
    """A block of linear rows ``lo <= sum(val * x[col]) <= hi`` (COO, local row numbers).

    ``kind`` tells the CP-SAT backend how to turn it into integers: ``exact``
    (already integral), ``limit`` (round conservatively: coefficients up,
    right-hand side down) or ``bottleneck`` (time rows of the bottleneck
    variable, rounded to the objective's resolution).
    """

    name: str
    kind: str
    row: np.ndarray
    col: np.ndarray
    val: np.ndarray
    lo: np.ndarray
    hi: np.ndarray

    @property
    def n_rows(self) -> int:
        return len(self.lo)


@dataclass(frozen=True)
class ExtraColumn:
    """A continuous column besides the arcs: ``A_s`` (memory), ``Y_s(j)`` (memory windows) or ``Z`` (bottleneck)."""

    name: str
    lb: float
    ub: float
    obj: float
    block: str  # the row block whose unit it is measured in


def node_plan(instance: Instance, origin: int, node_sys: np.ndarray) -> Plan:
    """The plan that runs node ``i`` on system ``node_sys[i]`` with the raw input born on ``origin``.

    ``node_sys`` must be monotone in tier (a path of the model); the plan's shape is
    checked by the caller (the evaluator).
    """
    n, T = instance.n_nodes, instance.n_tiers
    tier_of_node = instance.system_tier[node_sys]
    bounds = [int(np.searchsorted(tier_of_node, t, side="left")) for t in range(T)] + [n]
    names: list[str | None] = [None] * T
    names[0] = instance.systems[origin].name
    for t in range(1, T):
        if bounds[t + 1] > bounds[t]:
            names[t] = instance.systems[int(node_sys[bounds[t]])].name
    return Plan(tuple(bounds), tuple(names))


def plan_node_systems(instance: Instance, plan: Plan) -> np.ndarray:
    """``(n,)``: the system index that runs each node of ``plan``."""
    sidx = instance.system_index
    node_sys = np.empty(instance.n_nodes, dtype=np.int64)
    for t in range(instance.n_tiers):
        if plan.used(t):
            node_sys[plan.bounds[t] : plan.bounds[t + 1]] = sidx[plan.systems[t]]  # type: ignore[index]
    return node_sys


@dataclass
class ArcModel:
    """One arc-flow model (one group of origins). Columns ``0..m-1`` are the arcs.

    Mutable only in what the driver adds while it asks for more plans: ``cuts``
    (no-good rows, arc indices of excluded paths) and ``hint`` (the arcs of a
    known feasible plan, a starting solution for the backend).
    """

    instance: Instance
    origins: tuple[int, ...]
    terms: Terms
    kind: np.ndarray  # SRC, TRANS or SNK
    node: np.ndarray  # head node (src, trans); n for snk
    tail: np.ndarray  # tail system (the origin for src)
    head: np.ndarray  # head system (-1 for snk)
    cost: np.ndarray  # objective terms
    hop: np.ndarray  # bool: the arc is a hop (src into a later tier, trans between systems, snk with return)
    blocks: list[RowBlock]
    extras: list[ExtraColumn]
    lower_bound: float  # shortest path value, ignoring rows: a lower bound on the objective
    cuts: list[np.ndarray] = field(default_factory=list)
    hint: np.ndarray | None = None
    _sorted: tuple[np.ndarray, np.ndarray] | None = field(default=None, repr=False)

    @property
    def n_arcs(self) -> int:
        return len(self.kind)

    @property
    def n_cols(self) -> int:
        return self.n_arcs + len(self.extras)

    @property
    def bottleneck_weight(self) -> float:
        return float(self.terms.bottleneck_weight)

    def _codes(self, kind: np.ndarray, node: np.ndarray, tail: np.ndarray, head: np.ndarray) -> np.ndarray:
        n, S = self.instance.n_nodes, self.instance.n_systems
        kind = np.asarray(kind, dtype=np.int64)
        return ((kind * (n + 1) + np.asarray(node)) * S + np.asarray(tail)) * (S + 1) + np.asarray(head) + 1

    def arcs_of(self, plan: Plan) -> np.ndarray | None:
        """The arcs of ``plan`` in this model, or ``None`` when one of them was pruned."""
        inst = self.instance
        n = inst.n_nodes
        origin = inst.system_index[plan.origin]
        if origin not in self.origins or self.n_arcs == 0:
            return None
        node_sys = plan_node_systems(inst, plan)
        kind = np.concatenate([[SRC], np.full(n - 1, TRANS), [SNK]])
        node = np.concatenate([[0], np.arange(1, n), [n]])
        tail = np.concatenate([[origin], node_sys[:-1], [node_sys[-1]]])
        head = np.concatenate([node_sys, [-1]])
        if self._sorted is None:
            codes = self._codes(self.kind, self.node, self.tail, self.head)
            order = np.argsort(codes)
            self._sorted = (codes[order], order)
        codes, order = self._sorted
        want = self._codes(kind, node, tail, head)
        pos = np.minimum(np.searchsorted(codes, want), len(codes) - 1)
        if not np.array_equal(codes[pos], want):
            return None
        return order[pos]

    def path_arcs(self, plan_arcs: np.ndarray) -> np.ndarray:
        """The arcs a no-good row needs: source, hops and sink (the stays follow from them)."""
        keep = (self.kind[plan_arcs] != TRANS) | self.hop[plan_arcs]
        return np.sort(plan_arcs[keep])

    def add_cut(self, plan_arcs: np.ndarray) -> None:
        self.cuts.append(self.path_arcs(plan_arcs))

    def is_cut(self, plan_arcs: np.ndarray) -> bool:
        """Whether a no-good row already excludes this path."""
        key = self.path_arcs(plan_arcs)
        return any(len(c) == len(key) and np.array_equal(c, key) for c in self.cuts)

    def decode(self, chosen: np.ndarray) -> tuple[Plan, np.ndarray]:
        """The plan of a 0/1 solution (indices of arcs at 1), and those arcs."""
        inst = self.instance
        n = inst.n_nodes
        chosen = np.asarray(chosen, dtype=np.int64)
        kinds = self.kind[chosen]
        src, tr = chosen[kinds == SRC], chosen[kinds == TRANS]
        if len(src) != 1 or len(tr) != n - 1 or np.sum(kinds == SNK) != 1:
            raise AssertionError("the solution is not one path through the arc-flow model")
        origin = int(self.tail[src[0]])
        node_sys = np.full(n, -1, dtype=np.int64)
        node_sys[0] = self.head[src[0]]
        node_sys[self.node[tr]] = self.head[tr]
        if (node_sys < 0).any():
            raise AssertionError("the solution leaves a node unassigned")
        tier_of_node = inst.system_tier[node_sys]
        if (np.diff(tier_of_node) < 0).any():
            raise AssertionError("the solution goes back to an earlier tier")
        if tier_of_node[0] == 0 and node_sys[0] != origin:
            raise AssertionError("the first tier runs on a system other than the origin")
        return node_plan(inst, origin, node_sys), chosen
