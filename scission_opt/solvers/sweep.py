"""The two segment-DP recursions on a :class:`~scission_opt.solvers.segments.SegmentGraph`.

:func:`sweep` finds the best path with one vectorised pass per tier;
:func:`paths` keeps the ``k`` best entries per state for top-k.
formulations/segment-dp.md writes the recursions out.
"""

from __future__ import annotations

import numpy as np

from ..budget import Budget
from ..plan import Plan
from .segments import INF, SegmentGraph, range_query, sparse_table


def kbest(values: np.ndarray, k: int, axis: int = 0) -> tuple[np.ndarray, np.ndarray]:
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


def sweep(graph: SegmentGraph, budget: Budget | None = None) -> list[tuple[float, Plan]]:
    """The best plan with origin in ``group``: one vectorised pass per tier.

    With a ``budget`` that runs out (or is cancelled) between tiers, no plan (``[]``).

    All predecessors of a tier-``t`` system lie in earlier tiers, so when tier
    ``t`` is processed its arrival costs ``G[:, s]`` are final and the best
    segment start is a static range-minimum query (sparse table) over the
    window ``[lo(e, s), e)``.
    """
    instance, group, lo = graph.instance, graph.group, graph.lo
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
        if budget is not None and budget.expired():
            return []
        H = G[:, members] - graph.cost[members].T  # (n+1, |members|)
        window_lo = lo[1:, members]
        best = np.minimum.accumulate(H[:-1], axis=0)  # segments may start anywhere before e
        windowed = np.flatnonzero(window_lo.any(axis=0))
        if windowed.size:
            table = sparse_table(H[:, windowed], np.minimum)
            best[:, windowed] = range_query(
                table,
                np.minimum,
                window_lo[:, windowed],
                np.broadcast_to(ends[:, None], (n, windowed.size)),
                INF,
                cols=np.arange(windowed.size)[None, :],
            )
        F[1:, members] = best + graph.cost[members][:, 1:].T + graph.seg[members]
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
        want = F[e, s] - graph.cost[s, e] - graph.seg[s]
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


def paths(graph: SegmentGraph, k: int) -> list[tuple[float, Plan]]:
    """The ``k`` best plans whose origin is in ``group``: boundary by boundary, ``k`` entries per state."""
    group, lo = graph.group, graph.lo
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
    vals, idx = kbest(graph.source_costs(), k, axis=0)
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
            vals, idx = kbest(merged_val, k, axis=1)
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
                vals, idx = kbest(flat, k, axis=1)
                run_val[moved] = vals
                run_start[moved] = np.where(idx >= 0, b0 + idx // k, -1)
                run_rank[moved] = np.where(idx >= 0, idx % k, -1)
            else:
                run_val[moved], run_start[moved], run_rank[moved] = INF, -1, -1
        f[e] = run_val + (cost[:, e] + graph.seg)[:, None]
        f_start[e] = run_start
        f_rank[e] = run_rank
        if e < n:
            step = steps[e - 1]  # (S, S')
            cand = f[e][:, :, None] + step[:, None, :]  # (S, k, S')
            vals, idx = kbest(cand.reshape(S * k, S), k, axis=0)  # (k, S')
            g[e] = vals.T
            g_from[e] = np.where(idx.T >= 0, idx.T // k, -1)
            g_rank[e] = np.where(idx.T >= 0, idx.T % k, -1)

    final = f[n] + graph.end_costs()[:, None]
    vals, idx = kbest(final.reshape(-1), k, axis=0)
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


__all__ = ["kbest", "paths", "sweep"]
