"""Ishikawa's layered graph for one choice of stops and systems (formulations/dag.md, "Min cut").

Node ``v`` gets a label ``l(v)`` in ``0 .. m`` (its stop). Binary ``y[v,k] = [l(v) > k]`` for
``k < m`` is one graph vertex; ``y = 1`` is the sink side. Every term is ``c * [p = 0, q = 1]``
(an arc ``p -> q``) with ``c >= 0``, so the minimum s-t cut is the minimum labelling:

- ``y[v,k+1] <= y[v,k]`` (labels are ordered) and ``y[u,k] <= y[c,k]`` on every edge ``u -> c``:
  infinite arcs;
- a tensor ``b`` made by ``u`` and read by ``C`` crosses hop ``k`` iff ``y[u,k] = 0`` and some
  ``y[c,k] = 1``: one auxiliary vertex ``z[b,k] >= y[c,k]`` (infinite arcs) and an arc
  ``y[u,k] -> z[b,k]`` of capacity ``w_k * beta_b``, so the tensor is charged once per hop;
  a tensor with one reader needs no ``z``; the raw input's producer is the source;
- node costs ``D_v(l)`` are written as ``D_v(0) + sum_k y[v,k] (D_v(k+1) - D_v(k))``.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import numpy as np

from .model import structure

if TYPE_CHECKING:
    from ..instance import Instance

SOURCE, SINK = 0, 1
#: Capacity of the arcs that enforce order and precedence (never cut).
INF_CAP = 1 << 58
#: Finite costs are scaled so that their sum is about this many integer units.
SCALE_UNITS = float(1 << 40)
#: The integer cost of a forbidden label; above any labelling of finite cost.
FORBIDDEN = 1 << 42


@dataclass(frozen=True, eq=False)
class CutGraph:
    """The structure for ``m`` hops, shared by every system choice with ``m + 1`` stops.

    Attributes
    ----------
    m
        Hops (stops minus one).
    n_vertices
        Graph vertices: source, sink, ``n * m`` y's, then the z's.
    inf_tail, inf_head
        Arcs that must never be cut.
    byte_tail, byte_head, byte_hop, byte_tensor
        Crossing arcs: capacity ``w[byte_hop] * beta[byte_tensor]``.
    """

    m: int
    n_vertices: int
    inf_tail: np.ndarray
    inf_head: np.ndarray
    byte_tail: np.ndarray
    byte_head: np.ndarray
    byte_hop: np.ndarray
    byte_tensor: np.ndarray

    def y(self, v: int | np.ndarray, k: int | np.ndarray) -> int | np.ndarray:
        return 2 + v * self.m + k


@lru_cache(maxsize=16)
def cut_graph(instance: Instance, m: int) -> CutGraph:
    """The layered graph's structure for ``m >= 1`` hops (cached per instance and ``m``)."""
    n = instance.n_nodes
    dag = structure(instance)
    ks = np.arange(m)
    yv = (2 + np.arange(n)[:, None] * m + ks[None, :]).astype(np.int64)  # (n, m)
    inf_t: list[np.ndarray] = [yv[:, :-1].ravel(), *(yv[c] for _, c in dag.edges)]
    inf_h: list[np.ndarray] = [yv[:, 1:].ravel(), *(yv[u] for u, _ in dag.edges)]
    bt: list[np.ndarray] = []
    bh: list[np.ndarray] = []
    bk: list[np.ndarray] = []
    bb: list[np.ndarray] = []
    next_id = 2 + n * m
    for b, readers in enumerate(dag.consumers):
        tail = np.full(m, SOURCE, dtype=np.int64) if b == 0 else yv[b - 1]
        if not readers:
            if instance.return_output and b > 0:
                # a model output is read by a virtual sink on the last stop
                _add(bt, bh, bk, bb, tail, np.full(m, SINK, dtype=np.int64), ks, b)
            continue
        if len(readers) == 1:
            head = yv[readers[0]]
        else:
            head = np.arange(next_id, next_id + m, dtype=np.int64)
            next_id += m
            for c in readers:
                inf_t.append(head)
                inf_h.append(yv[c])
        _add(bt, bh, bk, bb, tail, head, ks, b)
    return CutGraph(m, next_id, cat(inf_t), cat(inf_h), cat(bt), cat(bh), cat(bk), cat(bb))


