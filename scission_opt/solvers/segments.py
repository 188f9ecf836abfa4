"""The segment graph the DP-based methods share: segment windows, hop costs, sources and ends.

A path over boundaries ``b`` (just before node ``b``) and systems ``s`` runs one
contiguous *segment* per used tier and hops forward between tiers. Every
per-segment constraint becomes a window of allowed segment starts
(:func:`segment_starts`) or a pruned hop (:meth:`SegmentGraph.hop_cost`).
An optional *period limit* ``theta`` (every stage and hop time at most
``theta``) turns the same graph into the feasibility test of the bottleneck
methods (solvers/bottleneck.py).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from ..evaluate import limit_slack
from ..plan import Plan
from .base import allowed_nodes

if TYPE_CHECKING:
    from ..instance import Instance

INF = np.inf


def sparse_table(values: np.ndarray, op: Any) -> list[np.ndarray]:
    """``table[j][i] = op(values[i : i + 2**j])`` along axis 0."""
    table = [values]
    j = 1
    while (1 << j) <= len(values):
        prev = table[-1]
        half = 1 << (j - 1)
        table.append(op(prev[:-half], prev[half:]))
        j += 1
    return table


def range_query(
    table: list[np.ndarray], op: Any, a: np.ndarray, b: np.ndarray, empty: float, cols: np.ndarray | None = None
) -> np.ndarray:
    """``op`` over ``values[a:b]`` elementwise (``empty`` where ``a >= b``); ``cols`` picks columns of a 2-D table."""
    out = np.full(a.shape, empty, dtype=float)
    nonempty = b > a
    level = np.zeros(a.shape, dtype=np.int64)
    level[nonempty] = np.floor(np.log2(b[nonempty] - a[nonempty])).astype(np.int64)
    if cols is not None:
        cols = np.broadcast_to(cols, a.shape)
    for j in range(len(table)):
        sel = nonempty & (level == j)
        if not sel.any():
            continue
        t = table[j]
        aa, bb = a[sel], b[sel] - (1 << j)
        if cols is None:
            out[sel] = op(t[aa], t[bb])
        else:
            cc = cols[sel]
            out[sel] = op(t[aa, cc], t[bb, cc])
    return out


def memory_starts(param: np.ndarray, act: np.ndarray, caps: np.ndarray) -> np.ndarray:
    """``lo[e, j]``: the smallest ``b`` with ``sum(param[b:e]) + max(act[b:e]) <= caps[j]`` (``e`` if none).

    Memory shrinks as ``b`` grows, so each ``lo`` is a binary search, run for every
    boundary and capacity at once with a sparse table for the range maximum.
    """
    n = len(param)
    params = np.concatenate([[0.0], np.cumsum(param)])
    table = sparse_table(act, np.maximum)
    e_grid = np.broadcast_to(np.arange(n + 1)[:, None], (n + 1, len(caps)))
    low = np.zeros((n + 1, len(caps)), dtype=np.int64)
    high = e_grid.copy()  # memory of an empty segment is 0: always fits
    while np.any(low < high):
        mid = (low + high) // 2
        memory = params[e_grid] - params[mid] + range_query(table, np.maximum, mid, e_grid, 0.0)
        fits = memory <= caps[None, :]
        high = np.where(fits, mid, high)
        low = np.where(fits, low, mid + 1)
    return low


def overheads(instance: Instance) -> np.ndarray:
    """``(S,)``: every system's fixed cost per segment, in seconds."""
    return np.array([s.segment_overhead_s for s in instance.systems], dtype=float)


def compute_prefix(instance: Instance) -> np.ndarray:
    """``(S, n + 1)``: prefix sums of the node latencies on every system."""
    prefix = np.zeros((instance.n_systems, instance.n_nodes + 1))
    prefix[:, 1:] = np.cumsum(instance.latency, axis=1)
    return prefix


def time_starts(prefix: np.ndarray, overhead: np.ndarray, limits: np.ndarray) -> np.ndarray:
    """``lo[e, s]``: smallest ``b`` with ``overhead[s] + prefix[s, e] - prefix[s, b] <= limits[s]``.

    ``e + 1`` (an empty window) where even the fixed cost alone exceeds the limit.
    """
    S, n1 = prefix.shape
    lo = np.zeros((n1, S), dtype=np.int64)
    for s in range(S):
        if np.isinf(limits[s]):
            continue
        room = limits[s] - overhead[s]
        if room < 0:
            lo[:, s] = np.arange(n1) + 1
        else:
            lo[:, s] = np.searchsorted(prefix[s], prefix[s] - room, side="left")
    return lo


