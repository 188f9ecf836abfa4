"""Segment dynamic programme: exact for additive objectives and per-segment constraints.

States are boundaries ``b`` (just before node ``b``) on systems ``s``. A path
starts at the origin system, runs one contiguous *segment* per used tier, and
hops forward between tiers. Every constraint this solver accepts depends on one
segment or one hop only, so it is enforced by pruning:

* pins, bans, privacy, system filters, forbidden tiers: nodes a system may not
  run shrink the window of segment starts;
* memory capacity and absolute compute-time limits: a segment ``[b, e)`` on
  ``s`` is feasible for ``b >= lo(e, s)``, with ``lo`` non-decreasing in ``e``;
* required tiers: hops may not skip them and the path may not end before them;
* upload limits and the first-tier energy budget: pruned hops (the first
  tier's energy is its one segment plus its one upload when ``idle_w = 0``).

Constraints that couple segments (percentage time limits, the deadline, energy
with ``idle_w``) and the bottleneck objective are refused by name; the MIP and
exhaustive solvers take them. The ``k`` best paths are kept per state for top-k.
formulations/segment-dp.md writes the recursion out.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import numpy as np

from ..errors import UnsupportedError
from ..evaluate import limit_slack
from ..objectives import Objective, is_additive
from ..plan import Plan
from ..result import SolveResult, Status
from .base import allowed_nodes, chain_problem, finish, origins, require_supported

if TYPE_CHECKING:
    from ..instance import Instance

INF = np.inf


def _uses_bottleneck(objective: Objective) -> bool:
    if objective.name == "throughput":
        return True
    return any(k == "throughput" and w for k, w in getattr(objective, "weights", ()))


def _sparse_table(values: np.ndarray, op) -> list[np.ndarray]:  # type: ignore[no-untyped-def]
    """``table[j][i] = op(values[i : i + 2**j])`` along axis 0."""
    table = [values]
    j = 1
    while (1 << j) <= len(values):
        prev = table[-1]
        half = 1 << (j - 1)
        table.append(op(prev[:-half], prev[half:]))
        j += 1
    return table


def _range_query(table: list[np.ndarray], op, a: np.ndarray, b: np.ndarray, empty: float, cols=None) -> np.ndarray:  # type: ignore[no-untyped-def]
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
    table = _sparse_table(act, np.maximum)
    e_grid = np.broadcast_to(np.arange(n + 1)[:, None], (n + 1, len(caps)))
    low = np.zeros((n + 1, len(caps)), dtype=np.int64)
    high = e_grid.copy()  # memory of an empty segment is 0: always fits
    while np.any(low < high):
        mid = (low + high) // 2
        memory = params[e_grid] - params[mid] + _range_query(table, np.maximum, mid, e_grid, 0.0)
        fits = memory <= caps[None, :]
        high = np.where(fits, mid, high)
        low = np.where(fits, low, mid + 1)
    return low


def segment_starts(instance: "Instance") -> np.ndarray:
    """``lo[e, s]``: smallest feasible start of a segment ending at ``e`` on ``s`` (``e`` if none).

    Combines node bans (pins, bans, privacy, filters, forbidden tiers), memory
    capacity and absolute compute-time limits; non-decreasing in ``e``.
    """
    n, S = instance.n_nodes, instance.n_systems
    ok = allowed_nodes(instance)
    ends = np.arange(n + 1)
    # last banned node before e, plus one
    banned_pos = np.where(~ok, np.arange(n)[:, None] + 1, 0)
    lo = np.zeros((n + 1, S), dtype=np.int64)
    lo[1:] = np.maximum.accumulate(banned_pos, axis=0)

    prefix = np.zeros((S, n + 1))
    prefix[:, 1:] = np.cumsum(instance.latency, axis=1)
    c = instance.constraints
    for s, system in enumerate(instance.systems):
        limit = c.compute_time_limit_s[instance.system_tier[s]]
        if limit is not None:
            # smallest b with prefix[e] - prefix[b] <= limit
            first_ok = np.searchsorted(prefix[s], prefix[s] - limit_slack(limit), side="left")
            lo[:, s] = np.maximum(lo[:, s], first_ok)

    most = float(instance.param_bytes.sum() + instance.activation_bytes.max())
    capped = [s for s, system in enumerate(instance.systems) if system.memory_bytes is not None and system.memory_bytes < most]
    if capped:
        caps = np.array([limit_slack(instance.systems[s].memory_bytes) for s in capped])  # type: ignore[arg-type]
        lo[:, capped] = np.maximum(lo[:, capped], memory_starts(instance.param_bytes, instance.activation_bytes, caps))
    return np.minimum(lo, ends[:, None])


class SegmentDP:
    """Exact dynamic programme over (boundary, system) with whole-segment transitions."""

    name = "dp"

    def is_available(self) -> bool:
        return True

    def unsupported(self, instance: "Instance", objective: Objective) -> str | None:
        why = chain_problem(instance)
        if why:
            return why
        if not is_additive(objective):
            return f"objective {objective.name!r} is not additive (no terms())"
        if _uses_bottleneck(objective):
            return "the throughput (bottleneck) objective couples all stages"
        c = instance.constraints
        if any(v is not None for v in c.compute_time_limit_pct):
            return "compute-time limits in percent couple all tiers"
        if c.deadline_s is not None:
            return "an end-to-end deadline couples all segments"
        if c.energy_budget_j is not None and any(instance.systems[s].idle_w for s in instance.candidates[0]):
            return "the energy budget with idle_w depends on the end-to-end latency"
        return None

    def solve(
        self, instance: "Instance", objective: Objective, *, top_k: int = 1, time_limit: float | None = None
    ) -> SolveResult:
        started = time.perf_counter()
        require_supported(self, instance, objective)
        found: list[tuple[float, Plan]] = []
        per_origin = instance.return_output or objective.depends_on_origin(instance)  # type: ignore[attr-defined]
        origin_list = origins(instance)
        groups = [[o] for o in origin_list] if per_origin else ([origin_list] if origin_list else [])
        shared = None if per_origin else objective.terms(instance, None)  # type: ignore[attr-defined]
        lo = segment_starts(instance)
        for group in groups:
            terms = shared if shared is not None else objective.terms(instance, group[0])  # type: ignore[attr-defined]
            if terms.bottleneck_weight:
                raise UnsupportedError("solver 'dp' cannot solve this instance: the objective's terms use the bottleneck")
            found += _sweep(instance, terms, group, lo) if top_k == 1 else _paths(instance, terms, group, lo, top_k)
        found.sort(key=lambda x: x[0])
        plans = [p for _, p in found[:top_k]]
        return finish(
            instance,
            objective,
            self.name,
            plans,
            status=Status.OPTIMAL if plans else Status.INFEASIBLE,
            started=started,
            top_k=top_k,
        )


def _kbest(values: np.ndarray, k: int, axis: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """The ``k`` smallest of a 1-D or 2-D array along ``axis`` (sorted) and their indices.

    Missing entries (fewer than ``k`` candidates) are ``inf`` with index ``-1``.
    Plain fancy indexing instead of ``take_along_axis``: this runs once per node
    and boundary, where numpy's per-call overhead is the cost.
    """
    flat = values.ndim == 1
    v = values[None, :] if flat else (values if axis == 1 else values.T)  # rows hold the candidates
    m = v.shape[1]
    rows = np.arange(v.shape[0])[:, None]
    if m > 4 * k:
        part = np.argpartition(v, k - 1, axis=1)[:, :k]
        idx = part[rows, np.argsort(v[rows, part], axis=1, kind="stable")]
    else:
        idx = np.argsort(v, axis=1, kind="stable")[:, :k]
    vals = v[rows, idx]
    if idx.shape[1] < k:
        vals = np.pad(vals, ((0, 0), (0, k - idx.shape[1])), constant_values=INF)
        idx = np.pad(idx, ((0, 0), (0, k - idx.shape[1])), constant_values=-1)
    if flat:
        return vals[0], idx[0]
    return (vals, idx) if axis == 1 else (vals.T, idx.T)


class _Graph:
    """The pruned layered graph shared by both recursions, for one group of origins.

    Attributes hold prefix sums of node costs (``cost``) and compute times
    (``comp``), the static hop permission ``forward`` (tier order, a link, no
    required tier skipped) and the data of the per-hop checks (upload limit,
    first-tier energy budget).
    """

    def __init__(self, instance: "Instance", terms, group: list[int], lo: np.ndarray):  # type: ignore[no-untyped-def]
        c = instance.constraints
        n, S, T = instance.n_nodes, instance.n_systems, instance.n_tiers
        self.instance, self.terms, self.group, self.lo = instance, terms, group, lo
        self.n, self.S = n, S
        self.tier = tier = instance.system_tier
        self.beta = instance.boundary_bytes
        self.first = tier == 0
        self.cost = np.zeros((S, n + 1))
        self.cost[:, 1:] = np.cumsum(terms.node.T, axis=1)
        self.comp = np.zeros((S, n + 1))
        self.comp[:, 1:] = np.cumsum(instance.latency, axis=1)
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
        self.last_required = max(c.tiers_required) if c.tiers_required else -1
        self.tier0_allowed = 0 not in c.tiers_forbidden
        self.skip_tier0_allowed = 0 not in c.tiers_required

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
        if self.budget is not None and self.first[senders].any():
            bps = self.bps[np.ix_(senders, receivers)]
            with np.errstate(invalid="ignore"):
                energy = (
                    self.compute_w[senders][None, :, None] * self.comp[senders][:, e].T[:, :, None]
                    + self.tx[np.ix_(senders, receivers)][None] * (beta / bps[None])
                )
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
            end[self.first & (self.compute_w * self.comp[:, n] > self.budget)] = INF
        in_group = np.zeros(self.S, dtype=bool)
        in_group[self.group] = True
        end[self.first & ~in_group] = INF
        if inst.return_output:
            o = self.group[0]
            back = np.where(
                inst.has_link[:, o] & (self.beta[n] <= self.upload_slack),
                self.terms.hop_fixed[:, o] + self.terms.hop_per_byte[:, o] * self.beta[n],
                INF,
            )
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


def _sweep(instance: "Instance", terms, group: list[int], lo: np.ndarray) -> list[tuple[float, Plan]]:  # type: ignore[no-untyped-def]
    """The best plan with origin in ``group``: one vectorised pass per tier.

    All predecessors of a tier-``t`` system lie in earlier tiers, so when tier
    ``t`` is processed its arrival costs ``G[:, s]`` are final and the best
    segment start is a static range-minimum query (sparse table) over the
    window ``[lo(e, s), e)``.
    """
    graph = _Graph(instance, terms, group, lo)
    n, S = graph.n, graph.S
    G = np.full((n + 1, S), INF)  # arrival at boundary b on s, hop included
    F = np.full((n + 1, S), INF)  # segment on s ending at boundary e
    if graph.tier0_allowed:
        G[0, group] = 0.0
    source = graph.source_costs()
    G[0, ~graph.first] = source.min(axis=0)[~graph.first]
    ends = np.arange(1, n + 1)
    inner = np.arange(1, n)
    for t in range(instance.n_tiers):
        members = np.flatnonzero(graph.tier == t)
        if members.size == 0:
            continue
        H = G[:, members] - graph.cost[members].T  # (n+1, |members|)
        window_lo = lo[1:, members]
        best = np.minimum.accumulate(H[:-1], axis=0)  # segments may start anywhere before e
        windowed = np.flatnonzero(window_lo.any(axis=0))
        if windowed.size:
            table = _sparse_table(H[:, windowed], np.minimum)
            best[:, windowed] = _range_query(
                table, np.minimum, window_lo[:, windowed], np.broadcast_to(ends[:, None], (n, windowed.size)), INF,
                cols=np.arange(windowed.size)[None, :],
            )
        F[1:, members] = best + graph.cost[members][:, 1:].T
        receivers = np.flatnonzero(graph.tier > t)
        if inner.size and receivers.size:
            hops = graph.hop_cost(inner, members, receivers)  # (n-1, |members|, |receivers|)
            arrive = (F[inner][:, members][:, :, None] + hops).min(axis=1)
            G[1:n, receivers] = np.minimum(G[1:n, receivers], arrive)
    final = F[n] + graph.end_costs()
    s = int(np.argmin(final))
    if not np.isfinite(final[s]):
        return []
    value = float(final[s])
    # walk back: recompute each argmin instead of storing pointers
    segments: list[tuple[int, int]] = []
    e = n
    while True:
        want = F[e, s] - graph.cost[s, e]
        window = np.arange(lo[e, s], e)
        h = G[window, s] - graph.cost[s, window]
        b = int(window[np.argmin(np.abs(h - want))])
        segments.append((s, b))
        if b == 0:
            if graph.first[s]:
                origin = s
            else:
                origin = group[int(np.argmin(source[:, s]))]
            break
        arrive = F[b] + graph.hop_cost(np.array([b]), np.arange(S))[0][:, s]
        s, e = int(np.argmin(arrive)), b
    return [(value, graph.plan(origin, segments))]


def _paths(instance: "Instance", terms, group: list[int], lo: np.ndarray, k: int) -> list[tuple[float, Plan]]:  # type: ignore[no-untyped-def]
    """The ``k`` best plans whose origin is in ``group``: boundary by boundary, ``k`` entries per state."""
    graph = _Graph(instance, terms, group, lo)
    n, S = graph.n, graph.S
    cost = graph.cost
    all_systems = np.arange(S)

    g = np.full((n + 1, S, k), INF)
    g_from = np.full((n + 1, S, k), -1, dtype=np.int64)  # predecessor system (or origin at b = 0)
    g_rank = np.full((n + 1, S, k), -1, dtype=np.int64)
    f = np.full((n + 1, S, k), INF)
    f_start = np.full((n + 1, S, k), -1, dtype=np.int64)
    f_rank = np.full((n + 1, S, k), -1, dtype=np.int64)

    # sources: the origin runs tier 0's segment, or sends the raw input onward
    if graph.tier0_allowed:
        g[0, group, 0] = 0.0
        g_from[0, group, 0] = np.array(group)
    later = ~graph.first
    vals, idx = _kbest(graph.source_costs(), k, axis=0)
    g[0, later] = vals.T[later]
    g_from[0, later] = np.where(np.isfinite(vals.T[later]), np.array(group)[np.maximum(idx.T[later], 0)], -1)
    g_rank[0, later] = -2  # marks "raw input sent by the origin g_from"

    steps = graph.hop_cost(np.arange(1, n), all_systems)  # (n-1, S, S'): every hop at every inner boundary
    # running k best entries per system over segment starts [run_lo, e - 1]; lo is non-decreasing in e,
    # so a system whose window start did not move only merges the newest start, the others are rescanned
    run_val = np.full((S, k), INF)
    run_start = np.full((S, k), -1, dtype=np.int64)
    run_rank = np.full((S, k), -1, dtype=np.int64)
    run_lo = np.zeros(S, dtype=np.int64)
    ranks = np.arange(k)

    for e in range(1, n + 1):
        low = lo[e]
        same = np.flatnonzero(low == run_lo)
        moved = np.flatnonzero(low != run_lo)
        if same.size:
            h = g[e - 1, same] - cost[same, e - 1][:, None]  # (|same|, k): entering at b = e-1
            merged_val = np.concatenate([run_val[same], h], axis=1)
            merged_start = np.concatenate([run_start[same], np.full((same.size, k), e - 1)], axis=1)
            merged_rank = np.concatenate([run_rank[same], np.broadcast_to(ranks, (same.size, k))], axis=1)
            vals, idx = _kbest(merged_val, k, axis=1)
            picked = (np.arange(same.size)[:, None], idx)
            run_val[same] = vals
            run_start[same] = merged_start[picked]
            run_rank[same] = merged_rank[picked]
        if moved.size:
            lows = low[moved]
            b0 = int(lows.min())
            run_lo[moved] = lows
            if b0 < e:
                window = g[b0:e, moved] - cost[moved, b0:e].T[:, :, None]  # (w, |moved|, k)
                rows = np.arange(b0, e)[:, None]
                window = np.where((rows >= lows[None, :])[:, :, None], window, INF)
                flat = window.transpose(1, 0, 2).reshape(moved.size, -1)  # (|moved|, w*k)
                vals, idx = _kbest(flat, k, axis=1)
                run_val[moved] = vals
                run_start[moved] = np.where(idx >= 0, b0 + idx // k, -1)
                run_rank[moved] = np.where(idx >= 0, idx % k, -1)
            else:
                run_val[moved], run_start[moved], run_rank[moved] = INF, -1, -1
        f[e] = run_val + cost[:, e][:, None]
        f_start[e] = run_start
        f_rank[e] = run_rank
        if e < n:
            step = steps[e - 1]  # (S, S')
            cand = f[e][:, :, None] + step[:, None, :]  # (S, k, S')
            vals, idx = _kbest(cand.reshape(S * k, S), k, axis=0)  # (k, S')
            g[e] = vals.T
            g_from[e] = np.where(idx.T >= 0, idx.T // k, -1)
            g_rank[e] = np.where(idx.T >= 0, idx.T % k, -1)

    final = f[n] + graph.end_costs()[:, None]
    vals, idx = _kbest(final.reshape(-1), k, axis=0)
    out = []
    for v, i in zip(vals, idx):
        if not np.isfinite(v) or i < 0:
            continue
        s, j, e = int(i) // k, int(i) % k, n
        segments: list[tuple[int, int]] = []
        while True:
            b, jb = int(f_start[e, s, j]), int(f_rank[e, s, j])
            segments.append((s, b))
            prev, rank = int(g_from[b, s, jb]), int(g_rank[b, s, jb])
            if b == 0:  # rank -1: the origin's own tier-0 segment; -2: raw input sent by the origin
                origin = s if rank == -1 else prev
                break
            s, j, e = prev, rank, b
        out.append((float(v), graph.plan(origin, segments)))
    return out


__all__ = ["SegmentDP", "segment_starts"]