def _add(
    bt: list[np.ndarray],
    bh: list[np.ndarray],
    bk: list[np.ndarray],
    bb: list[np.ndarray],
    tail: np.ndarray,
    head: np.ndarray,
    ks: np.ndarray,
    b: int,
) -> None:
    bt.append(tail)
    bh.append(head)
    bk.append(ks)
    bb.append(np.full(ks.size, b))


def cat(parts: list[np.ndarray]) -> np.ndarray:
    """The parts end to end as int64 (empty when there are none)."""
    return np.concatenate(parts).astype(np.int64) if parts else np.zeros(0, dtype=np.int64)


@dataclass(frozen=True)
class CutResult:
    """A minimum labelling: each node's label, and the scaled integer cost of the labelling."""

    labels: np.ndarray
    cost_units: int
    feasible: bool


def min_labelling(
    graph: CutGraph, unary: np.ndarray, allowed: np.ndarray, per_byte: np.ndarray, beta: np.ndarray, scale: float
) -> CutResult:
    """Minimise ``sum_v D_v(l(v)) + sum_{crossings} w_k beta_b`` over ordered labellings.

    ``unary`` is ``(n, m + 1)`` real costs, ``allowed`` its feasibility mask, ``per_byte`` the
    ``(m,)`` weights ``w_k``; costs are multiplied by ``scale`` and rounded to integers.
    """
    from ortools.graph.python import max_flow

    n, m = unary.shape[0], graph.m
    d = _integer_costs(np.rint(np.where(allowed, unary, 0.0) * scale), allowed)
    yv_nm = _y_vertices(n, m)
    delta = (d[:, 1:] - d[:, :-1]).ravel()
    yv = yv_nm.ravel()
    pos, neg = delta > 0, delta < 0
    byte_cap = _byte_caps(graph, per_byte, beta, scale)
    tails = np.concatenate([graph.inf_tail, graph.byte_tail, np.full(pos.sum(), SOURCE), yv[neg]])
    heads = np.concatenate([graph.inf_head, graph.byte_head, yv[pos], np.full(neg.sum(), SINK)])
    caps = np.concatenate([np.full(graph.inf_tail.size, INF_CAP), byte_cap, delta[pos], -delta[neg]])
    keep = caps > 0
    flow = max_flow.SimpleMaxFlow()
    flow.add_arcs_with_capacity(tails[keep].astype(np.int64), heads[keep].astype(np.int64), caps[keep].astype(np.int64))
    flow.add_arc_with_capacity(SOURCE, SINK, 0)  # both terminals exist even without arcs
    return _solve(flow, graph, yv_nm, d, allowed)


def _integer_costs(units: np.ndarray, allowed: np.ndarray) -> np.ndarray:
    """``(n, m + 1)`` integer label costs (``units``, already scaled and rounded); a forbidden label costs FORBIDDEN."""
    return np.where(allowed, units, FORBIDDEN).astype(np.int64)


def _y_vertices(n: int, m: int) -> np.ndarray:
    """``(n, m)``: the vertex of ``y[v, k]`` ("node ``v`` on a stop after ``k``")."""
    return (2 + np.arange(n)[:, None] * m + np.arange(m)[None, :]).astype(np.int64)


def _byte_caps(graph: CutGraph, per_byte: np.ndarray, beta: np.ndarray, scale: float) -> np.ndarray:
    """The integer capacity of each (tensor, hop) crossing arc."""
    return np.rint(per_byte[graph.byte_hop] * beta[graph.byte_tensor] * scale).astype(np.int64)


