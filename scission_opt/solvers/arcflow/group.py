"""One origin group's arcs held densely while they are pruned: costs, times, energy and limits per arc.

:func:`group_data` turns the shared :class:`~.states.Static` arrays into one
group's :class:`Group`; :func:`prune_group` deletes every arc whose cheapest
path through it already breaks a path-additive limit (deadline, first-tier
energy, later tiers' compute limits) or exceeds a value no wanted plan exceeds.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np

from ...evaluate import limit_slack
from ...objectives import Terms
from .paths import Dense, best, prune
from .states import Static, group_states, static_data

if TYPE_CHECKING:
    from ...budget import Budget
    from ...instance import Instance

INF = math.inf


class OutOfTime(Exception):
    """The budget ran out while a model was built (internal: the driver falls back to known plans)."""


def check(budget: Budget | None) -> None:
    """Raise :class:`OutOfTime` when ``budget`` has run out."""
    if budget is not None and budget.expired():
        raise OutOfTime


class Resource(NamedTuple):
    """A path-additive limit: ``sum of values along the path <= limit``.

    ``scale`` is the size of a typical path's value, by which heuristics weigh it
    (the limit itself, except for compute shares whose limit is about 0).
    """

    name: str
    values: Dense
    limit: float
    scale: float


@dataclass
class Group:
    """Everything one group's model is built from; ``alive`` shrinks as arcs are pruned."""

    origins: tuple[int, ...]
    terms: Terms
    alive: Dense
    cost: Dense
    time: Dense
    comp: Dense
    hop_s: Dense
    is_hop: Dense
    resources: list[Resource]
    bottleneck_weight: float = 0.0
    tier_comp: list[Dense] = field(default_factory=list)  # compute time on each tier (bottleneck pruning)


class Cache:
    """Arrays shared by the groups of one instance, computed once."""

    def __init__(self, instance: Instance):
        self.instance = instance
        self.static: Static = static_data(instance)
        self._items: dict[Any, Any] = {}

    def get(self, key: Any, make: Any) -> Any:
        if key not in self._items:
            self._items[key] = make()
        return self._items[key]


