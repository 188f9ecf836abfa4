"""The pruned arc-flow model shared by the MIP solvers (``cbc`` and ``cpsat``).

formulations/chain-mip.md writes the model out with the symbols used here. In
short: a plan is a path through states ``(b, s)`` = "node ``b`` runs on system
``s``". Arcs are

* ``src[o, s']`` from the source into node 0: ``s' = o`` (the first tier runs
  node 0 on the origin ``o``) or a hop ``o -> s'`` carrying the raw input;
* ``trans[b, s, s']`` from node ``b - 1`` into node ``b`` (``1 <= b < n``):
  a stay (``s = s'``) or a hop to a later tier carrying boundary ``b``;
* ``snk[s]`` from node ``n - 1`` to the sink (with the return hop to the
  origin when the instance returns its output).

Every constraint that concerns one segment (privacy, pins, bans, system
filters, forbidden and required tiers, upload limits, first-tier memory and
compute limit) deletes states and arcs instead of writing rows; path-additive
limits (deadline, first-tier energy, later tiers' compute limits) and the
objective itself (against a known feasible plan's value) delete every arc whose
cheapest path through it already breaks the limit. What is left is one binary
per arc, flow conservation, and rows only for what couples segments: memory of
later tiers, compute-time limits, the deadline, the energy budget and the
throughput bottleneck.

The solver drivers (:func:`solve_arc_models`) group origins so that every
model has one set of origin-dependent data, find cheap feasible plans with
shortest paths first (they give the bound used for pruning, and a fallback
plan when the time limit strikes), then ask the backend for the best path,
cut it off with a no-good row and ask again for ``top_k`` plans.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import UnsupportedError
from ..evaluate import evaluate, exceeds, limit_slack
from ..objectives import Objective, Terms, is_additive
from ..plan import Plan
from ..result import SolveResult, Status
from .base import allowed_nodes, chain_problem, finish, objective_value, require_supported, terms_by_origin
from .dp import memory_starts

if TYPE_CHECKING:
    from ..instance import Instance

INF = math.inf
#: Switches for tests: with both off, the backends see the whole model (rows instead of pruning).
HEURISTICS = True
RESOURCE_PRUNING = True


def unsupported_reason(instance: "Instance", objective: Objective) -> str | None:
    """Why the MIP solvers cannot take this instance/objective, or ``None``."""
    why = chain_problem(instance)
    if why:
        return why
    if not is_additive(objective):
        return (
            f"objective {objective.name!r} is not additive (it supplies no node/hop terms); "
            "use the exhaustive solver for it"
        )
    return None


# ---------------------------------------------------------------------------
# The model


@dataclass
class RowBlock:
    """A block of linear rows ``lo <= sum(val * x[col]) <= hi`` (COO, local row numbers).

    ``kind`` tells the CP-SAT backend how to turn it into integers:
    ``exact`` (already integral), ``limit`` (round conservatively: coefficients
    up, right-hand side down, one unit for the block and for its extra
    columns) or ``bottleneck`` (time rows of the bottleneck variable, rounded to
    the objective's resolution).
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


@dataclass
class ExtraColumn:
    """A continuous column besides the arcs: ``A_s`` (memory) or ``Z`` (bottleneck)."""

    name: str
    lb: float
    ub: float
    obj: float
    block: str  # the row block whose unit it is measured in


@dataclass
class ArcModel:
    """One arc-flow model (one group of origins). Columns ``0..m-1`` are the arcs."""

    instance: "Instance"
    origins: tuple[int, ...]
    terms: Terms
    # per arc (flat, order: src, trans, snk)
    kind: np.ndarray  # 0 src, 1 trans, 2 snk
    node: np.ndarray  # head node (src, trans); n for snk
    tail: np.ndarray  # tail system (the origin for src)
    head: np.ndarray  # head system (-1 for snk)
    cost: np.ndarray  # objective terms
    hop: np.ndarray  # bool: the arc is a hop (src into a later tier, trans between systems, snk with return)
    blocks: list[RowBlock]
    extras: list[ExtraColumn]
    lower_bound: float  # shortest path value, ignoring rows: a lower bound on the additive part
    cuts: list[np.ndarray] = field(default_factory=list)  # no-good rows: arc indices of excluded paths
    hint: np.ndarray | None = None  # arcs of a known feasible plan, a starting solution for the backend

    def _codes(self, kind, node, tail, head):  # type: ignore[no-untyped-def]
        n, S = self.instance.n_nodes, self.instance.n_systems
        return ((np.asarray(kind, dtype=np.int64) * (n + 1) + np.asarray(node)) * S + np.asarray(tail)) * (S + 1) + np.asarray(head) + 1

    def arcs_of(self, plan: Plan) -> np.ndarray | None:
        """The arcs of ``plan`` in this model, or ``None`` when one of them was pruned."""
        inst = self.instance
        n = inst.n_nodes
        sidx = inst.system_index
        origin = sidx[plan.origin]
        if origin not in self.origins:
            return None
        node_sys = np.empty(n, dtype=np.int64)
        for t in range(inst.n_tiers):
            if plan.used(t):
                node_sys[plan.bounds[t] : plan.bounds[t + 1]] = sidx[plan.systems[t]]  # type: ignore[index]
        kind = np.concatenate([[0], np.ones(n - 1, np.int64), [2]])
        node = np.concatenate([[0], np.arange(1, n), [n]])
        tail = np.concatenate([[origin], node_sys[:-1], [node_sys[-1]]])
        head = np.concatenate([node_sys, [-1]])
        if "_sorted" not in self.__dict__:
            codes = self._codes(self.kind, self.node, self.tail, self.head)
            order = np.argsort(codes)
            self.__dict__["_sorted"] = (codes[order], order)
        codes, order = self.__dict__["_sorted"]
        want = self._codes(kind, node, tail, head)
        pos = np.minimum(np.searchsorted(codes, want), len(codes) - 1)
        if len(codes) == 0 or not np.array_equal(codes[pos], want):
            return None
        return order[pos]

    @property
    def n_arcs(self) -> int:
        return len(self.kind)

    @property
    def n_cols(self) -> int:
        return self.n_arcs + len(self.extras)

    @property
    def bottleneck_weight(self) -> float:
        return float(self.terms.bottleneck_weight)

    def path_arcs(self, plan_arcs: np.ndarray) -> np.ndarray:
        """The arcs a no-good row needs: source, hops and sink (the stays follow from them)."""
        keep = (self.kind[plan_arcs] != 1) | self.hop[plan_arcs]
        return np.sort(plan_arcs[keep])

    def add_cut(self, plan_arcs: np.ndarray) -> None:
        self.cuts.append(self.path_arcs(plan_arcs))

    def decode(self, chosen: np.ndarray) -> tuple[Plan, np.ndarray]:
        """The plan of a 0/1 solution (indices of arcs at 1), and those arcs."""
        inst = self.instance
        n, T = inst.n_nodes, inst.n_tiers
        chosen = np.asarray(chosen, dtype=np.int64)
        node_sys = np.full(n, -1, dtype=np.int64)
        src = chosen[self.kind[chosen] == 0]
        tr = chosen[self.kind[chosen] == 1]
        if len(src) != 1 or len(tr) != n - 1 or np.sum(self.kind[chosen] == 2) != 1:
            raise AssertionError("the solution is not one path through the arc-flow model")
        origin = int(self.tail[src[0]])
        node_sys[0] = self.head[src[0]]
        node_sys[self.node[tr]] = self.head[tr]
        if (node_sys < 0).any():
            raise AssertionError("the solution leaves a node unassigned")
        tier_of_node = inst.system_tier[node_sys]
        if (np.diff(tier_of_node) < 0).any():
            raise AssertionError("the solution goes back to an earlier tier")
        bounds = [int(np.searchsorted(tier_of_node, t, side="left")) for t in range(T)] + [n]
        names: list[str | None] = [None] * T
        names[0] = inst.systems[origin].name
        for t in range(T):
            if bounds[t + 1] > bounds[t]:
                s = int(node_sys[bounds[t]])
                if t == 0 and s != origin:
                    raise AssertionError("the first tier runs on a system other than the origin")
                names[t] = inst.systems[s].name
        return Plan(tuple(bounds), tuple(names)), chosen


# ---------------------------------------------------------------------------
# Building


@dataclass
class _Dense:
    """Dense views of one model while it is built and pruned: masks and per-arc values."""

    src: np.ndarray  # (S, S) [o, s']
    trans: np.ndarray  # (n, S, S) [b, s, s'] (b = 0 unused)
    snk: np.ndarray  # (S,)

    def where(self, v: "_Dense", fill: float = INF) -> "_Dense":
        return _Dense(np.where(self.src, v.src, fill), np.where(self.trans, v.trans, fill), np.where(self.snk, v.snk, fill))

    def flat(self, mask: "_Dense") -> np.ndarray:
        return np.concatenate([self.src[mask.src], self.trans[mask.trans], self.snk[mask.snk]])

    def copy(self) -> "_Dense":
        return _Dense(self.src.copy(), self.trans.copy(), self.snk.copy())

    def count(self) -> int:
        return int(self.src.sum() + self.trans.sum() + self.snk.sum())


def _forward(v: _Dense) -> np.ndarray:
    """``f[b, s]``: cheapest value from the source up to and including the arc into state ``(b, s)``."""
    n, S = v.trans.shape[0], v.snk.shape[0]
    f = np.empty((n, S))
    f[0] = v.src.min(axis=0)
    for b in range(1, n):
        f[b] = (f[b - 1][:, None] + v.trans[b]).min(axis=0)
    return f


def _backward(v: _Dense) -> np.ndarray:
    """``g[b, s]``: cheapest value from state ``(b, s)`` to the sink."""
    n, S = v.trans.shape[0], v.snk.shape[0]
    g = np.empty((n, S))
    g[n - 1] = v.snk
    for b in range(n - 2, -1, -1):
        g[b] = (v.trans[b + 1] + g[b + 1][None, :]).min(axis=1)
    return g


def _through(v: _Dense, f: np.ndarray | None = None) -> tuple[_Dense, float]:
    """Cheapest value of a source-sink path through each arc, and of any path (``f``: :func:`_forward`, if known)."""
    f = _forward(v) if f is None else f
    g = _backward(v)
    lb_trans = np.empty_like(v.trans)
    lb_trans[0] = INF
    if v.trans.shape[0] > 1:
        np.add(v.trans[1:], f[:-1, :, None], out=lb_trans[1:])
        lb_trans[1:] += g[1:, None, :]
    best = float((f[-1] + v.snk).min())
    return _Dense(v.src + g[0][None, :], lb_trans, f[-1] + v.snk), best


def _best(alive: _Dense, v: _Dense) -> float:
    """Value of the cheapest source-sink path (inf when there is none)."""
    w = alive.where(v)
    return float((_forward(w)[-1] + w.snk).min())


def _prune(alive: _Dense, v: _Dense, limit: float, own: _Dense | None = None) -> int:
    """Delete arcs whose cheapest path through them exceeds ``limit`` (or that lie on no path).

    ``own`` is added to each arc's own bound only (not to the paths around it).
    """
    w = alive.where(v)
    f = _forward(w)
    if not float((f[-1] + w.snk).min()) <= limit:  # no path at all is cheap enough
        before = alive.count()
        alive.src[:] = alive.trans[:] = alive.snk[:] = False
        return before
    lb, _ = _through(w, f)
    if own is not None:
        lb = _Dense(lb.src + own.src, lb.trans + own.trans, lb.snk + own.snk)
    before = alive.count()
    alive.src &= np.isfinite(lb.src) & (lb.src <= limit)
    alive.trans &= np.isfinite(lb.trans) & (lb.trans <= limit)
    alive.snk &= np.isfinite(lb.snk) & (lb.snk <= limit)
    return before - alive.count()


def _shortest_path(alive: _Dense, v: _Dense) -> list[tuple[int, int, int]] | None:
    """The cheapest path as ``(kind, b, index)`` steps, or ``None`` when there is none."""
    w = alive.where(v)
    f = _forward(w)
    n = w.trans.shape[0]
    end = f[-1] + w.snk
    s = int(np.argmin(end))
    if not np.isfinite(end[s]):
        return None
    steps = [(2, n, s)]
    for b in range(n - 1, 0, -1):
        prev = int(np.argmin(f[b - 1] + w.trans[b][:, s]))
        steps.append((1, b, prev * w.snk.shape[0] + s))
        s = prev
    o = int(np.argmin(w.src[:, s]))
    steps.append((0, 0, o * w.snk.shape[0] + s))
    return steps


@dataclass
class _Build:
    """Everything :func:`build_model` computes, kept for pruning and heuristics."""

    alive: _Dense
    cost: _Dense
    time: _Dense
    comp: _Dense
    hop_s: _Dense
    energy: _Dense | None
    is_hop: _Dense
    resources: list[tuple[str, _Dense, float]]
    bottleneck_weight: float = 0.0
    tier_comp: list[_Dense] = field(default_factory=list)  # compute time on each tier (bottleneck pruning)


def _static_data(instance: "Instance") -> dict[str, Any]:
    """Arrays every origin group shares: links, which hops may exist, times."""
    inst = instance
    n, S, T = inst.n_nodes, inst.n_systems, inst.n_tiers
    c = inst.constraints
    tier = inst.system_tier
    lat = inst.latency  # (S, n)
    beta = inst.boundary_bytes
    has_link = inst.has_link
    fixed = np.nan_to_num(inst.link_latency_s, nan=0.0)
    bps = np.where(has_link, np.nan_to_num(inst.link_bytes_per_s, nan=1.0), np.inf)
    param, act = inst.param_bytes, inst.activation_bytes
    first = tier == 0

    # ---- states (b, s) any group may use -------------------------------------------
    st = allowed_nodes(inst)  # (n, S)
    for s in range(S):
        cap = inst.systems[s].memory_bytes
        if cap is not None:
            st[exceeds(param + act, cap), s] = False
    comp_limit = c.compute_time_limit_s
    for s in range(S):
        lim = comp_limit[tier[s]]
        if lim is not None:
            st[exceeds(lat[s], lim), s] = False

    # ---- which hops may exist --------------------------------------------------
    required = np.zeros(T + 1, dtype=bool)
    required[sorted(c.tiers_required)] = True
    req_prefix = np.concatenate([[0], np.cumsum(required[:T])])  # number of required tiers < t
    # a hop from tier t to t' skips tiers t+1 .. t'-1; none of them may be required
    skipped = req_prefix[tier][None, :] - req_prefix[tier + 1][:, None]
    hop_ok = (tier[:, None] < tier[None, :]) & has_link & (skipped == 0)
    # the raw input hop from the origin skips tiers 0 .. t'-1
    src_skip_ok = req_prefix[tier] == 0
    snk_skip_ok = (req_prefix[T] - req_prefix[tier + 1]) == 0
    upload = np.array([np.inf if v is None else limit_slack(v) for v in c.upload_limit_bytes])
    send_ok = beta[:, None] <= upload[tier][None, :]  # (n+1, S): system s may send boundary b
    eye = np.eye(S, dtype=bool)
    trans_ok = np.zeros((n, S, S), dtype=bool)
    if n > 1:
        trans_ok[1:] = eye[None] | (hop_ok[None] & send_ok[1:n, :, None])

    # ---- times per arc ---------------------------------------------------------------
    latT = lat.T  # (n, S)
    # read-only broadcast views: they are only read and indexed
    is_hop = _Dense(np.broadcast_to(~first[None, :], (S, S)), np.broadcast_to(~eye, (n, S, S)), np.zeros(S, dtype=bool))
    transfer_t = beta[1:n, None, None] / bps[None] if n > 1 else np.zeros((0, S, S))
    hop_trans = np.zeros((n, S, S))
    if n > 1:
        hop_trans[1:] = np.where(~eye[None], fixed[None] + transfer_t, 0.0)
    hop_src = np.where(is_hop.src, fixed + beta[0] / bps, 0.0)
    comp = _Dense(np.broadcast_to(latT[0][None, :], (S, S)), np.broadcast_to(latT[:, None, :], (n, S, S)), np.zeros(S))
    return {
        "st": st, "hop_ok": hop_ok, "src_skip_ok": src_skip_ok, "snk_skip_ok": snk_skip_ok, "upload": upload,
        "send_ok": send_ok, "trans_ok": trans_ok, "is_hop": is_hop, "transfer_t": transfer_t, "hop_trans": hop_trans,
        "hop_src": hop_src, "comp": comp, "time_src": comp.src + hop_src, "time_trans": comp.trans + hop_trans,
        "fixed": fixed, "bps": bps, "first": first, "eye": eye,
    }  # fmt: skip


def _dense_data(instance: "Instance", origins: tuple[int, ...], terms: Terms, cache: dict | None = None) -> _Build:
    """Masks and values of one group's model; ``cache`` shares the group-independent arrays."""
    cache = {} if cache is None else cache
    if "static" not in cache:
        cache["static"] = _static_data(instance)
    sd = cache["static"]
    inst = instance
    n, S, T = inst.n_nodes, inst.n_systems, inst.n_tiers
    c = inst.constraints
    tier = inst.system_tier
    lat = inst.latency
    beta = inst.boundary_bytes
    has_link = inst.has_link
    fixed, bps, first, eye = sd["fixed"], sd["bps"], sd["first"], sd["eye"]
    param, act = inst.param_bytes, inst.activation_bytes
    is_origin = np.zeros(S, dtype=bool)
    is_origin[list(origins)] = True
    returning = inst.return_output and T > 1
    if returning:
        assert len(origins) == 1, "return hops need one model per origin"
    o_ret = origins[0]
    comp_limit = c.compute_time_limit_s

    # ---- states: the first tier runs the origin only, always a prefix 0..b -------------
    st = sd["st"].copy()
    st[:, first & ~is_origin] = False
    for o in origins:
        cap = inst.systems[o].memory_bytes
        if cap is not None:
            st[exceeds(np.cumsum(param) + np.maximum.accumulate(act), cap), o] = False
        if comp_limit[0] is not None:
            st[exceeds(np.cumsum(lat[o]), comp_limit[0]), o] = False
        if c.energy_budget_j is not None:
            cw = inst.systems[o].compute_w or 0.0
            st[exceeds(cw * np.cumsum(lat[o]), c.energy_budget_j), o] = False
        st[:, o] = np.logical_and.accumulate(st[:, o])

    # ---- arcs ------------------------------------------------------------------------
    key = ("cost", id(terms))
    if key not in cache:
        node_c, hop_c = terms.node, terms.hop  # (n, S), (n+1, S, S)
        cost_trans = np.broadcast_to(node_c[:, None, :], (n, S, S)) + np.where(~eye[None], hop_c[:n], 0.0)
        cost_src = node_c[0][None, :] + np.where(sd["is_hop"].src, hop_c[0], 0.0)
        cache[key] = (cost_src, cost_trans, np.isfinite(cost_trans) & sd["trans_ok"])
    cost_src, cost_trans, trans_ok = cache[key]
    cost_snk = terms.hop[n, :, o_ret] if returning else np.zeros(S)
    cost_snk = np.where(first, 0.0, cost_snk)
    cost = _Dense(cost_src, cost_trans, cost_snk)

    trans_alive = np.zeros((n, S, S), dtype=bool)
    if n > 1:
        np.logical_and(st[:-1, :, None], st[1:, None, :], out=trans_alive[1:])
        trans_alive &= trans_ok
    src_alive = np.zeros((S, S), dtype=bool)
    for o in origins:
        src_alive[o] = st[0] & (
            ((np.arange(S) == o) & first) | (sd["hop_ok"][o] & sd["send_ok"][0, o] & sd["src_skip_ok"] & ~first)
        )
    src_alive &= np.isfinite(cost.src)
    snk_alive = st[n - 1] & sd["snk_skip_ok"] & np.isfinite(cost.snk)
    if returning:
        snk_alive &= first | (has_link[:, o_ret] & (beta[n] <= sd["upload"][tier]))
    alive = _Dense(src_alive, trans_alive, snk_alive)

    # ---- values per arc ----------------------------------------------------------------
    is_hop = _Dense(sd["is_hop"].src, sd["is_hop"].trans, sd["is_hop"].snk)
    hop_snk = np.zeros(S)
    if returning:
        is_hop.snk = ~first
        hop_snk = np.where(~first, fixed[:, o_ret] + beta[n] / bps[:, o_ret], 0.0)
    comp = sd["comp"]
    hop_s = _Dense(sd["hop_src"], sd["hop_trans"], hop_snk)
    timev = _Dense(sd["time_src"], sd["time_trans"], hop_snk)

    resources: list[tuple[str, _Dense, float]] = []
    energy = None
    if c.energy_budget_j is not None:
        idle = inst.systems[origins[0]].idle_w
        assert all(inst.systems[o].idle_w == idle for o in origins), "energy needs one idle power per model"
        key = ("energy", idle)
        if key not in cache:
            # idle power for every second of the plan, corrected on the origin's own compute and upload
            tx_w = np.nan_to_num(inst.link_tx_w, nan=0.0)
            cw = np.array([s.compute_w or 0.0 for s in inst.systems])
            f_idx = np.flatnonzero(first)
            e_trans = sd["time_trans"] * idle
            if n > 1:
                # stays on a first-tier system: compute at compute_w instead of idle
                for o in f_idx:
                    e_trans[1:, o, o] = lat[o, 1:] * cw[o]
                # hops sent by a first-tier system: transmit power during the transfer
                e_trans[1:, f_idx, :] += np.where(~eye[f_idx][None], (tx_w[f_idx][None] - idle) * sd["transfer_t"][:, f_idx, :], 0.0)
            e_src = sd["time_src"] * idle
            e_src[:, f_idx] = lat[f_idx, 0][None, :] * cw[f_idx][None, :]
            e_src += np.where(sd["is_hop"].src, (tx_w - idle) * beta[0] / bps, 0.0)
            cache[key] = (e_src, e_trans)
        e_src, e_trans = cache[key]
        energy = _Dense(e_src, e_trans, idle * hop_snk)
        resources.append(("energy", energy, limit_slack(c.energy_budget_j)))
    if c.deadline_s is not None:
        resources.append(("deadline", timev, limit_slack(c.deadline_s)))

    def tier_compute(t: int) -> _Dense:
        key = ("compute", t)
        if key not in cache:
            on_t = tier == t
            cache[key] = _Dense(comp.src * on_t[None, :], comp.trans * on_t[None, None, :], np.zeros(S))
        return cache[key]

    for t in range(1, T):
        lim = comp_limit[t]
        if lim is not None:
            resources.append((f"compute_{t}", tier_compute(t), limit_slack(lim)))
    w = float(terms.bottleneck_weight)
    tier_comp = [tier_compute(t) for t in range(T)] if w else []
    return _Build(alive, cost, timev, comp, hop_s, energy, is_hop, resources, w, tier_comp)


def _prune_all(b: _Build, objective_limit: float = INF, deadline: float = INF) -> None:
    """Resource and bound pruning until nothing changes (or a few rounds, or the deadline)."""
    if not (b.resources and RESOURCE_PRUNING) and not np.isfinite(objective_limit):
        _prune(b.alive, b.time, INF)  # only drops arcs on no source-sink path
    w = b.bottleneck_weight
    own = None
    if w:
        own = _Dense(w * b.hop_s.src, w * b.hop_s.trans, w * b.hop_s.snk)
    for _ in range(4):
        if time.perf_counter() > deadline:
            return  # pruning is optional: the model stays exact without it
        removed = 0
        if np.isfinite(objective_limit):
            removed += _prune(b.alive, b.cost, objective_limit, own)
            if w and b.alive.count():
                # every stage computes for at most (limit - cheapest additive part) / w
                stage = (objective_limit - _best(b.alive, b.cost)) / w
                for values in b.tier_comp:
                    if b.alive.count():
                        removed += _prune(b.alive, values, stage * (1 + 1e-9) + 1e-12)
        for _, values, limit in b.resources if RESOURCE_PRUNING else ():
            if not b.alive.count():
                return
            removed += _prune(b.alive, values, limit)
        kinds = int(np.isfinite(objective_limit)) * (1 + len(b.tier_comp)) + (len(b.resources) if RESOURCE_PRUNING else 0)
        if not removed or not b.alive.count() or kinds <= 1:
            break  # one kind of pruning is idempotent: a second round would delete nothing


def build_model(instance: "Instance", origins: tuple[int, ...], terms: Terms, objective_limit: float = INF) -> ArcModel:
    """The pruned arc-flow model for the origins ``origins`` (which share their origin-dependent data).

    ``objective_limit`` is a value no wanted plan exceeds (the k-th best known
    feasible plan's value, slightly relaxed); arcs that cannot be on such a
    plan are deleted.
    """
    d = _dense_data(instance, origins, terms)
    # with a bottleneck term w * Z >= 0, the additive part alone never exceeds the whole objective
    _prune_all(d, objective_limit)
    return _assemble(instance, origins, terms, d)


def _bottleneck_floor(instance: "Instance", origins: tuple[int, ...], d: _Build) -> float:
    """A lower bound on every remaining path's bottleneck: the first tier's compute up to its
    earliest possible exit, and the fastest hop when every path must hop.

    Without it the LP relaxation spreads the bottleneck over fractional paths, and a
    plan whose bottleneck is forced (say by privacy on a slow first tier) is hard to prove optimal.
    """
    a = d.alive
    first = instance.system_tier == 0
    floor0 = INF
    for o in origins:
        prefix = np.cumsum(instance.latency[o])
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
        times = [d.hop_s.src[a.src & d.is_hop.src], d.hop_s.trans[a.trans & d.is_hop.trans], d.hop_s.snk[a.snk & d.is_hop.snk]]
        hop_floor = float(min((t.min() for t in times if t.size), default=0.0))
    return max(floor0, hop_floor)


def _assemble(instance: "Instance", origins: tuple[int, ...], terms: Terms, d: _Build) -> ArcModel:
    inst = instance
    n, S, T = inst.n_nodes, inst.n_systems, inst.n_tiers
    c = inst.constraints
    tier = inst.system_tier
    a = d.alive
    # ---- flat arcs ------------------------------------------------------------------
    so, sh = np.nonzero(a.src)
    tb, ts, th = np.nonzero(a.trans)
    (ks,) = np.nonzero(a.snk)
    kind = np.concatenate([np.zeros(len(so), np.int8), np.ones(len(tb), np.int8), np.full(len(ks), 2, np.int8)])
    node = np.concatenate([np.zeros(len(so), np.int64), tb, np.full(len(ks), n, np.int64)])
    tail = np.concatenate([so, ts, ks]).astype(np.int64)
    head = np.concatenate([sh, th, np.full(len(ks), -1)]).astype(np.int64)
    m = len(kind)
    cost = d.cost.flat(a)
    hop = d.is_hop.flat(a)
    comp = d.comp.flat(a)
    hop_s = d.hop_s.flat(a)
    arcs = np.arange(m)
    best = _best(a, d.cost)

    blocks: list[RowBlock] = []
    extras: list[ExtraColumn] = []

    # ---- flow conservation: into a state = out of it; one unit leaves the source ----
    head_state = np.where(kind == 2, -1, node * S + head)
    tail_state = np.where(kind == 0, -1, (node - 1) * S + tail)
    tail_state = np.where(kind == 2, (n - 1) * S + tail, tail_state)
    states = np.unique(np.concatenate([head_state[head_state >= 0], tail_state[tail_state >= 0]]))
    hrow = np.searchsorted(states, head_state)
    trow = np.searchsorted(states, tail_state)
    hin, tin = head_state >= 0, tail_state >= 0
    k = len(states)
    row = np.concatenate([hrow[hin], trow[tin], np.full(int((kind == 0).sum()), k)])
    col = np.concatenate([arcs[hin], arcs[tin], arcs[kind == 0]])
    val = np.concatenate([np.ones(int(hin.sum())), -np.ones(int(tin.sum())), np.ones(int((kind == 0).sum()))])
    rhs = np.zeros(k + 1)
    rhs[k] = 1.0
    blocks.append(RowBlock("flow", "exact", row, col, val, rhs, rhs.copy()))

    head_sys = np.where(kind == 2, -1, head)
    head_tier = np.where(head_sys >= 0, tier[np.maximum(head_sys, 0)], -1)

    # ---- memory of later tiers: params of the segment + A_s >= every activation ----
    param, act = inst.param_bytes, inst.activation_bytes
    mrow, mcol, mval, mhi = [], [], [], []
    windowed: list[tuple[int, np.ndarray, float]] = []
    r = 0
    for s in range(S):
        cap = inst.systems[s].memory_bytes
        if cap is None or tier[s] == 0:
            continue
        into = np.flatnonzero(head_sys == s)
        if not len(into):
            continue
        nodes_s = np.unique(node[into])
        if not exceeds(param[nodes_s].sum() + act[nodes_s].max(), cap):
            continue  # even every allowed node together fits
        j = m + len(extras)
        extras.append(ExtraColumn(f"A{s}", 0.0, float(act[nodes_s].max()), 0.0, "memory"))
        # sum row
        mrow += [np.full(len(into), r), [r]]
        mcol += [into, [j]]
        mval += [param[node[into]], [1.0]]
        mhi.append(limit_slack(cap))
        r += 1
        # A_s >= act_b * (flow into (b, s)), one row per state
        pos = act[node[into]] > 0
        sub = into[pos]
        st_nodes, st_row = np.unique(node[sub], return_inverse=True)
        mrow += [r + st_row, r + np.arange(len(st_nodes))]
        mcol += [sub, np.full(len(st_nodes), j)]
        mval += [act[node[sub]], -np.ones(len(st_nodes))]
        mhi += [0.0] * len(st_nodes)
        r += len(st_nodes)
        windowed.append((s, into, cap))
    if r:
        hi = np.array(mhi)
        blocks.append(
            RowBlock("memory", "limit", np.concatenate(mrow), np.concatenate(mcol), np.concatenate(mval), np.full(r, -INF), hi)
        )
    # ---- memory windows: node j may run on s only if s was entered at a >= lo_s(j) ----
    # (lo_s(j): the earliest start of a segment ending at j that fits; the rows above
    # stay exact on their own, these tighten the LP relaxation a great deal)
    wrow, wcol, wval, wlo, whi = [], [], [], [], []
    r = 0
    for s, into, cap in windowed:
        lo = memory_starts(param, act, np.array([limit_slack(cap)]))[1:, 0]  # lo of the segment ending at node j
        base = m + len(extras)  # Y_s(j) = flow entering s at a node <= j, for j = 0..n-1
        extras += [ExtraColumn(f"Y{s}_{j}", 0.0, 1.0, 0.0, "memory_window") for j in range(n)]
        entering = into[hop[into]]
        # Y(j) - Y(j-1) - (hops into (j, s)) = 0
        wrow += [r + np.arange(n), r + np.arange(1, n), r + node[entering]]
        wcol += [base + np.arange(n), base + np.arange(n - 1), entering]
        wval += [np.ones(n), -np.ones(n - 1), -np.ones(len(entering))]
        wlo.append(np.zeros(n))
        whi.append(np.zeros(n))
        r += n
        # flow into (j, s) - Y(j) + Y(lo(j) - 1) <= 0
        st_nodes, st_row = np.unique(node[into], return_inverse=True)
        k = len(st_nodes)
        before = lo[st_nodes] - 1
        has_before = before >= 0
        wrow += [r + st_row, r + np.arange(k), r + np.flatnonzero(has_before)]
        wcol += [into, base + st_nodes, base + before[has_before]]
        wval += [np.ones(len(into)), -np.ones(k), np.ones(int(has_before.sum()))]
        wlo.append(np.full(k, -INF))
        whi.append(np.zeros(k))
        r += k
    if r:
        blocks.append(
            RowBlock(
                "memory_window", "exact", np.concatenate(wrow), np.concatenate(wcol), np.concatenate(wval).astype(float),
                np.concatenate(wlo), np.concatenate(whi),
            )
        )

    # ---- path-additive limits (deadline, energy, compute per tier) ---------------
    for name, values, limit in d.resources:
        v = values.flat(a)
        nz = np.flatnonzero(v)
        blocks.append(RowBlock(name, "limit", np.zeros(len(nz), np.int64), nz, v[nz], np.array([-INF]), np.array([limit])))
    # ---- compute time as a share of the total --------------------------------------
    for t in range(T):
        pct = c.compute_time_limit_pct[t]
        if pct is None:
            continue
        v = comp * ((head_tier == t).astype(float) - pct / 100.0)
        nz = np.flatnonzero(v)
        blocks.append(RowBlock(f"compute_pct_{t}", "limit", np.zeros(len(nz), np.int64), nz, v[nz], np.array([-INF]), np.array([0.0])))

    # ---- bottleneck: Z >= every stage's compute and every hop's time ----------------
    w = float(terms.bottleneck_weight)
    if w:
        j = m + len(extras)
        z_lb = _bottleneck_floor(inst, origins, d)
        best += w * z_lb
        extras.append(ExtraColumn("Z", float(z_lb) * (1 - 1e-12), INF, w, "bottleneck"))
        brow, bcol, bval = [], [], []
        r = 0
        for s in range(S):
            into = np.flatnonzero((head_sys == s) & (comp > 0))
            if len(into):
                brow += [np.full(len(into), r), [r]]
                bcol += [into, [j]]
                bval += [comp[into], [-1.0]]
                r += 1
        hops = np.flatnonzero(hop & (hop_s > 0))
        if len(hops):
            slot, inv = np.unique(node[hops], return_inverse=True)  # one hop at most crosses each boundary
            brow += [r + inv, r + np.arange(len(slot))]
            bcol += [hops, np.full(len(slot), j)]
            bval += [hop_s[hops], -np.ones(len(slot))]
            r += len(slot)
        if not r:
            extras.pop()  # nothing takes time: the bottleneck is 0
        else:
            blocks.append(
                RowBlock("bottleneck", "bottleneck", np.concatenate(brow), np.concatenate(bcol), np.concatenate(bval), np.full(r, -INF), np.zeros(r))
            )

    return ArcModel(
        instance=inst,
        origins=tuple(origins),
        terms=terms,
        kind=kind,
        node=node,
        tail=tail,
        head=head,
        cost=cost,
        hop=hop,
        blocks=blocks,
        extras=extras,
        lower_bound=best,
    )


# ---------------------------------------------------------------------------
# Origin groups and cheap feasible plans


def origin_groups(instance: "Instance", objective: Objective) -> list[tuple[tuple[int, ...], Terms]]:
    """Origins that can share one model: same terms, same idle power under an energy
    budget, and one origin per model when the output returns to it."""
    out = []
    for group, terms in terms_by_origin(instance, objective):
        if terms.bottleneck_weight < 0:  # type: ignore[attr-defined]
            raise UnsupportedError(f"objective {objective.name!r} has a negative bottleneck weight")
        keyed: dict[Any, list[int]] = {}
        for o in group:
            key = (
                instance.systems[o].idle_w if instance.constraints.energy_budget_j is not None else None,
                o if instance.return_output and instance.n_tiers > 1 else None,
            )
            keyed.setdefault(key, []).append(o)
        out += [(tuple(os), terms) for os in keyed.values()]  # type: ignore[misc]
    return out


def _steps_to_plan(instance: "Instance", steps: list[tuple[int, int, int]]) -> Plan:
    S = instance.n_systems
    node_sys = np.empty(instance.n_nodes, dtype=np.int64)
    origin = -1
    for kind, b, idx in steps:
        if kind == 0:
            origin, node_sys[0] = divmod(idx, S)
        elif kind == 1:
            node_sys[b] = idx % S
    return _node_plan(instance, origin, node_sys)


def _node_plan(instance: "Instance", origin: int, node_sys: np.ndarray) -> Plan:
    n, T = instance.n_nodes, instance.n_tiers
    tier_of_node = instance.system_tier[node_sys]
    bounds = [int(np.searchsorted(tier_of_node, t, side="left")) for t in range(T)] + [n]
    names: list[str | None] = [None] * T
    names[0] = instance.systems[origin].name
    for t in range(1, T):
        if bounds[t + 1] > bounds[t]:
            names[t] = instance.systems[int(node_sys[bounds[t]])].name
    return Plan(tuple(bounds), tuple(names))


def _segment_dp_plans(instance: "Instance", objective: Objective, deadline: float, bottleneck: bool) -> dict[Plan, float]:
    """Plans of the segment DP on the instance without the constraints that couple
    segments (it handles memory exactly, which shortest paths cannot), kept where
    the evaluator finds them feasible on the real instance. Only a source of
    starting plans: any failure of it is ignored."""
    import dataclasses

    from ..objectives import Latency

    c = instance.constraints
    T = instance.n_tiers
    idle = any(instance.systems[s].idle_w for s in instance.candidates[0])
    relaxed = instance.replace(
        constraints=dataclasses.replace(
            c,
            compute_time_limit_pct=(None,) * T,
            deadline_s=None,
            energy_budget_j=None if idle else c.energy_budget_j,
        )
    )
    proxy = Latency() if bottleneck else objective
    found: dict[Plan, float] = {}
    try:
        from .dp import SegmentDP

        dp = SegmentDP()
        if dp.unsupported(relaxed, proxy) or time.perf_counter() > deadline:
            return found
        left = deadline - time.perf_counter()
        # top-1 only: its k-best search is much slower, and _alternatives supplies more plans
        result = dp.solve(relaxed, proxy, top_k=1, time_limit=left if math.isfinite(left) else None)
    except Exception:  # noqa: BLE001 - a heuristic; the MIP stays exact without it
        return found
    for ranked in result.plans:
        value, metrics = objective_value(instance, ranked.plan, objective)
        if metrics.feasible:  # type: ignore[attr-defined]
            found[ranked.plan] = value
    return found


def heuristic_plans(
    instance: "Instance", objective: Objective, builds: list[_Build], deadline: float = INF, top_k: int = 1
) -> dict[Plan, float]:
    """Feasible plans from shortest paths on the objective plus growing multiples of the
    coupled limits (each checked by the evaluator); a few milliseconds each."""
    found: dict[Plan, float] = {}
    for d in builds:
        if time.perf_counter() > deadline:
            break
        if not d.alive.count():
            continue
        ref = max(abs(_best(d.alive, d.cost)), 1e-300)
        penalty = None
        extra = []
        if d.bottleneck_weight:
            # the shortest path ignores the bottleneck term; time-weighted paths spread the load
            extra.append(("time", d.time, max(_best(d.alive, d.time), 1e-300)))
        for name, values, limit in d.resources + extra:
            part = _Dense(values.src / limit, values.trans / limit, values.snk / limit) if limit > 0 else None
            if part is None:
                continue
            penalty = part if penalty is None else _Dense(penalty.src + part.src, penalty.trans + part.trans, penalty.snk + part.snk)
        lambdas = [0.0] + ([ref * 10.0**k for k in range(-3, 4)] if penalty is not None else [])
        if d.cost.src.size and not np.isfinite(ref):
            continue
        steered = None  # the cheapest penalised costs whose shortest path is feasible
        for lam in lambdas:
            if time.perf_counter() > deadline:
                break
            if lam:
                v = _Dense(d.cost.src + lam * penalty.src, d.cost.trans + lam * penalty.trans, d.cost.snk + lam * penalty.snk)  # type: ignore[union-attr]
            else:
                v = d.cost
            steps = _shortest_path(d.alive, v)
            if steps is None:
                break
            plan = _steps_to_plan(instance, steps)
            if plan in found:
                continue
            value, metrics = objective_value(instance, plan, objective)
            if metrics.feasible:  # type: ignore[attr-defined]
                found[plan] = value
                steered = v if steered is None else steered
                if not lam:
                    break
        if top_k > 1 and steered is not None and time.perf_counter() < deadline:
            _alternatives(instance, objective, d, steered, found, 3 * top_k + 5)
        if d.bottleneck_weight:
            _bottleneck_plans(instance, objective, d, found, deadline=deadline)
    return found


def _alternatives(instance: "Instance", objective: Objective, d: _Build, v: _Dense, found: dict[Plan, float], count: int) -> None:
    """More plans for top-k: the cheapest path through each of the ``count`` most promising
    hops (and source and sink arcs), each checked by the evaluator."""
    w = d.alive.where(v)
    n, S = w.trans.shape[0], w.snk.shape[0]
    f, g = _forward(w), _backward(w)
    lb, _ = _through(w)
    hop_lb = np.where(d.is_hop.trans, lb.trans, INF)
    cands = np.concatenate([lb.src.ravel(), hop_lb.ravel(), lb.snk])
    count = min(count, int(np.isfinite(cands).sum()))
    if count <= 0:
        return
    picks = np.argpartition(cands, count - 1)[:count]
    for pick in picks[np.argsort(cands[picks])].tolist():
        node_sys = np.empty(n, dtype=np.int64)
        if pick < S * S:  # source arc
            origin, node_sys[0] = divmod(pick, S)
            start = 1
        elif pick < S * S + n * S * S:
            b, rest = divmod(pick - S * S, S * S)
            s_prev, node_sys[b] = divmod(rest, S)
            node_sys[b - 1] = s_prev
            for j in range(b - 1, 0, -1):  # back to the source along the cheapest path
                node_sys[j - 1] = int(np.argmin(f[j - 1] + w.trans[j][:, node_sys[j]]))
            origin = int(np.argmin(w.src[:, node_sys[0]]))
            start = b + 1
        else:  # sink arc: the cheapest path that ends on that system
            s_last = pick - S * S - n * S * S
            node_sys[n - 1] = s_last
            for j in range(n - 1, 0, -1):
                node_sys[j - 1] = int(np.argmin(f[j - 1] + w.trans[j][:, node_sys[j]]))
            origin = int(np.argmin(w.src[:, node_sys[0]]))
            start = n
        for j in range(start, n):  # on to the sink along the cheapest path
            node_sys[j] = int(np.argmin(w.trans[j][node_sys[j - 1], :] + g[j]))
        if instance.system_tier[origin] != 0:
            continue
        plan = _node_plan(instance, origin, node_sys)
        if plan in found or plan.check_shape(instance):
            continue
        value, metrics = objective_value(instance, plan, objective)
        if metrics.feasible:  # type: ignore[attr-defined]
            found[plan] = value


def _bottleneck_plans(
    instance: "Instance", objective: Objective, d: _Build, found: dict[Plan, float], steps: int = 8, deadline: float = INF
) -> None:
    """Bisect on the bottleneck: delete hops slower than ``B`` and arcs that push a tier's compute
    past ``B``, then take the cheapest remaining path (checked by the evaluator)."""
    w = d.bottleneck_weight
    times = d.alive.where(d.time)
    finite = np.isfinite(times.trans)
    hi = float(times.trans[finite].max(initial=0.0)) * instance.n_nodes + float(np.nanmax(np.where(np.isfinite(times.src), times.src, 0.0)))
    for plan in found:
        hi = min(hi, evaluate(instance, plan).bottleneck_s)
    lo = 0.0
    ref = max(abs(_best(d.alive, d.time)), 1e-300)
    v = _Dense(d.cost.src + 1e-3 * w * d.time.src, d.cost.trans + 1e-3 * w * d.time.trans, d.cost.snk + 1e-3 * w * d.time.snk)
    for _ in range(steps):
        if hi - lo <= 1e-6 * ref or time.perf_counter() > deadline:
            break
        bottleneck = 0.5 * (lo + hi)
        alive = d.alive.copy()
        alive.src &= d.hop_s.src <= bottleneck
        alive.trans &= d.hop_s.trans <= bottleneck
        alive.snk &= d.hop_s.snk <= bottleneck
        for values in d.tier_comp:
            if alive.count():
                _prune(alive, values, bottleneck)
        for _, values, limit in d.resources:
            if alive.count():
                _prune(alive, values, limit)
        path = _shortest_path(alive, v) if alive.count() else None
        if path is None:
            lo = bottleneck
            continue
        plan = _steps_to_plan(instance, path)
        value, metrics = objective_value(instance, plan, objective)
        if metrics.feasible:  # type: ignore[attr-defined]
            found[plan] = value
            if metrics.bottleneck_s <= bottleneck:  # type: ignore[attr-defined]
                hi = metrics.bottleneck_s  # type: ignore[attr-defined]
                continue
        lo = bottleneck


# ---------------------------------------------------------------------------
# The driver both solvers share


@dataclass
class BackendAnswer:
    """One backend solve: ``status`` in optimal / feasible / infeasible / unknown."""

    status: str
    arcs: np.ndarray | None = None
    bound: float = math.nan  # lower bound on this model's objective, in the objective's units


#: backend(model, seconds_left, state) -> BackendAnswer; ``state`` is the backend's own dict per model
Backend = Callable[[ArcModel, float, dict], BackendAnswer]


def solve_arc_models(
    solver_name: str,
    backend: Backend,
    instance: "Instance",
    objective: Objective,
    *,
    top_k: int,
    time_limit: float | None,
    started: float,
    note: str = "",
) -> SolveResult:
    """Group origins, find cheap plans, prune, then ask ``backend`` for the ``top_k`` best plans per group."""
    deadline = INF if time_limit is None else started + time_limit
    groups = origin_groups(instance, objective)
    cache: dict = {}
    builds = []
    for origins, terms in groups:
        if time.perf_counter() > deadline and builds:
            break
        d = _dense_data(instance, origins, terms, cache)
        _prune_all(d, INF, deadline)  # the limits alone: dead groups die here, before any heuristic
        builds.append((origins, terms, d))
    unbuilt = len(groups) - len(builds)
    known: dict[Plan, float] = {}
    if HEURISTICS:
        bottleneck = any(d.bottleneck_weight for _, _, d in builds)
        known = _segment_dp_plans(instance, objective, deadline, bottleneck)
        known.update(heuristic_plans(instance, objective, [b for _, _, b in builds], deadline, top_k))

    def kth_limit() -> float:
        # a value no wanted plan exceeds: the k-th best feasible plan known (relaxed for rounding)
        values = sorted(plans.values())
        if len(values) < top_k:
            return INF
        kth = values[top_k - 1]
        return kth + 1e-9 * max(1.0, abs(kth))

    plans: dict[Plan, float] = dict(known)
    proven = not unbuilt
    bounds: list[float] = []
    messages: list[str] = []
    for origins, terms, d in builds:
        if time.perf_counter() > deadline:
            proven = False
            bounds.append(_best(d.alive, d.cost))
            continue
        if not d.alive.count():
            bounds.append(INF)  # no path left in this group
            continue
        limit = kth_limit()
        if np.isfinite(limit):
            _prune_all(d, limit, deadline)
        model = _assemble(instance, origins, terms, d)
        if not (model.kind == 0).any() or not (model.kind == 2).any():
            bounds.append(INF)  # no path left in this group
            continue
        state: dict = {}
        found = 0
        group_bound = math.nan
        ranked_known = sorted(plans.items(), key=lambda kv: kv[1])
        while found < top_k:
            cut = {tuple(c.tolist()) for c in model.cuts}
            model.hint = None
            for plan, _ in ranked_known:
                arcs = model.arcs_of(plan)
                if arcs is not None and tuple(model.path_arcs(arcs).tolist()) not in cut:
                    model.hint = arcs
                    break
            left = deadline - time.perf_counter()
            if left <= 0:
                proven = False
                break
            ans = backend(model, left, state)
            if math.isnan(group_bound) and not math.isnan(ans.bound):
                group_bound = ans.bound
            if ans.status == "infeasible":
                if found == 0:
                    group_bound = INF
                break
            if ans.arcs is None:
                proven = False
                break
            plan, chosen = model.decode(ans.arcs)
            model.add_cut(chosen)
            value, metrics = objective_value(instance, plan, objective)
            if not metrics.feasible:  # type: ignore[attr-defined]
                messages.append(f"cut a plan the evaluator rejects ({metrics.violations[0]})")  # type: ignore[attr-defined]
                continue
            plans[plan] = value
            found += 1
            if ans.status != "optimal":
                proven = False
                break
        if math.isnan(group_bound):
            group_bound = model.lower_bound
        bounds.append(group_bound)

    ranked = sorted(plans.items(), key=lambda kv: (kv[1], kv[0]))
    if proven:
        status = Status.OPTIMAL if ranked else Status.INFEASIBLE
        bound = math.nan
    else:
        status = Status.FEASIBLE if ranked else Status.TIME_LIMIT
        bound = min(bounds) if bounds and not unbuilt else math.nan
        if ranked and not math.isnan(bound):
            bound = min(bound, ranked[0][1])
        if time_limit is not None:
            messages.insert(0, f"stopped at the time limit of {time_limit:g} s before proving optimality")
        else:
            messages.insert(0, f"the {solver_name} backend stopped before proving optimality")
    if note:
        messages.append(note)
    return finish(
        instance,
        objective,
        solver_name,
        [p for p, _ in ranked],
        status=status,
        started=started,
        bound=bound,
        top_k=top_k,
        message="; ".join(messages),
    )


class ArcSolver:
    """The shared front of the arc-flow MIP solvers; a subclass names itself and its backend."""

    name: str

    @staticmethod
    def backend(model: ArcModel, seconds: float, state: dict) -> "BackendAnswer":  # pragma: no cover - overridden
        raise NotImplementedError

    def unsupported(self, instance: "Instance", objective: Objective) -> str | None:
        return unsupported_reason(instance, objective)

    def solve(
        self, instance: "Instance", objective: Objective, *, top_k: int = 1, time_limit: float | None = None
    ) -> SolveResult:
        started = time.perf_counter()
        require_supported(self, instance, objective)  # type: ignore[arg-type]
        return solve_arc_models(
            self.name, self.backend, instance, objective, top_k=top_k, time_limit=time_limit, started=started
        )
