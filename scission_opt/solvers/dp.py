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
from ..evaluate import LIMIT_RTOL
from ..objectives import Objective, is_additive
from ..plan import Plan
from ..result import SolveResult, Status
from .base import allowed_nodes, chain_problem, finish, origins, require_supported

if TYPE_CHECKING:
    from ..instance import Instance

INF = np.inf


def _slack(limit: float) -> float:
    """The largest value the evaluator accepts for ``limit`` (same tolerance as ``exceeds``)."""
    return limit * (1 + LIMIT_RTOL) + 1e-12


def _uses_bottleneck(objective: Objective) -> bool:
    if objective.name == "throughput":
        return True
    return any(k == "throughput" and w for k, w in getattr(objective, "weights", ()))


def _range_max_table(values: np.ndarray) -> list[np.ndarray]:
    """Sparse table: ``table[j][i] = max(values[i : i + 2**j])``."""
    table = [values]
    j = 1
    while (1 << j) <= len(values):
        prev = table[-1]
        half = 1 << (j - 1)
        table.append(np.maximum(prev[:-half], prev[half:]))
        j += 1
    return table


def _range_max(table: list[np.ndarray], a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``max(values[a:b])`` elementwise for ``a < b`` (0 where ``a >= b``)."""
    length = np.maximum(b - a, 1)
    j = np.floor(np.log2(length)).astype(np.int64)
    out = np.zeros(a.shape)
    for level in np.unique(j):
        sel = j == level
        t = table[level]
        aa, bb = a[sel], b[sel] - (1 << level)
        out[sel] = np.maximum(t[np.minimum(aa, len(t) - 1)], t[np.clip(bb, 0, len(t) - 1)])
    return np.where(b > a, out, 0.0)


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
            first_ok = np.searchsorted(prefix[s], prefix[s] - _slack(limit), side="left")
            lo[:, s] = np.maximum(lo[:, s], first_ok)

    capped = [s for s, system in enumerate(instance.systems) if system.memory_bytes is not None]
    if capped:
        params = np.concatenate([[0.0], np.cumsum(instance.param_bytes)])
        table = _range_max_table(instance.activation_bytes)
        caps = np.array([_slack(instance.systems[s].memory_bytes) for s in capped])  # type: ignore[arg-type]
        e_grid = np.broadcast_to(ends[:, None], (n + 1, len(capped)))
        low = np.zeros((n + 1, len(capped)), dtype=np.int64)
        high = e_grid.copy()  # memory of an empty segment is 0: always fits
        while np.any(low < high):
            mid = (low + high) // 2
            memory = params[e_grid] - params[mid] + _range_max(table, mid, e_grid)
            fits = memory <= caps[None, :]
            high = np.where(fits, mid, high)
            low = np.where(fits, low, mid + 1)
        lo[:, capped] = np.maximum(lo[:, capped], low)
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
            found += _paths(instance, terms, group, lo, top_k)
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
    """The ``k`` smallest along ``axis`` (sorted) and their indices along that axis."""
    m = values.shape[axis]
    if k >= m:
        idx = np.argsort(values, axis=axis, kind="stable")
    else:
        part = np.argpartition(values, k - 1, axis=axis)
        part = np.take(part, np.arange(k), axis=axis)
        vals = np.take_along_axis(values, part, axis=axis)
        order = np.argsort(vals, axis=axis, kind="stable")
        idx = np.take_along_axis(part, order, axis=axis)
    vals = np.take_along_axis(values, idx, axis=axis)
    if vals.shape[axis] < k:
        pad = [(0, 0)] * values.ndim
        pad[axis] = (0, k - vals.shape[axis])
        vals = np.pad(vals, pad, constant_values=INF)
        idx = np.pad(idx, pad, constant_values=-1)
    return vals, idx


def _paths(instance: "Instance", terms, group: list[int], lo: np.ndarray, k: int) -> list[tuple[float, Plan]]:  # type: ignore[no-untyped-def]
    """The ``k`` best plans whose origin is in ``group`` (sharing ``terms``)."""
    n, S, T = instance.n_nodes, instance.n_systems, instance.n_tiers
    c = instance.constraints
    tier = instance.system_tier
    beta = instance.boundary_bytes
    first = tier == 0
    in_group = np.zeros(S, dtype=bool)
    in_group[group] = True

    cost = np.zeros((S, n + 1))
    cost[:, 1:] = np.cumsum(terms.node.T, axis=1)
    comp = np.zeros((S, n + 1))
    comp[:, 1:] = np.cumsum(instance.latency, axis=1)

    # static hop permission: forward in tier order, a link, no required tier skipped
    required = np.zeros(T, dtype=bool)
    required[list(c.tiers_required)] = True
    req_prefix = np.concatenate([[0], np.cumsum(required)])
    skipped = req_prefix[tier[None, :]] - req_prefix[tier[:, None] + 1]  # required tiers strictly between
    forward = (tier[:, None] < tier[None, :]) & instance.has_link & (skipped == 0)
    upload = np.array([c.upload_limit_bytes[t] if c.upload_limit_bytes[t] is not None else INF for t in tier])
    upload_slack = np.where(np.isfinite(upload), upload * (1 + LIMIT_RTOL) + 1e-12, INF)
    budget = _slack(c.energy_budget_j) if c.energy_budget_j is not None else None
    compute_w = np.array([s.compute_w or 0.0 for s in instance.systems])
    tx = np.nan_to_num(instance.link_tx_w, nan=0.0)
    bps = instance.link_bytes_per_s

    def hop_allowed(e: int) -> np.ndarray:
        allowed = forward & (beta[e] <= upload_slack)[:, None]
        if budget is not None:
            with np.errstate(invalid="ignore"):
                energy = compute_w[:, None] * comp[:, e][:, None] + tx * (beta[e] / bps)
            allowed &= ~first[:, None] | (energy <= budget)
        return allowed

    g = np.full((n + 1, S, k), INF)
    g_from = np.full((n + 1, S, k), -1, dtype=np.int64)  # predecessor system (or origin at b = 0)
    g_rank = np.full((n + 1, S, k), -1, dtype=np.int64)
    f = np.full((n + 1, S, k), INF)
    f_start = np.full((n + 1, S, k), -1, dtype=np.int64)
    f_rank = np.full((n + 1, S, k), -1, dtype=np.int64)

    # sources: the origin runs tier 0's segment, or sends the raw input onward
    if 0 not in c.tiers_forbidden:
        g[0, group, 0] = 0.0
        g_from[0, group, 0] = np.array(group)
        g_rank[0, group, 0] = -1
    if 0 not in c.tiers_required:
        allowed = hop_allowed(0)[group]  # (|group|, S)
        src = np.where(allowed, terms.hop[0][group], INF)  # (|group|, S)
        vals, idx = _kbest(src, k, axis=0)
        g[0, ~first] = vals.T[~first]
        g_from[0, ~first] = np.where(np.isfinite(vals.T[~first]), np.array(group)[np.maximum(idx.T[~first], 0)], -1)
        g_rank[0, ~first] = -2  # marks "raw input hop from origin g_from"

    unconstrained = np.all(lo == 0, axis=0)  # systems whose segments may start anywhere
    free = np.flatnonzero(unconstrained)
    bound = np.flatnonzero(~unconstrained)
    run_val = np.full((S, k), INF)
    run_start = np.full((S, k), -1, dtype=np.int64)
    run_rank = np.full((S, k), -1, dtype=np.int64)

    for e in range(1, n + 1):
        h = g[e - 1] - cost[:, e - 1][:, None]  # (S, k): entering at b = e-1
        if free.size:
            merged_val = np.concatenate([run_val[free], h[free]], axis=1)
            merged_start = np.concatenate([run_start[free], np.full((free.size, k), e - 1)], axis=1)
            merged_rank = np.concatenate([run_rank[free], np.broadcast_to(np.arange(k), (free.size, k))], axis=1)
            vals, idx = _kbest(merged_val, k, axis=1)
            run_val[free] = vals
            run_start[free] = np.take_along_axis(merged_start, idx, axis=1)
            run_rank[free] = np.take_along_axis(merged_rank, idx, axis=1)
            f[e, free] = vals + cost[free, e][:, None]
            f_start[e, free] = run_start[free]
            f_rank[e, free] = run_rank[free]
        if bound.size:
            low = lo[e, bound]
            b0 = int(low.min()) if low.size else e
            if b0 < e:
                window = g[b0:e, bound] - cost[bound, b0:e].T[:, :, None]  # (w, |bound|, k)
                rows = np.arange(b0, e)[:, None]
                window = np.where((rows >= low[None, :])[:, :, None], window, INF)
                flat = window.transpose(1, 0, 2).reshape(bound.size, -1)  # (|bound|, w*k)
                vals, idx = _kbest(flat, k, axis=1)
                f[e, bound] = vals + cost[bound, e][:, None]
                f_start[e, bound] = np.where(idx >= 0, b0 + idx // k, -1)
                f_rank[e, bound] = np.where(idx >= 0, idx % k, -1)
        if e < n:
            allowed = hop_allowed(e)
            step = np.where(allowed, terms.hop[e], INF)  # (S, S')
            cand = f[e][:, :, None] + step[:, None, :]  # (S, k, S')
            vals, idx = _kbest(cand.reshape(S * k, S), k, axis=0)  # (k, S')
            g[e] = vals.T
            g_from[e] = np.where(idx.T >= 0, idx.T // k, -1)
            g_rank[e] = np.where(idx.T >= 0, idx.T % k, -1)

    # ends: every required tier reached; return hop; tier-0-only energy
    last_required = max(c.tiers_required) if c.tiers_required else -1
    final = f[n].copy()  # (S, k)
    final[tier < last_required] = INF
    if budget is not None:
        final[first & (compute_w * comp[:, n] > budget)] = INF
    if instance.return_output:
        o = group[0]
        back = np.where(instance.has_link[:, o] & (beta[n] <= upload_slack), terms.hop[n][:, o], INF)
        final[~first] += back[~first][:, None]
    final[first & ~in_group] = INF
    vals, idx = _kbest(final.reshape(-1), k, axis=0)
    out = []
    for v, i in zip(vals, idx):
        if not np.isfinite(v) or i < 0:
            continue
        out.append((float(v), _backtrack(instance, int(i) // k, int(i) % k, f_start, f_rank, g_from, g_rank)))
    return out


def _backtrack(instance: "Instance", s: int, j: int, f_start, f_rank, g_from, g_rank) -> Plan:  # type: ignore[no-untyped-def]
    """Rebuild the plan ending with rank ``j`` of system ``s`` at boundary ``n``."""
    n, T = instance.n_nodes, instance.n_tiers
    tier = instance.system_tier
    segments: list[tuple[int, int, int]] = []  # (system, start, end)
    e = n
    origin = -1
    while True:
        b, jb = int(f_start[e, s, j]), int(f_rank[e, s, j])
        segments.append((s, b, e))
        prev, rank = int(g_from[b, s, jb]), int(g_rank[b, s, jb])
        if b == 0 and rank == -1:  # the origin's own tier-0 segment
            origin = s
            break
        if b == 0 and rank == -2:  # raw input sent by the origin
            origin = prev
            break
        s, j, e = prev, rank, b
    bounds = [0] * (T + 1)
    bounds[T] = n
    names: list[str | None] = [None] * T
    names[0] = instance.systems[origin].name
    start_of = {int(tier[s]): (b, s) for s, b, _ in segments}
    nxt = n
    for t in range(T - 1, 0, -1):
        if t in start_of:
            nxt = start_of[t][0]
            names[t] = instance.systems[start_of[t][1]].name
        bounds[t] = nxt
    return Plan(tuple(bounds), tuple(names))


__all__ = ["SegmentDP", "segment_starts"]