def _solve(flow: Any, graph: CutGraph, yv: np.ndarray, d: np.ndarray, allowed: np.ndarray) -> CutResult:
    """Run the max flow and read the labelling and its cost (in units) off the source side of the cut."""
    status = flow.solve(SOURCE, SINK)
    if status != flow.OPTIMAL:
        raise RuntimeError(f"max flow failed: {status}")
    source_side = np.zeros(graph.n_vertices, dtype=bool)
    source_side[np.asarray(flow.get_source_side_min_cut(), dtype=np.int64)] = True
    labels = (~source_side[yv]).sum(axis=1)
    delta = d[:, 1:] - d[:, :-1]
    cost = int(d[:, 0].sum()) + int(delta[delta < 0].sum()) + int(flow.optimal_flow())
    return CutResult(labels, cost, bool(allowed[np.arange(d.shape[0]), labels].all()))


class Cut:
    """One choice's max-flow network, built once; each :meth:`solve` changes only the rows it must.

    Every ``y[v,k]`` has an arc from the source and one to the sink, whose capacities carry node
    ``v``'s cost differences (one of them zero); a new mask re-sets the capacities of the nodes
    whose masked costs changed (a branch changes one or two), the rest of the network stays.
    Mutable on purpose (a cache inside one search); not shared between threads.
    """

    def __init__(
        self, graph: CutGraph, unary: np.ndarray, per_byte: np.ndarray, beta: np.ndarray, scale: float
    ) -> None:
        from ortools.graph.python import max_flow

        n, m = unary.shape[0], graph.m
        self.graph = graph
        self.unary = np.rint(np.asarray(unary, dtype=float) * scale)
        self.yv = _y_vertices(n, m)
        byte_cap = _byte_caps(graph, per_byte, beta, scale)
        keep = byte_cap > 0
        tails = np.concatenate([graph.inf_tail, graph.byte_tail[keep]])
        heads = np.concatenate([graph.inf_head, graph.byte_head[keep]])
        caps = np.concatenate([np.full(graph.inf_tail.size, INF_CAP, dtype=np.int64), byte_cap[keep]])
        self.flow = max_flow.SimpleMaxFlow()
        if tails.size:
            self.flow.add_arcs_with_capacity(tails, heads, caps)
        first = self.flow.add_arc_with_capacity(SOURCE, SINK, 0)  # both terminals exist even without arcs
        ys = self.yv.ravel()
        zeros = np.zeros(ys.size, dtype=np.int64)
        self.flow.add_arcs_with_capacity(np.full(ys.size, SOURCE, dtype=np.int64), ys, zeros)
        self.flow.add_arcs_with_capacity(ys, np.full(ys.size, SINK, dtype=np.int64), zeros)
        self.up = (first + 1 + np.arange(ys.size, dtype=np.int64)).reshape(n, m)  # source -> y[v,k]
        self.down = self.up + ys.size  # y[v,k] -> sink
        self.d = np.zeros((n, m + 1), dtype=np.int64)
        self.fresh = True

    def solve(self, allowed: np.ndarray) -> CutResult:
        """The minimum labelling with the labels ``allowed`` (an ``(n, m + 1)`` mask)."""
        d = _integer_costs(self.unary, allowed)
        rows = np.arange(d.shape[0]) if self.fresh else np.flatnonzero((d != self.d).any(axis=1))
        self.fresh = False
        if rows.size:
            delta = d[rows, 1:] - d[rows, :-1]
            self.flow.set_arcs_capacity(
                self.up[rows].ravel().astype(np.int32), np.maximum(delta, 0).ravel().astype(np.int64)
            )
            self.flow.set_arcs_capacity(
                self.down[rows].ravel().astype(np.int32), np.maximum(-delta, 0).ravel().astype(np.int64)
            )
            self.d[rows] = d[rows]
        return _solve(self.flow, self.graph, self.yv, d, allowed)


#: Above this many nodes the ancestor sets (an ``n x n`` float matrix, 50 MB at the limit) are not built; the forcing
#: bound then keeps only its per-node and crossing terms.
MAX_ANCESTRY_NODES = 2500


@lru_cache(maxsize=16)
def ancestry(instance: Instance) -> np.ndarray | None:
    """``anc[v, u]`` is 1.0 if ``u`` is a proper ancestor of ``v``, else 0.0.

    ``None`` above :data:`MAX_ANCESTRY_NODES` nodes.
    """
    n = instance.n_nodes
    if n > MAX_ANCESTRY_NODES:
        return None
    anc = np.zeros((n, n), dtype=bool)
    for v, node in enumerate(instance.nodes):  # index order is topological
        for u in node.inputs:
            anc[v] |= anc[u]
            anc[v, u] = True
    return anc.astype(float)