def segment_starts(instance: Instance) -> np.ndarray:
    """``lo[e, s]``: smallest feasible start of a segment ending at ``e`` on ``s`` (``e`` if none).

    Combines node bans (pins, bans, privacy, filters, forbidden tiers), memory
    capacity and absolute compute-time limits (the segment's fixed cost
    included); non-decreasing in ``e``.
    """
    n, S = instance.n_nodes, instance.n_systems
    ok = allowed_nodes(instance)
    ends = np.arange(n + 1)
    # last banned node before e, plus one
    banned_pos = np.where(~ok, np.arange(n)[:, None] + 1, 0)
    lo = np.zeros((n + 1, S), dtype=np.int64)
    lo[1:] = np.maximum.accumulate(banned_pos, axis=0)

    c = instance.constraints
    limits = np.array(
        [INF if (v := c.compute_time_limit_s[t]) is None else limit_slack(v) for t in instance.system_tier]
    )
    if np.isfinite(limits).any():
        lo = np.maximum(lo, time_starts(compute_prefix(instance), overheads(instance), limits))

    most = float(instance.param_bytes.sum() + instance.activation_bytes.max())
    capped = [
        s for s, system in enumerate(instance.systems) if system.memory_bytes is not None and system.memory_bytes < most
    ]
    if capped:
        caps = np.array([limit_slack(instance.systems[s].memory_bytes) for s in capped])  # type: ignore[arg-type]
        lo[:, capped] = np.maximum(lo[:, capped], memory_starts(instance.param_bytes, instance.activation_bytes, caps))
    return np.minimum(lo, ends[:, None])


