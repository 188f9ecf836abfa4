"""What both label searches share: the stacked cost tables and completion bounds, dominance, the trail.

A label search (solvers/labels.py node by node, solvers/segment_labels.py
segment by segment) carries, per partial plan, the objective so far, one
running sum per coupling resource and their priced sums. :class:`Costs`
stacks every additive table along a last axis and computes the lower bounds on
the cost still to come that prune labels; :func:`dominance_keep` drops
dominated labels; :class:`Trail` keeps the segments of every label so that a
plan can be rebuilt from its last entry.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..budget import Budget
from ..objectives import Terms
from .segments import INF, SegmentGraph

#: Multiples of the Lagrange multipliers whose priced completion bounds prune labels.
SCALES = (0.25, 0.5, 1.0, 2.0, 4.0)
#: With two or more dominance criteria besides ``A``, each label is compared with this many predecessors.
WINDOW = 24
#: Up to this many rows, two-criteria dominance runs in plain Python (faster than numpy's calls there).
FEW = 16


@dataclass(frozen=True)
class LabelProblem:
    """What the labels carry.

    Attributes
    ----------
    primary
        Additive terms of the objective (its bottleneck weight is ignored; see ``bottleneck_weight``).
    resources
        Additive terms of each coupling resource.
    caps
        Limit on each resource's total (``inf`` for none); a plan is feasible when every sum is at most its cap.
    bottleneck_weight
        Weight of the slowest stage or hop in the objective.
    track_bottleneck
        Carry the bottleneck (implied by a positive weight; :func:`pareto_labels` sets it alone).
    multipliers
        Lagrange multipliers of the resources (from solvers/coupling.py): they sharpen the
        bound ``A + sum(w * (R - cap)) + least priced cost to come`` that prunes labels.
    """

    primary: Terms
    resources: tuple[Terms, ...] = ()
    caps: tuple[float, ...] = ()
    bottleneck_weight: float = 0.0
    track_bottleneck: bool = False
    multipliers: tuple[float, ...] = ()

    @property
    def tracks(self) -> bool:
        return self.track_bottleneck or self.bottleneck_weight > 0


class OutOfTime(Exception):
    """The budget ran out while the search was being set up."""


class Costs:
    """Every additive table stacked along a last axis: the objective, each resource, then their priced sum.

    The last columns are ``A + x * sum(multipliers * R)`` for each scale ``x``, priced
    costs. Per column, ``prefix[e, s]`` sums ``s``'s node costs before ``e``, and
    lower bounds on the cost still to come (windows ignored) are held for a plan
    running on ``s`` at ``e`` (``rest``), one whose segment on ``s`` ends at ``e``
    (``close``), and one that runs node ``e`` on ``s`` (``stay``): see :meth:`_completion`.
    """

    def __init__(self, graph: SegmentGraph, problem: LabelProblem, budget: Budget) -> None:
        self.budget = budget
        tables = [problem.primary, *problem.resources]
        self.m = m = len(problem.resources)
        lam = np.array(problem.multipliers or (0.0,) * m)
        # priced columns: A + scale * lambda . R for a few scales; each gives a valid bound, the best prunes
        self.scales = [x for x in SCALES if np.any(lam > 0)]
        prices = np.array([[1.0, *(x * lam)] for x in self.scales]).reshape(-1, m + 1).T  # (m+1, P)

        def stack(values: list[np.ndarray]) -> np.ndarray:
            cols = np.stack(values, axis=-1)
            return np.concatenate([cols, cols @ prices], axis=-1)

        self.node = stack([t.node for t in tables])  # (n, S, m+2)
        self.seg = stack([t.segment_cost for t in tables])  # (S, m+2)
        self.fixed = stack([np.where(np.isfinite(t.hop_fixed), t.hop_fixed, 0.0) for t in tables])
        self.per_byte = stack([t.hop_per_byte for t in tables])
        self.caps = np.array([INF, *problem.caps])
        finite_caps = np.where(np.isfinite(self.caps[1:]), self.caps[1:], 0.0)
        self.shifts = np.array([x * float(np.dot(lam, finite_caps)) for x in self.scales])
        self.graph = graph
        n, S = graph.n, graph.S
        #: ``allowed[e - 1, s, s']``: the hop from ``s`` to ``s'`` at inner boundary ``e`` is permitted
        inner = np.arange(1, n)
        self.allowed = np.isfinite(graph.hop_cost(inner, np.arange(S))) if n > 1 else np.zeros((0, S, S), bool)
        #: ``can_hop[e - 1, s]``: some hop leaves ``s`` at inner boundary ``e``
        self.can_hop: np.ndarray = np.any(self.allowed, axis=2)
        self.prefix, self.close, self.stay, self.rest = self._completion(graph)

    def hop(self, e: int) -> np.ndarray:
        """``(S, S, m+2)``: every hop's costs at boundary ``e``."""
        return self.fixed + self.per_byte * self.graph.beta[e]

    def hops(self, e: int, snd: np.ndarray, rec: np.ndarray) -> np.ndarray:
        """``(L, m+2)``: the costs of the hops ``snd -> rec`` at boundary ``e``."""
        return self.fixed[snd, rec] + self.per_byte[snd, rec] * self.graph.beta[e]

    def back(self, sys: np.ndarray) -> np.ndarray:
        """``(L, m+2)``: the return hop's costs from each system to the origin (0 on the first tier)."""
        if not self.graph.instance.return_output:
            return np.zeros((len(sys), self.node.shape[2]))
        o, n = self.graph.group[0], self.graph.n
        cost = self.fixed[sys, o] + self.per_byte[sys, o] * self.graph.beta[n]
        return np.where(self.graph.first[sys][:, None], 0.0, cost)

    def _completion(self, graph: SegmentGraph) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """``(prefix, close, stay, rest)``, each ``(n + 1, S, columns)``, a tier at a time, last tier first.

        ``close[e, s]``: the least cost of finishing a plan whose segment on ``s``
        ends at boundary ``e`` (a hop to a later tier at ``e < n``, or the end at
        ``n``); ``stay[e, s] = node[e, s] + rest[e + 1, s]``; and ``rest[e, s] =
        min over e' >= e of (prefix[e', s] - prefix[e, s] + close[e', s])``, a
        suffix minimum over all boundaries at once, since hops only go to later
        tiers. Windows are ignored, so each is a lower bound.
        """
        n, S, C = graph.n, graph.S, self.node.shape[2]
        prefix = np.zeros((n + 1, S, C))
        np.cumsum(self.node, axis=0, out=prefix[1:])
        close = np.full((n + 1, S, C), INF)
        ends = np.isfinite(graph.end_costs())
        close[n] = np.where(ends[:, None], self.back(np.arange(S)), INF)
        rest = np.full((n + 1, S, C), INF)
        stay = np.full((n + 1, S, C), INF)
        inner = self.graph.beta[1:n, None, None, None]
        for t in np.unique(graph.tier)[::-1]:
            if self.budget.expired():
                raise OutOfTime
            members = np.flatnonzero(graph.tier == t)
            later = np.flatnonzero(graph.tier > t)
            if n > 1 and len(later):
                m, r = np.ix_(members, later)
                hop = self.fixed[m, r][None] + self.per_byte[m, r][None] * inner  # (n-1, M, L, C)
                hop += (self.seg[later][None] + stay[1:n, later])[:, None]
                hop[~self.allowed[:, m, r]] = INF
                close[1:n, members] = hop.min(axis=2)
            total = prefix[:, members] + close[:, members]
            rest[:, members] = np.minimum.accumulate(total[::-1], axis=0)[::-1] - prefix[:, members]
            stay[:n, members] = self.node[:, members] + rest[1:, members]
        rest[0] = INF  # a plan is never at boundary 0 on a system before running node 0
        return prefix, close, stay, rest


