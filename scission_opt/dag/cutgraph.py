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
from typing import TYPE_CHECKING

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
    cat = lambda parts: np.concatenate(parts).astype(np.int64) if parts else np.zeros(0, dtype=np.int64)
    return CutGraph(m, next_id, cat(inf_t), cat(inf_h), cat(bt), cat(bh), cat(bk), cat(bb))


def _add(bt: list[np.ndarray], bh: list[np.ndarray], bk: list[np.ndarray], bb: list[np.ndarray],
         tail: np.ndarray, head: np.ndarray, ks: np.ndarray, b: int) -> None:
    bt.append(tail)
    bh.append(head)
    bk.append(ks)
    bb.append(np.full(ks.size, b))


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
    from ortools.graph.python import max_flow  # type: ignore[import-untyped]

    n, m = unary.shape[0], graph.m
    d = np.where(allowed, np.rint(np.where(allowed, unary, 0.0) * scale), FORBIDDEN).astype(np.int64)
    delta = d[:, 1:] - d[:, :-1]  # (n, m)
    yv = (2 + np.arange(n)[:, None] * m + np.arange(m)[None, :]).ravel()
    delta = delta.ravel()
    pos, neg = delta > 0, delta < 0
    byte_cap = np.rint(per_byte[graph.byte_hop] * beta[graph.byte_tensor] * scale).astype(np.int64)
    tails = np.concatenate([graph.inf_tail, graph.byte_tail, np.full(pos.sum(), SOURCE), yv[neg]])
    heads = np.concatenate([graph.inf_head, graph.byte_head, yv[pos], np.full(neg.sum(), SINK)])
    caps = np.concatenate([np.full(graph.inf_tail.size, INF_CAP), byte_cap, delta[pos], -delta[neg]])
    keep = caps > 0
    flow = max_flow.SimpleMaxFlow()
    flow.add_arcs_with_capacity(tails[keep].astype(np.int64), heads[keep].astype(np.int64), caps[keep].astype(np.int64))
    flow.add_arc_with_capacity(SOURCE, SINK, 0)  # both terminals exist even without arcs
    status = flow.solve(SOURCE, SINK)
    if status != flow.OPTIMAL:
        raise RuntimeError(f"max flow failed: {status}")
    source_side = np.zeros(graph.n_vertices, dtype=bool)
    source_side[np.asarray(flow.get_source_side_min_cut(), dtype=np.int64)] = True
    y = ~source_side[yv].reshape(n, m)
    labels = y.sum(axis=1)
    cost = int(d[:, 0].sum()) + int(delta[neg].sum()) + int(flow.optimal_flow())
    return CutResult(labels, cost, bool(allowed[np.arange(n), labels].all()))