def _costs(cache: Cache, terms: Terms) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Objective terms per source arc and transition (a segment start pays the segment's cost)."""
    inst, sd = cache.instance, cache.static
    n, S = inst.n_nodes, inst.n_systems
    node_c, seg = terms.node, terms.segment_cost
    start = np.where(sd.eye, 0.0, seg[None, :])  # (S, S): a hop starts a segment on its head
    cost_trans = np.empty((n, S, S))
    for b in range(1, n):  # one boundary at a time: Terms.hop would hold all (n+1, S, S) at once
        cost_trans[b] = node_c[b][None, :] + np.where(sd.eye, 0.0, terms.hop_at(b) + start)
    cost_trans[0] = INF
    cost_src = node_c[0][None, :] + seg[None, :] + np.where(sd.is_hop.src, terms.hop_at(0), 0.0)
    return cost_src, cost_trans, np.isfinite(cost_trans) & sd.trans_ok


def _energy(cache: Cache, idle: float) -> tuple[np.ndarray, np.ndarray]:
    """First-tier energy per source arc and transition: idle power for every second of the plan,
    corrected on the origin's own compute and upload."""
    inst, sd = cache.instance, cache.static
    n = inst.n_nodes
    lat = inst.latency
    tx_w = np.nan_to_num(inst.link_tx_w, nan=0.0)
    cw = np.array([s.compute_w or 0.0 for s in inst.systems])
    f_idx = np.flatnonzero(sd.first)
    e_trans = sd.time_trans() * idle
    if n > 1:
        for o in f_idx:  # stays on a first-tier system: compute at compute_w instead of idle
            e_trans[1:, o, o] = lat[o, 1:] * cw[o]
        sends = np.where(~sd.eye[f_idx][None], (tx_w[f_idx][None] - idle) * sd.transfer_t[:, f_idx, :], 0.0)
        e_trans[1:, f_idx, :] += sends  # hops sent by a first-tier system: transmit power during the transfer
    e_src = sd.time_src() * idle
    e_src[:, f_idx] = ((lat[f_idx, 0] + sd.overhead[f_idx]) * cw[f_idx])[None, :]
    e_src += np.where(sd.is_hop.src, (tx_w - idle) * inst.boundary_bytes[0] / sd.bps, 0.0)
    return e_src, e_trans


def _tier_compute(cache: Cache, t: int) -> Dense:
    def make() -> Dense:
        sd = cache.static
        on_t = cache.instance.system_tier == t
        return Dense(sd.comp.src * on_t[None, :], sd.comp.trans * on_t[None, None, :], np.zeros(len(on_t)))

    return cache.get(("compute", t), make)


def _compute_shares(cache: Cache) -> list[Resource]:
    """Compute time of tier ``t`` at most ``pct`` percent of the total:
    ``sum comp * ([tier = t] - pct / 100) <= 0`` along the path (values of both signs).

    The limit allows the evaluator's tolerance on the smallest possible total, and
    float noise, so that a plan exactly at the limit is never pruned.
    """
    inst = cache.instance
    comp = cache.static.comp
    total_min = float(inst.latency.min(axis=0).sum())
    total_max = float(inst.latency.max(axis=0).sum()) + inst.n_tiers * float(cache.static.overhead.max(initial=0.0))
    out = []
    for t, pct in enumerate(inst.constraints.compute_time_limit_pct):
        if pct is None:
            continue
        share = (inst.system_tier == t) - pct / 100.0
        values = Dense(comp.src * share[None, :], comp.trans * share[None, None, :], np.zeros(len(share)))
        limit = 1e-9 * pct / 100.0 * total_min + 1e-12
        out.append(Resource(f"compute_pct_{t}", values, limit, max(total_max, 1e-300)))
    return out


def _alive(cache: Cache, origins: tuple[int, ...], cost: Dense, trans_ok: np.ndarray) -> Dense:
    inst, sd = cache.instance, cache.static
    n, S = inst.n_nodes, inst.n_systems
    st = group_states(inst, sd, origins)
    trans_alive = np.zeros((n, S, S), dtype=bool)
    if n > 1:
        np.logical_and(st[:-1, :, None], st[1:, None, :], out=trans_alive[1:])
        trans_alive &= trans_ok
    src_alive = np.zeros((S, S), dtype=bool)
    own = np.arange(S)
    for o in origins:
        stay = (own == o) & sd.first
        hop = sd.hop_ok[o] & sd.send_ok[0, o] & sd.src_skip_ok & ~sd.first
        src_alive[o] = st[0] & (stay | hop)
    src_alive &= np.isfinite(cost.src)
    snk_alive = st[n - 1] & sd.snk_skip_ok & np.isfinite(cost.snk)
    if inst.return_output and inst.n_tiers > 1:
        o_ret = origins[0]
        snk_alive &= sd.first | (inst.has_link[:, o_ret] & (inst.boundary_bytes[n] <= sd.upload[inst.system_tier]))
    return Dense(src_alive, trans_alive, snk_alive)


def group_data(cache: Cache, origins: tuple[int, ...], terms: Terms) -> Group:
    """Masks and values of one group's model."""
    inst, sd = cache.instance, cache.static
    n, S, T = inst.n_nodes, inst.n_systems, inst.n_tiers
    c = inst.constraints
    returning = inst.return_output and T > 1
    if returning and len(origins) != 1:
        raise AssertionError("return hops need one model per origin")
    cost_src, cost_trans, trans_ok = cache.get(("cost", id(terms)), lambda: _costs(cache, terms))
    hop_snk = np.zeros(S)
    cost_snk = np.zeros(S)
    is_hop = Dense(sd.is_hop.src, sd.is_hop.trans, np.zeros(S, dtype=bool))
    if returning:
        o_ret = origins[0]
        cost_snk = np.where(sd.first, 0.0, terms.hop_at(n)[:, o_ret])
        hop_snk = np.where(sd.first, 0.0, sd.fixed[:, o_ret] + inst.boundary_bytes[n] / sd.bps[:, o_ret])
        is_hop.snk = ~sd.first
    cost = Dense(cost_src, cost_trans, cost_snk)
    alive = _alive(cache, origins, cost, trans_ok)
    hop_s = Dense(sd.hop_s.src, sd.hop_s.trans, hop_snk)
    timev = Dense(sd.time_src(), sd.time_trans(), hop_snk)

    resources: list[Resource] = []
    if c.energy_budget_j is not None:
        idle = inst.systems[origins[0]].idle_w
        if any(inst.systems[o].idle_w != idle for o in origins):
            raise AssertionError("energy needs one idle power per model")
        e_src, e_trans = cache.get(("energy", idle), lambda: _energy(cache, idle))
        limit = limit_slack(c.energy_budget_j)
        resources.append(Resource("energy", Dense(e_src, e_trans, idle * hop_snk), limit, limit))
    if c.deadline_s is not None:
        resources.append(Resource("deadline", timev, limit_slack(c.deadline_s), c.deadline_s))
    for t in range(1, T):
        lim = c.compute_time_limit_s[t]
        if lim is not None:
            resources.append(Resource(f"compute_{t}", _tier_compute(cache, t), limit_slack(lim), lim))
    resources += _compute_shares(cache)
    w = float(terms.bottleneck_weight)
    tier_comp = [_tier_compute(cache, t) for t in range(T)] if w else []
    return Group(origins, terms, alive, cost, timev, sd.comp, hop_s, is_hop, resources, w, tier_comp)


def prune_group(
    g: Group, objective_limit: float = INF, budget: Budget | None = None, *, resource_pruning: bool = True
) -> None:
    """Resource and bound pruning until nothing changes (or a few rounds, or the budget runs out).

    Pruning is optional: the model stays exact without it (the rows remain), so
    running out of time here only stops pruning.
    """
    resources = g.resources if resource_pruning else []
    if not resources and not np.isfinite(objective_limit):
        prune(g.alive, g.time, INF)  # only drops arcs on no source-sink path
    w = g.bottleneck_weight
    own = g.hop_s.scaled(w) if w else None
    kinds = int(np.isfinite(objective_limit)) * (1 + len(g.tier_comp)) + len(resources)
    for _ in range(4):
        if budget is not None and budget.expired():
            return
        removed = 0
        if np.isfinite(objective_limit):
            removed += prune(g.alive, g.cost, objective_limit, own)
            if w and g.alive.count():
                # every stage computes for at most (limit - cheapest additive part) / w
                stage = (objective_limit - best(g.alive, g.cost)) / w
                for values in g.tier_comp:
                    if g.alive.count():
                        removed += prune(g.alive, values, stage * (1 + 1e-9) + 1e-12)
        for _, values, limit, _ in resources:
            if not g.alive.count():
                return
            removed += prune(g.alive, values, limit)
        if not removed or not g.alive.count() or kinds <= 1:
            break  # one kind of pruning is idempotent: a second round would delete nothing