class SegmentGraph:
    """The pruned layered graph for one group of origins and one set of additive terms.

    Attributes hold prefix sums of node costs (``cost``) and compute times
    (``comp``), each system's per-segment cost (``seg``) and fixed time
    (``overhead``), the static hop permission ``forward`` (tier order, a link,
    no required tier skipped) and the data of the per-hop checks (upload limit,
    first-tier energy budget, optional period limit ``theta``).
    """

    def __init__(
        self, instance: Instance, terms: Any, group: list[int], lo: np.ndarray, theta: float | None = None
    ) -> None:
        c = instance.constraints
        n, S, T = instance.n_nodes, instance.n_systems, instance.n_tiers
        self.instance, self.terms, self.group = instance, terms, group
        self.n, self.S = n, S
        self.tier = tier = instance.system_tier
        self.beta = instance.boundary_bytes
        self.first = tier == 0
        self.cost = np.zeros((S, n + 1))
        self.cost[:, 1:] = np.cumsum(terms.node.T, axis=1)
        self.seg = terms.segment_cost
        self.comp = compute_prefix(instance)
        self.overhead = overheads(instance)
        self.theta = theta
        if theta is not None:
            lo = np.minimum(
                np.maximum(lo, time_starts(self.comp, self.overhead, np.full(S, theta))), np.arange(n + 1)[:, None]
            )
        self.lo = lo
        required = np.zeros(T, dtype=bool)
        required[list(c.tiers_required)] = True
        req_prefix = np.concatenate([[0], np.cumsum(required)])
        skipped = req_prefix[tier[None, :]] - req_prefix[tier[:, None] + 1]  # required tiers strictly between
        self.forward = (tier[:, None] < tier[None, :]) & instance.has_link & (skipped == 0)
        upload = [c.upload_limit_bytes[t] for t in tier]
        self.upload_slack = np.array([INF if u is None else limit_slack(u) for u in upload])
        self.budget = limit_slack(c.energy_budget_j) if c.energy_budget_j is not None else None
        self.compute_w = np.array([s.compute_w or 0.0 for s in instance.systems])
        self.tx = np.nan_to_num(instance.link_tx_w, nan=0.0)
        self.bps = instance.link_bytes_per_s
        self.link_s = np.nan_to_num(instance.link_latency_s, nan=0.0)
        self.last_required = max(c.tiers_required) if c.tiers_required else -1
        self.tier0_allowed = 0 not in c.tiers_forbidden
        self.skip_tier0_allowed = 0 not in c.tiers_required

    def hop_time(self, beta: np.ndarray, senders: np.ndarray, receivers: np.ndarray) -> np.ndarray:
        """Hop times for bytes ``beta`` (any leading shape + ``(1, 1)``) between senders and receivers."""
        with np.errstate(invalid="ignore", divide="ignore"):
            return self.link_s[np.ix_(senders, receivers)] + beta / self.bps[np.ix_(senders, receivers)]

    def hop_cost(self, e: np.ndarray, senders: np.ndarray, receivers: np.ndarray | None = None) -> np.ndarray:
        """``(len(e), len(senders), len(receivers))`` hop costs at boundaries ``e``; ``inf`` where not allowed."""
        if receivers is None:
            receivers = np.arange(self.S)
        beta = self.beta[e][:, None, None]
        fixed = self.terms.hop_fixed[np.ix_(senders, receivers)]
        fixed = np.where(self.forward[np.ix_(senders, receivers)], fixed, INF)
        cost = fixed[None] + self.terms.hop_per_byte[np.ix_(senders, receivers)][None] * beta
        limits = self.upload_slack[senders]
        if np.isfinite(limits).any():
            cost = np.where(beta <= limits[None, :, None], cost, INF)
        if self.theta is not None:
            cost = np.where(self.hop_time(beta, senders, receivers) <= self.theta, cost, INF)
        if self.budget is not None and self.first[senders].any():
            bps = self.bps[np.ix_(senders, receivers)]
            ran = (e > 0)[:, None] * self.overhead[senders][None, :]  # a sender that ran a segment paid its fixed cost
            with np.errstate(invalid="ignore"):
                energy = self.compute_w[senders][None, :, None] * (self.comp[senders][:, e].T + ran)[
                    :, :, None
                ] + self.tx[np.ix_(senders, receivers)][None] * (beta / bps[None])
            ok = ~self.first[senders][None, :, None] | (energy <= self.budget)
            cost = np.where(ok, cost, INF)
        return cost

    def source_costs(self) -> np.ndarray:
        """``(|group|, S)``: cost of the origin sending the raw input to each system (tier 0 unused)."""
        if not self.skip_tier0_allowed:
            return np.full((len(self.group), self.S), INF)
        return self.hop_cost(np.array([0]), np.array(self.group))[0]

    def end_costs(self) -> np.ndarray:
        """``(S,)``: cost added when a path ends on ``s`` at boundary ``n`` (``inf`` where it may not)."""
        n, inst = self.n, self.instance
        end = np.zeros(self.S)
        end[self.tier < self.last_required] = INF
        if self.budget is not None:
            end[self.first & (self.compute_w * (self.comp[:, n] + self.overhead) > self.budget)] = INF
        in_group = np.zeros(self.S, dtype=bool)
        in_group[self.group] = True
        end[self.first & ~in_group] = INF
        if inst.return_output:
            o = self.group[0]
            ok = inst.has_link[:, o] & (self.beta[n] <= self.upload_slack)
            if self.theta is not None:
                ok &= self.hop_time(np.array([[self.beta[n]]]), np.arange(self.S), np.array([o]))[:, 0] <= self.theta
            back = np.where(ok, self.terms.hop_fixed[:, o] + self.terms.hop_per_byte[:, o] * self.beta[n], INF)
            end[~self.first] += back[~self.first]
        return end

    def plan(self, origin: int, segments: list[tuple[int, int]]) -> Plan:
        """Build the plan from the origin and ``(system, start)`` of each used segment."""
        inst = self.instance
        T = inst.n_tiers
        bounds = [0] * (T + 1)
        bounds[T] = self.n
        names: list[str | None] = [None] * T
        names[0] = inst.systems[origin].name
        start_of = {int(self.tier[s]): (b, s) for s, b in segments}
        nxt = self.n
        for t in range(T - 1, 0, -1):
            if t in start_of:
                nxt = start_of[t][0]
                names[t] = inst.systems[start_of[t][1]].name
            bounds[t] = nxt
        return Plan(tuple(bounds), tuple(names))
