"""Rows of the arc-flow model, one function per row family, and :func:`assemble`.

Only what couples segments becomes a row: flow conservation, memory of later
tiers (with its window rows), path-additive limits left after pruning, compute
time as a share of the total, the throughput bottleneck, and optionally a lower
bound on the objective. formulations/chain-mip.md writes each family out.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from ...evaluate import exceeds, limit_slack
from ..dp import memory_starts
from .group import Group
from .model import SNK, SRC, ArcModel, ExtraColumn, RowBlock
from .paths import best

if TYPE_CHECKING:
    from ...instance import Instance

INF = math.inf


class _Arcs:
    """The alive arcs of a group as flat arrays (the model's columns)."""

    def __init__(self, instance: Instance, g: Group):
        a = g.alive
        n = instance.n_nodes
        so, sh = np.nonzero(a.src)
        tb, ts, th = np.nonzero(a.trans)
        (ks,) = np.nonzero(a.snk)
        self.kind = np.concatenate(
            [np.zeros(len(so), np.int8), np.ones(len(tb), np.int8), np.full(len(ks), 2, np.int8)]
        )
        self.node = np.concatenate([np.zeros(len(so), np.int64), tb, np.full(len(ks), n, np.int64)])
        self.tail = np.concatenate([so, ts, ks]).astype(np.int64)
        self.head = np.concatenate([sh, th, np.full(len(ks), -1)]).astype(np.int64)
        self.m = len(self.kind)
        self.cost = g.cost.flat(a)
        self.hop = g.is_hop.flat(a)
        self.comp = g.comp.flat(a)
        self.hop_s = g.hop_s.flat(a)
        self.head_sys = np.where(self.kind == SNK, -1, self.head)


def flow_rows(n: int, S: int, arcs: _Arcs) -> RowBlock:
    """Into a state = out of it; one unit leaves the source."""
    kind, node = arcs.kind, arcs.node
    head_state = np.where(kind == SNK, -1, node * S + arcs.head)
    tail_state = np.where(kind == SRC, -1, (node - 1) * S + arcs.tail)
    tail_state = np.where(kind == SNK, (n - 1) * S + arcs.tail, tail_state)
    states = np.unique(np.concatenate([head_state[head_state >= 0], tail_state[tail_state >= 0]]))
    hrow = np.searchsorted(states, head_state)
    trow = np.searchsorted(states, tail_state)
    hin, tin, src = head_state >= 0, tail_state >= 0, kind == SRC
    k = len(states)
    cols = np.arange(arcs.m)
    row = np.concatenate([hrow[hin], trow[tin], np.full(int(src.sum()), k)])
    col = np.concatenate([cols[hin], cols[tin], cols[src]])
    val = np.concatenate([np.ones(int(hin.sum())), -np.ones(int(tin.sum())), np.ones(int(src.sum()))])
    rhs = np.zeros(k + 1)
    rhs[k] = 1.0
    return RowBlock("flow", "exact", row, col, val, rhs, rhs.copy())


def memory_rows(instance: Instance, arcs: _Arcs, extras: list[ExtraColumn]) -> tuple[RowBlock | None, list]:
    """Memory of later tiers: the segment's parameters plus ``A_s`` (its largest activation) fit.

    Returns the block and, per system that needed rows, ``(s, arcs into s, capacity)``
    for :func:`memory_window_rows`. Appends the ``A_s`` columns to ``extras``.
    """
    param, act = instance.param_bytes, instance.activation_bytes
    tier = instance.system_tier
    rows: list[list] = [[], [], [], []]  # row, col, val, hi
    windowed: list[tuple[int, np.ndarray, float]] = []
    r = 0
    for s, system in enumerate(instance.systems):
        cap = system.memory_bytes
        if cap is None or tier[s] == 0:
            continue  # the first tier's memory is pruned exactly (its segment is a prefix)
        into = np.flatnonzero(arcs.head_sys == s)
        if not len(into):
            continue
        nodes_s = np.unique(arcs.node[into])
        if not exceeds(param[nodes_s].sum() + act[nodes_s].max(), cap):
            continue  # even every allowed node together fits
        j = arcs.m + len(extras)
        extras.append(ExtraColumn(f"A{s}", 0.0, float(act[nodes_s].max()), 0.0, "memory"))
        rows[0] += [np.full(len(into), r), [r]]
        rows[1] += [into, [j]]
        rows[2] += [param[arcs.node[into]], [1.0]]
        rows[3].append(limit_slack(cap))
        r += 1
        # A_s >= act_b * (flow into (b, s)), one row per state
        sub = into[act[arcs.node[into]] > 0]
        st_nodes, st_row = np.unique(arcs.node[sub], return_inverse=True)
        rows[0] += [r + st_row, r + np.arange(len(st_nodes))]
        rows[1] += [sub, np.full(len(st_nodes), j)]
        rows[2] += [act[arcs.node[sub]], -np.ones(len(st_nodes))]
        rows[3] += [0.0] * len(st_nodes)
        r += len(st_nodes)
        windowed.append((s, into, cap))
    if not r:
        return None, windowed
    row, col, val = (np.concatenate(x) for x in rows[:3])
    return RowBlock("memory", "limit", row, col, val, np.full(r, -INF), np.array(rows[3])), windowed


def memory_window_rows(instance: Instance, arcs: _Arcs, windowed: list, extras: list[ExtraColumn]) -> RowBlock | None:
    """Node ``j`` may run on ``s`` only if ``s`` was entered at ``a >= lo_s(j)``.

    ``lo_s(j)`` is the earliest start of a segment ending at ``j`` that fits. The
    memory rows stay exact on their own; these tighten the LP relaxation a great deal.
    ``Y_s(j)`` = flow entering ``s`` at a node ``<= j``.
    """
    n = instance.n_nodes
    param, act = instance.param_bytes, instance.activation_bytes
    rows: list[list] = [[], [], [], [], []]  # row, col, val, lo, hi
    r = 0
    for s, into, cap in windowed:
        lo = memory_starts(param, act, np.array([limit_slack(cap)]))[1:, 0]
        base = arcs.m + len(extras)
        extras += [ExtraColumn(f"Y{s}_{j}", 0.0, 1.0, 0.0, "memory_window") for j in range(n)]
        entering = into[arcs.hop[into]]
        # Y(j) - Y(j-1) - (hops into (j, s)) = 0
        rows[0] += [r + np.arange(n), r + np.arange(1, n), r + arcs.node[entering]]
        rows[1] += [base + np.arange(n), base + np.arange(n - 1), entering]
        rows[2] += [np.ones(n), -np.ones(n - 1), -np.ones(len(entering))]
        rows[3].append(np.zeros(n))
        rows[4].append(np.zeros(n))
        r += n
        # flow into (j, s) - Y(j) + Y(lo(j) - 1) <= 0
        st_nodes, st_row = np.unique(arcs.node[into], return_inverse=True)
        k = len(st_nodes)
        before = lo[st_nodes] - 1
        has_before = before >= 0
        rows[0] += [r + st_row, r + np.arange(k), r + np.flatnonzero(has_before)]
        rows[1] += [into, base + st_nodes, base + before[has_before]]
        rows[2] += [np.ones(len(into)), -np.ones(k), np.ones(int(has_before.sum()))]
        rows[3].append(np.full(k, -INF))
        rows[4].append(np.zeros(k))
        r += k
    if not r:
        return None
    row, col, val, lo_a, hi_a = (np.concatenate(x) for x in rows)
    return RowBlock("memory_window", "exact", row, col, val.astype(float), lo_a, hi_a)


def limit_rows(g: Group) -> list[RowBlock]:
    """Path-additive limits (deadline, energy, compute time and compute share per tier): one row each."""
    out = []
    for name, values, limit, _ in g.resources:
        v = values.flat(g.alive)
        nz = np.flatnonzero(v)
        out.append(RowBlock(name, "limit", np.zeros(len(nz), np.int64), nz, v[nz], np.array([-INF]), np.array([limit])))
    return out


def bottleneck_floor(instance: Instance, g: Group) -> float:
    """A lower bound on every remaining path's bottleneck: the first tier's compute up to its
    earliest possible exit, and the fastest hop when every path must hop.

    Without it the LP relaxation spreads the bottleneck over fractional paths, and a
    plan whose bottleneck is forced (say by privacy on a slow first tier) is hard to prove optimal.
    """
    a = g.alive
    first = instance.system_tier == 0
    floor0 = INF
    for o in g.origins:
        prefix = instance.systems[o].segment_overhead_s + np.cumsum(instance.latency[o])
        exits = [prefix[-1]] if a.snk[o] else []
        if a.src[o, ~first].any():
            exits.append(0.0)
        leave = np.flatnonzero(a.trans[1:, o, :][:, ~first].any(axis=1))  # hop into node b = leave + 1
        if len(leave):
            exits.append(float(prefix[leave].min()))
        floor0 = min(floor0, min(exits, default=INF))
    if not np.isfinite(floor0):
        floor0 = 0.0
    hop_floor = 0.0
    if not a.snk[first].any():
        times = [
            g.hop_s.src[a.src & g.is_hop.src],
            g.hop_s.trans[a.trans & g.is_hop.trans],
            g.hop_s.snk[a.snk & g.is_hop.snk],
        ]
        hop_floor = float(min((t.min() for t in times if t.size), default=0.0))
    return max(floor0, hop_floor)


def bottleneck_rows(instance: Instance, arcs: _Arcs, z: int) -> RowBlock | None:
    """``Z >= every stage's compute and every hop's time`` (``z``: the column of ``Z``)."""
    brow: list = []
    bcol: list = []
    bval: list = []
    r = 0
    for s in range(instance.n_systems):
        into = np.flatnonzero((arcs.head_sys == s) & (arcs.comp > 0))
        if len(into):
            brow += [np.full(len(into), r), [r]]
            bcol += [into, [z]]
            bval += [arcs.comp[into], [-1.0]]
            r += 1
    hops = np.flatnonzero(arcs.hop & (arcs.hop_s > 0))
    if len(hops):
        slot, inv = np.unique(arcs.node[hops], return_inverse=True)  # one hop at most crosses each boundary
        brow += [r + inv, r + np.arange(len(slot))]
        bcol += [hops, np.full(len(slot), z)]
        bval += [arcs.hop_s[hops], -np.ones(len(slot))]
        r += len(slot)
    if not r:
        return None
    return RowBlock(
        "bottleneck",
        "bottleneck",
        np.concatenate(brow),
        np.concatenate(bcol),
        np.concatenate(bval),
        np.full(r, -INF),
        np.zeros(r),
    )


def objective_bound_row(arcs: _Arcs, extras: list[ExtraColumn], bound: float) -> RowBlock:
    """``cost . x + w Z >= bound``: a proven lower bound on the objective, as a cut."""
    cols = np.concatenate([np.arange(arcs.m), [arcs.m + j for j, e in enumerate(extras) if e.obj]]).astype(np.int64)
    vals = np.concatenate([arcs.cost, [e.obj for e in extras if e.obj]])
    nz = vals != 0
    return RowBlock(
        "objective_bound",
        "objective",
        np.zeros(int(nz.sum()), np.int64),
        cols[nz],
        vals[nz],
        np.array([bound]),
        np.array([INF]),
    )


def assemble(instance: Instance, g: Group, bound: float | None = None) -> ArcModel:
    """The arc-flow model of group ``g`` (its alive arcs), with every row family.

    ``bound``: a proven lower bound on the objective, added as a row (a cut) when finite.
    """
    arcs = _Arcs(instance, g)
    lower = best(g.alive, g.cost)
    extras: list[ExtraColumn] = []
    blocks = [flow_rows(instance.n_nodes, instance.n_systems, arcs)]
    memory, windowed = memory_rows(instance, arcs, extras)
    window = memory_window_rows(instance, arcs, windowed, extras)
    blocks += [b for b in (memory, window) if b is not None]
    blocks += limit_rows(g)
    w = g.bottleneck_weight
    if w:
        z_lb = bottleneck_floor(instance, g)
        block = bottleneck_rows(instance, arcs, arcs.m + len(extras))
        if block is not None:  # else nothing takes time: the bottleneck is 0
            lower += w * z_lb
            extras.append(ExtraColumn("Z", float(z_lb) * (1 - 1e-12), INF, w, "bottleneck"))
            blocks.append(block)
    if bound is not None and math.isfinite(bound) and bound > lower:
        blocks.append(objective_bound_row(arcs, extras, bound))
        lower = bound
    return ArcModel(
        instance=instance, origins=tuple(g.origins), terms=g.terms, kind=arcs.kind, node=arcs.node, tail=arcs.tail,
        head=arcs.head, cost=arcs.cost, hop=arcs.hop, blocks=blocks, extras=extras, lower_bound=lower,
    )  # fmt: skip