def dominance_keep_few(key: np.ndarray, crit: np.ndarray) -> np.ndarray:
    """:func:`dominance_keep` for two criteria and a few rows, in plain Python (numpy calls cost more there)."""
    rows = sorted(zip(key.tolist(), crit[:, 0].tolist(), crit[:, 1].tolist(), range(len(key))))
    keep = np.zeros(len(key), dtype=bool)
    group, least = None, math.inf
    for k, _, second, i in rows:
        if k != group:
            group, least = k, second
            keep[i] = True
        elif second < least:
            least = second
            keep[i] = True
    return keep


def dominance_keep(key: np.ndarray, crit: np.ndarray) -> np.ndarray:
    """Rows not dominated inside their key group: ``crit[:, 0]`` first, all criteria no larger, one kept of equals."""
    m = len(key)
    if m <= 1:
        return np.ones(m, dtype=bool)
    if m <= FEW and crit.shape[1] == 2 and np.isfinite(crit).all():
        return dominance_keep_few(key, crit)
    order = np.lexsort([*crit.T[::-1], key])
    k, c = key[order], crit[order]
    new_group = np.concatenate([[True], k[1:] != k[:-1]])
    keep = np.ones(m, dtype=bool)
    keep[1:] = new_group[1:] | ~np.all(c[1:] == c[:-1], axis=1)  # one of equal labels
    d = c.shape[1] - 1
    if d == 0:
        keep &= new_group
    elif d == 1:
        # ranks make the running minimum exact; a group offset keeps it inside the group
        rank = np.unique(c[:, 1], return_inverse=True)[1].astype(np.int64)
        gid = np.cumsum(new_group) - 1
        shifted = rank - gid * (m + 1)
        run = np.minimum.accumulate(shifted)
        before = np.concatenate([[np.iinfo(np.int64).max], run[:-1]])
        before = np.where(new_group, np.iinfo(np.int64).max, before)
        keep &= before > shifted
    else:
        for w in range(1, min(WINDOW, m - 1) + 1):
            same = k[w:] == k[:-w]
            dominated = same & np.all(c[:-w, 1:] <= c[w:, 1:], axis=1)
            keep[w:] &= ~dominated
    out = np.empty(m, dtype=bool)
    out[order] = keep
    return out