@lru_cache(maxsize=16)
def path_bytes(instance: Instance) -> tuple[np.ndarray, np.ndarray]:
    """Per node, the smallest tensor on any path to it from the raw input, and from it to an output.

    ``up[v]`` is the least size among the raw input (when ``v`` reads it) and its ancestors'
    outputs; ``down[v]`` the least among its own output and its descendants' outputs.
    """
    beta = np.asarray(instance.boundary_bytes, dtype=float)
    n = instance.n_nodes
    up = np.full(n, np.inf)
    for v, node in enumerate(instance.nodes):
        up[v] = min((min(beta[u + 1], up[u]) for u in node.inputs), default=beta[0])
    down = beta[1:].copy()
    for b in range(n, 0, -1):  # reverse topological: every reader of v's output is later
        for c in structure(instance).consumers[b]:
            down[b - 1] = min(down[b - 1], down[c])
    return up, down


def forcing_bounds(
    instance: Instance, unary: np.ndarray, per_byte: np.ndarray, allowed: np.ndarray, stop: int, nodes: np.ndarray
) -> np.ndarray:
    """For each of ``nodes``, a lower bound on the cost (without constants) of its branch.

    ``nodes`` are the branching candidates in index order; the branch of ``v`` puts ``v`` on
    ``stop`` and keeps the candidates before ``v`` off it (:func:`.mincut._branch`). Node ``v``
    on ``stop`` puts its ancestors on stops ``<= stop`` and its descendants on stops ``>= stop``
    (labels never decrease along an edge); every node costs at least its cheapest label so
    allowed (an ancestor that is a candidate, being earlier, is below ``stop``). A path from
    the raw input (on stop 0) to ``v`` crosses each hop before ``stop``, by a tensor no smaller
    than ``up[v]``; with the output returned (read on the last stop), a path from ``v`` crosses
    each later hop by a tensor no smaller than ``down[v]``.
    Each term is a separate part of the cost, so their sum is a bound (formulations/dag.md).
    """
    nodes = np.asarray(nodes, dtype=np.int64)
    if (per_byte < 0).any():
        return np.full(nodes.size, -np.inf)
    cost = np.where(allowed, unary, np.inf)
    free = cost.min(axis=1)
    if not np.isfinite(free).all():
        return np.full(nodes.size, np.inf)  # some node has no label at all
    # ancestors come earlier in index order: those among ``nodes`` are kept off ``stop`` too
    low = cost[:, : stop + 1].min(axis=1)
    below = cost[:, :stop].min(axis=1) if stop else np.full(cost.shape[0], np.inf)
    excess_low = np.where(_member(cost.shape[0], nodes), below, low) - free  # >= 0, may be inf
    excess_high = cost[:, stop:].min(axis=1) - free
    bound = free.sum() + (cost[nodes, stop] - free[nodes])
    anc = ancestry(instance)
    if anc is not None:
        bound = bound + _sum_over(anc, excess_low)[nodes] + _sum_over(anc.T, excess_high)[nodes]
    up, down = path_bytes(instance)
    bound = bound + float(per_byte[:stop].sum()) * up[nodes]
    if instance.return_output:
        bound = bound + float(per_byte[stop:].sum()) * down[nodes]
    return bound


def _member(n: int, nodes: np.ndarray) -> np.ndarray:
    out = np.zeros(n, dtype=bool)
    out[nodes] = True
    return out


def _sum_over(rows: np.ndarray, values: np.ndarray) -> np.ndarray:
    """``rows @ values`` for 0/1 ``rows`` and non-negative ``values`` that may be infinite."""
    finite = np.isfinite(values)
    out = rows @ np.where(finite, values, 0.0)
    if finite.all():
        return out
    return np.where(rows @ (~finite).astype(float) > 0, np.inf, out)
