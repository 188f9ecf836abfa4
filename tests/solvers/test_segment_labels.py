"""Label setting by whole segments against the node-by-node search, and its pieces against brute force."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from scission_opt.budget import Budget
from scission_opt.generate import generate, with_binding_constraints
from scission_opt.instance import Instance
from scission_opt.objectives import get_objective
from scission_opt.solvers import labels, segment_labels
from scission_opt.solvers.base import origins
from scission_opt.solvers.coupling import coupling_resources
from scission_opt.solvers.label_tables import Costs, LabelProblem
from scission_opt.solvers.segments import INF, SegmentGraph, segment_starts

from ..strategies import instances
from .test_dp import EXAMPLES, binding_coupled


def _brute_dominators(crit: np.ndarray) -> tuple[list[int], list[int]]:
    E = len(crit)

    def dominates(j: int, i: int) -> bool:
        return bool(np.all(crit[j] <= crit[i]) and (np.any(crit[j] < crit[i]) or j < i))

    prev = [max([j for j in range(i) if dominates(j, i)], default=-1) for i in range(E)]
    nxt = [min([j for j in range(i + 1, E) if dominates(j, i)], default=E) for i in range(E)]
    return prev, nxt


@settings(max_examples=150, deadline=None)
@given(
    rows=st.lists(st.tuples(*[st.sampled_from([-1.0, 0.0, 0.5, 1.0, 2.0])] * 3), min_size=1, max_size=12),
    k=st.integers(1, 3),
    block=st.sampled_from([1, 7, 1 << 21]),
)
def test_nearest_dominators_match_brute_force(rows: list[tuple[float, ...]], k: int, block: int) -> None:
    """Ties, duplicates and small blocks: the nearest dominating row on each side, as a double loop finds it."""
    crit = np.array(rows)[:, :k]
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(segment_labels, "BLOCK", block)
        prev, nxt = segment_labels.nearest_dominators(crit)
    assert (prev.tolist(), nxt.tolist()) == _brute_dominators(crit)


@st.composite
def _entries(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Entries sorted by start, with non-decreasing last closing boundaries (as windows give them)."""
    E = draw(st.integers(1, 10))
    b = np.sort(np.array(draw(st.lists(st.integers(0, 8), min_size=E, max_size=E))))
    reach = np.array(draw(st.lists(st.integers(0, 4), min_size=E, max_size=E)))
    shuts = np.maximum.accumulate(b + reach)
    crit = np.array(draw(st.lists(st.tuples(*[st.sampled_from([0.0, 1.0, 2.0])] * 2), min_size=E, max_size=E)))
    return b, shuts, crit


@settings(max_examples=300, deadline=None)
@given(_entries())
def test_undominated_intervals_match_brute_force(entries: tuple[np.ndarray, np.ndarray, np.ndarray]) -> None:
    """At each boundary, an entry is on its interval exactly when it is open and no open entry dominates it."""
    b, shuts, crit = entries
    lo, hi = segment_labels.undominated_intervals(b, shuts, crit)
    E = len(b)

    def dominates(j: int, i: int) -> bool:
        return bool(np.all(crit[j] <= crit[i]) and (np.any(crit[j] < crit[i]) or j < i))

    for i in range(E):
        for e in range(int(shuts.max()) + 2):
            is_open = b[i] < e <= shuts[i]
            beaten = any(dominates(j, i) and b[j] < e <= shuts[j] for j in range(E))
            assert (lo[i] <= e <= hi[i]) == (is_open and not beaten), (i, e)


def _problem(instance: Instance) -> tuple[list[int], LabelProblem]:
    group = origins(instance)
    resources = coupling_resources(instance, group)
    latency = get_objective("latency").terms(instance, None)
    res = tuple(r.for_origin(group[0]) for r in resources)
    caps = tuple(r.cap for r in resources)
    return group, LabelProblem(latency, res, caps, multipliers=tuple(0.5 for _ in resources))


def _sequential_rest(graph: SegmentGraph, costs: Costs) -> np.ndarray:
    """The completion bound by the plain backward recursion, one boundary at a time."""
    n, S = graph.n, graph.S
    rest = np.full((n + 1, S, costs.node.shape[2]), INF)
    ends = np.isfinite(graph.end_costs())
    rest[n] = np.where(ends[:, None], costs.back(np.arange(S)), INF)
    for e in range(n - 1, 0, -1):
        stay = costs.node[e] + rest[e + 1]
        start = costs.seg + costs.node[e] + rest[e + 1]
        hop = np.where(costs.allowed[e - 1][:, :, None], costs.hop(e) + start[None, :, :], INF).min(axis=1)
        rest[e] = np.minimum(stay, hop)
    return rest


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instance=binding_coupled(max_nodes=8, max_tiers=4, max_systems=3))
def test_completion_bound_a_tier_at_a_time_matches_the_recursion(instance: Instance) -> None:
    if not origins(instance):
        return  # no system may start a plan: there is no graph
    group, problem = _problem(instance)
    graph = SegmentGraph(instance, problem.primary, group, segment_starts(instance))
    costs = Costs(graph, problem, Budget(None))
    expected = _sequential_rest(graph, costs)
    assert np.allclose(costs.rest[1:], expected[1:], rtol=1e-9, atol=1e-12, equal_nan=False)
    assert np.array_equal(np.isinf(costs.rest[1:]), np.isinf(expected[1:]))