class Trail:
    """Segments as a linked list: each entry is (previous entry, system, start, origin)."""

    def __init__(self) -> None:
        self.parts: list[np.ndarray] = []
        self.size = 0

    def add(self, prev: np.ndarray, system: np.ndarray, start: np.ndarray, origin: np.ndarray) -> np.ndarray:
        ids = np.arange(self.size, self.size + len(prev))
        self.parts.append(np.stack([prev, system, start, origin], axis=1))
        self.size += len(prev)
        return ids

    def segments(self, entry: int) -> tuple[int, list[tuple[int, int]]]:
        table = np.concatenate(self.parts) if len(self.parts) > 1 else self.parts[0]
        self.parts = [table]
        out = []
        origin = -1
        while entry >= 0:
            prev, system, start, origin = (int(x) for x in table[entry])
            out.append((system, start))
            entry = prev
        return origin, out


class Labels:
    """All live labels of one boundary, column by column."""

    def __init__(self, sys: Any, b0: Any, val: Any, big: Any, trail: Any) -> None:
        self.sys, self.b0, self.val, self.big, self.trail = sys, b0, val, big, trail

    def take(self, idx: np.ndarray) -> Labels:
        return Labels(self.sys[idx], self.b0[idx], self.val[idx], self.big[idx], self.trail[idx])

    @staticmethod
    def join(parts: list[Labels]) -> Labels:
        return Labels(*(np.concatenate([getattr(p, a) for p in parts]) for a in ("sys", "b0", "val", "big", "trail")))

    def __len__(self) -> int:
        return len(self.sys)


def stage(graph: SegmentGraph, sys: np.ndarray, b0: np.ndarray, e: int) -> np.ndarray:
    return graph.overhead[sys] + graph.comp[sys, e] - graph.comp[sys, b0]


def starts(graph: SegmentGraph, costs: Costs, trail: Trail, track: bool) -> Labels:
    """Labels at boundary 0: the origin runs tier 0 itself, or sends the raw input to a later tier."""
    parts = []
    group = np.array(graph.group)
    if graph.tier0_allowed and len(group):
        ids = trail.add(np.full(len(group), -1), group, np.zeros(len(group), np.int64), group)
        parts.append(Labels(group, np.zeros(len(group), np.int64), costs.seg[group].copy(), np.zeros(len(group)), ids))
    source = graph.source_costs()  # (|group|, S)
    oi, rec = np.nonzero(np.isfinite(source))
    if len(oi):
        o = group[oi]
        val = costs.hop(0)[o, rec] + costs.seg[rec]
        with np.errstate(invalid="ignore", divide="ignore"):
            big = graph.link_s[o, rec] + graph.beta[0] / graph.bps[o, rec] if track else np.zeros(len(o))
        ids = trail.add(np.full(len(o), -1), rec, np.zeros(len(o), np.int64), o)
        parts.append(Labels(rec, np.zeros(len(o), np.int64), val, np.nan_to_num(big), ids))
    if not parts:
        return Labels(
            np.zeros(0, np.int64),
            np.zeros(0, np.int64),
            np.zeros((0, costs.seg.shape[1])),
            np.zeros(0),
            np.zeros(0, np.int64),
        )
    return Labels.join(parts)


__all__ = ["Costs", "LabelProblem", "Labels", "OutOfTime", "Trail", "dominance_keep", "stage", "starts"]