def _both(instance: Instance, objective: str, upper: float = math.inf) -> tuple[labels.LabelOutcome, ...]:
    chosen = get_objective(objective)
    shared = not chosen.depends_on_origin(instance) and not instance.return_output
    group = origins(instance) if shared else origins(instance)[:1]  # one origin fixes every objective's terms
    resources = coupling_resources(instance, group)
    if not shared or any(None not in r.terms for r in resources):
        group = group[:1]
    terms = chosen.terms(instance, None if len(group) > 1 else group[0])
    caps = tuple(r.cap for r in resources)
    res = tuple(r.for_origin(group[0]) for r in resources)
    problems = [(group, LabelProblem(terms, res, caps, multipliers=tuple(0.3 for _ in resources)))]
    lo = segment_starts(instance)
    out = []
    for whole in (True, False):
        with pytest.MonkeyPatch.context() as mp:
            mp.setattr(labels, "SEGMENTS", whole)
            out.append(labels.label_search(instance, problems, lo, upper=upper))
    return tuple(out)


def _same(a: labels.LabelOutcome, b: labels.LabelOutcome) -> None:
    assert a.complete and b.complete
    best_a = min((v[0] for v, _ in a.found), default=math.inf)
    best_b = min((v[0] for v, _ in b.found), default=math.inf)
    assert best_a == pytest.approx(best_b, rel=1e-9, abs=1e-12), (best_a, best_b)


@st.composite
def windowed(draw: st.DrawFn) -> Instance:
    """Memory on every system (segment windows that slide), and a percentage limit or deadline near the optimum."""
    from scission_opt.solve import solve

    instance: Instance = draw(instances(max_nodes=14, max_tiers=4, max_systems=3, coupled=False, constraints=False))
    whole = float(instance.param_bytes.sum() + instance.activation_bytes.max())
    systems = tuple(
        dataclasses.replace(s, memory_bytes=whole * draw(st.sampled_from([0.2, 0.35, 0.5, 0.7, 1.0])))
        for s in instance.systems
    )
    instance = instance.replace(systems=systems)
    metrics = solve(instance, "dp", "latency").metrics
    if metrics is None or metrics.compute_total_s <= 0:
        return instance
    c = instance.constraints
    if draw(st.booleans()):
        t = int(np.argmax(metrics.compute_s))
        pct: list[float | None] = [None] * instance.n_tiers
        pct[t] = 100.0 * draw(st.sampled_from([0.3, 0.6, 0.9])) * metrics.compute_s[t] / metrics.compute_total_s
        c = dataclasses.replace(c, compute_time_limit_pct=tuple(pct))
    else:
        c = dataclasses.replace(c, deadline_s=metrics.latency_s * draw(st.sampled_from([1.0, 1.1, 1.5])))
    return instance.replace(constraints=c)


def _check_against_nodes(instance: Instance, objective: str) -> None:
    if not origins(instance):
        return
    whole, nodes = _both(instance, objective)
    event("feasible" if whole.found else "infeasible")
    _same(whole, nodes)
    if whole.found:
        best = min(v[0] for v, _ in whole.found)
        for got in _both(instance, objective, upper=best):  # nothing below the optimum, up to rounding
            assert got.complete
            assert all(v[0] >= best - 1e-9 * abs(best) - 1e-12 for v, _ in got.found)
        _same(*_both(instance, objective, upper=best * 1.01 + 1e-9))


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    instance=binding_coupled(max_nodes=8, max_tiers=4, max_systems=3),
    objective=st.sampled_from(["latency", "energy", "price", "bytes"]),
)
def test_whole_segments_find_what_the_node_by_node_search_finds(instance: Instance, objective: str) -> None:
    """The best value and infeasibility agree, with no known plan and below the optimum's value."""
    _check_against_nodes(instance, objective)


@settings(max_examples=4 * EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instance=windowed(), objective=st.sampled_from(["latency", "energy", "price"]))
def test_whole_segments_with_sliding_windows(instance: Instance, objective: str) -> None:
    """Where dominance intervals and windows matter: every system's memory caps its segments."""
    _check_against_nodes(instance, objective)


def _halved_share(nodes: int, tiers: int, systems: int, seed: int) -> Instance:
    """A generated chain with binding per-segment constraints, and half the latency optimum's busiest tier share."""
    from scission_opt.solve import solve

    base = with_binding_constraints(generate(nodes, tiers, systems, seed=seed))
    metrics = solve(base, "dp", "latency").metrics
    assert metrics is not None
    t = int(np.argmax(metrics.compute_s))
    pct: list[float | None] = [None] * tiers
    pct[t] = 50.0 * metrics.compute_s[t] / metrics.compute_total_s
    return base.replace(constraints=dataclasses.replace(base.constraints, compute_time_limit_pct=tuple(pct)))


@pytest.mark.parametrize("seed", [1, 2, 7])  # seeds where the halved share is still feasible
def test_whole_segments_on_a_larger_chain(seed: int) -> None:
    """120 nodes, 4 tiers of 3 systems, memory and time windows, a binding percentage limit."""
    instance = _halved_share(120, 4, 3, seed)
    whole, nodes = _both(instance, "latency")
    assert whole.found
    _same(whole, nodes)


def test_too_many_entries_falls_back_to_the_node_by_node_search() -> None:
    instance = _halved_share(60, 3, 2, 3)  # a seed where the halved share is still feasible
    whole, nodes = _both(instance, "latency")
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(segment_labels, "MAX_ENTRIES", 0)
        fallback, _ = _both(instance, "latency")
    assert whole.found
    _same(whole, nodes)
    _same(fallback, nodes)
