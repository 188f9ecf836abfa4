"""The segment DP and its exact methods (bottleneck search, Lagrangian + labels, k-best) against exhaustive search."""

from __future__ import annotations

import dataclasses
import os

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from scission_opt.compare import objectives_agree
from scission_opt.instance import Instance
from scission_opt.objectives import get_objective
from scission_opt.result import Status
from scission_opt.solvers.base import unsupported_by
from scission_opt.solvers.dp import SegmentDP
from scission_opt.solvers.exhaustive import Exhaustive

from ..brute import brute_force
from ..strategies import instances

EXAMPLES = int(os.environ.get("SCISSION_FUZZ_EXAMPLES", "40"))
OBJECTIVES = ["latency", "energy", "bytes", "price", "throughput", "weighted", "weighted_bottleneck"]


def _objective(name: str):  # type: ignore[no-untyped-def]
    if name == "weighted":
        return get_objective("weighted", {"latency": 1.0, "energy": 0.1, "bytes": 1e-7})
    if name == "weighted_bottleneck":
        return get_objective("weighted", {"latency": 1.0, "throughput": 3.0, "price": 10.0})
    return get_objective(name)


@st.composite
def with_overheads(draw, **kwargs):  # type: ignore[no-untyped-def]
    """An instance whose systems may carry a segment fixed cost."""
    instance: Instance = draw(instances(**kwargs))
    systems = tuple(
        dataclasses.replace(s, segment_overhead_s=draw(st.sampled_from([0.0, 0.0, 1e-3, 0.05, 0.3])))
        for s in instance.systems
    )
    return instance.replace(systems=systems)


@st.composite
def binding_coupled(draw, **kwargs):  # type: ignore[no-untyped-def]
    """An instance with one or two coupling constraints set at a quantile of what the plans reach, so they bind."""
    from scission_opt.evaluate import evaluate

    from ..brute import all_plans

    instance: Instance = draw(with_overheads(coupled=False, constraints=draw(st.booleans()), **kwargs))
    if draw(st.booleans()):  # memory on every system: segment windows that slide along the chain
        whole = float(instance.param_bytes.sum() + instance.activation_bytes.max())
        systems = tuple(
            dataclasses.replace(s, memory_bytes=whole * draw(st.sampled_from([0.3, 0.5, 0.7, 1.0])))
            for s in instance.systems
        )
        instance = instance.replace(systems=systems)
    if draw(st.booleans()):  # idle power makes the energy budget couple all segments
        systems = tuple(
            dataclasses.replace(s, idle_w=draw(st.floats(0.1, 3.0))) if s.tier == instance.tiers[0] else s
            for s in instance.systems
        )
        instance = instance.replace(systems=systems)
    metrics = [m for m in (evaluate(instance, p) for p in all_plans(instance)) if m.feasible]
    if not metrics:
        return instance
    c = instance.constraints
    kinds = draw(st.sets(st.sampled_from(["deadline", "pct", "energy"]), min_size=1, max_size=2))

    def quantile(values: list[float]) -> float:
        values = sorted(values)
        return values[draw(st.integers(0, len(values) - 1))]

    if "deadline" in kinds:
        c = dataclasses.replace(c, deadline_s=quantile([m.latency_s for m in metrics]))
    if "energy" in kinds:
        c = dataclasses.replace(c, energy_budget_j=quantile([m.energy_j for m in metrics]))
    if "pct" in kinds:
        t = draw(st.integers(0, instance.n_tiers - 1))
        shares = [100.0 * m.compute_s[t] / m.compute_total_s for m in metrics if m.compute_total_s > 0]
        if shares:
            pct = list(c.compute_time_limit_pct) or [None] * instance.n_tiers
            pct[t] = min(100.0, quantile(shares))
            c = dataclasses.replace(c, compute_time_limit_pct=tuple(pct))
    return instance.replace(constraints=c)


def _agree(instance: Instance, objective_name: str, top_k: int) -> None:
    objective = _objective(objective_name)
    dp = SegmentDP()
    why = unsupported_by(dp, instance, objective, top_k)
    if why is not None:
        event("refused")
        assert "top-k with a bottleneck" in why  # the only thing it declares it cannot do on a chain
        return
    reference = Exhaustive().solve(instance, objective, top_k=top_k)
    result = dp.solve(instance, objective, top_k=top_k)
    event(f"{result.method}: {reference.status.value}")
    assert result.status == reference.status, (result.message, result.method)
    ours = tuple(p.objective for p in result.plans)
    theirs = tuple(p.objective for p in reference.plans)
    assert objectives_agree(ours, theirs), (ours, theirs, result.method)


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    instance=with_overheads(max_nodes=9, max_tiers=4, max_systems=2),
    name=st.sampled_from(OBJECTIVES),
    top_k=st.sampled_from([1, 1, 3]),
)
def test_dp_matches_exhaustive_with_coupling(instance: Instance, name: str, top_k: int) -> None:
    _agree(instance, name, top_k)


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    instance=binding_coupled(max_nodes=8, max_tiers=3, max_systems=2),
    name=st.sampled_from(OBJECTIVES),
    top_k=st.sampled_from([1, 1, 3]),
)
def test_binding_coupling_constraints(instance: Instance, name: str, top_k: int) -> None:
    """Deadlines, percentage limits and idle-power energy budgets set where they bind."""
    _agree(instance, name, top_k)


@settings(max_examples=EXAMPLES // 2, deadline=None)
@given(instance=with_overheads(max_nodes=5, max_tiers=3, max_systems=2), name=st.sampled_from(OBJECTIVES))
def test_overheads_against_brute_force(instance: Instance, name: str) -> None:
    """Exhaustive and DP against every plan scored by the evaluator, with random segment fixed costs."""
    objective = _objective(name)
    expected = tuple(v for v, _ in brute_force(instance, objective, 3))
    ex = Exhaustive().solve(instance, objective, top_k=3)
    assert objectives_agree(tuple(p.objective for p in ex.plans), expected, rtol=1e-9)
    if SegmentDP().unsupported(instance, objective) is None:
        dp = SegmentDP().solve(instance, objective, top_k=1)
        assert objectives_agree(tuple(p.objective for p in dp.plans), expected[:1])


def test_top_k_with_bottleneck_and_coupling_is_refused() -> None:
    from scission_opt import UnsupportedError
    from scission_opt.generate import generate
    from scission_opt.instance import Constraints

    instance = generate(8, 3, 2, seed=1).replace(constraints=Constraints(deadline_s=100.0))
    with pytest.raises(UnsupportedError, match="top-k with a bottleneck"):
        SegmentDP().solve(instance, get_objective("throughput"), top_k=2)
    assert SegmentDP().solve(instance, get_objective("throughput")).status is Status.OPTIMAL


def _deadline_between_optima(seed: int) -> Instance:
    """A deadline half-way between the least latency and the energy optimum's latency (energy objective)."""
    from scission_opt import solve
    from scission_opt.generate import generate

    instance = generate(12, 3, 2, seed=seed)
    fastest = solve(instance, "exhaustive", "latency").objective
    frugal = solve(instance, "exhaustive", "energy").metrics
    assert frugal is not None and frugal.latency_s > fastest
    deadline = (fastest + frugal.latency_s) / 2
    return instance.replace(constraints=dataclasses.replace(instance.constraints, deadline_s=deadline))


@pytest.mark.parametrize("seed", [0, 4, 5])
def test_gap_closed_where_the_lagrangian_bound_is_not_tight(seed: int) -> None:
    """Built so the best Lagrangian bound lies strictly below the optimum: label setting must close the gap."""
    from scission_opt.budget import Budget
    from scission_opt.solvers.base import origins
    from scission_opt.solvers.coupling import Lagrangian, coupling_resources, lagrangian
    from scission_opt.solvers.segments import segment_starts

    instance = _deadline_between_optima(seed)
    energy = get_objective("energy")
    reference = Exhaustive().solve(instance, energy, top_k=3)
    groups = [(origins(instance), energy.terms(instance, None))]
    search = Lagrangian(
        instance, groups, coupling_resources(instance, origins(instance)), segment_starts(instance), instance
    )
    dual = lagrangian(search, Budget(None))
    assert dual.bound < reference.objective * (1 - 1e-6)  # the bound alone proves nothing here
    result = SegmentDP().solve(instance, energy)
    assert result.status is Status.OPTIMAL and "label setting" in result.method
    assert result.objective == pytest.approx(reference.objective, rel=1e-9)
    top = SegmentDP().solve(instance, energy, top_k=3)
    assert [p.objective for p in top.plans] == pytest.approx([p.objective for p in reference.plans], rel=1e-9)


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    instance=binding_coupled(max_nodes=8, max_tiers=3, max_systems=2),
    name=st.sampled_from(["latency", "energy", "price", "weighted"]),
    schedule=st.sampled_from([(), (1e-12,), (1e-12, 1e-3), (1e-2, 0.1, 1.0), (10.0,)]),
    unseen=st.booleans(),
)
def test_trial_limits_keep_the_answer_exact(
    instance: Instance, name: str, schedule: tuple[float, ...], unseen: bool
) -> None:
    """Trial limits above the Lagrangian bound (too low: none below; high: the optimum found) agree with exhaustive.

    With ``unseen`` the Lagrangian search's plans are hidden (as when it stops before seeing a feasible
    one), so no known plan caps the trial limits and they run on every instance with a gap.
    """
    from unittest import mock

    from scission_opt.solvers import coupling, dp

    with mock.patch.object(dp, "DEEPENING", schedule):
        if unseen:
            with mock.patch.object(coupling.Dual, "best_feasible", lambda self: None):
                _agree(instance, name, 1)
        else:
            _agree(instance, name, 1)


def _pct_halved(seed: int) -> Instance:
    """Tier 2's (else tier 1's) compute share in the latency optimum, halved, as a percentage limit."""
    from scission_opt import solve
    from scission_opt.generate import generate

    instance = generate(12, 3, 2, seed=seed)
    metrics = solve(instance, "exhaustive", "latency").metrics
    assert metrics is not None
    t = 2 if metrics.compute_s[2] > 0 else 1
    pct: list[float | None] = [None] * 3
    pct[t] = 50.0 * metrics.compute_s[t] / metrics.compute_total_s
    return instance.replace(constraints=dataclasses.replace(instance.constraints, compute_time_limit_pct=tuple(pct)))


@pytest.mark.parametrize("seed", [0, 4, 13])
def test_trial_limits_below_then_above_the_optimum(seed: int) -> None:
    """One trial limit under the optimum (it must find nothing), the next above it (it must find the optimum).

    Built so that no plan the Lagrangian search saw is optimal (else no trial limit lies under the best known plan).
    """
    from unittest import mock

    from scission_opt.budget import Budget
    from scission_opt.solvers import dp
    from scission_opt.solvers.base import origins
    from scission_opt.solvers.coupling import Lagrangian, coupling_resources, lagrangian
    from scission_opt.solvers.segments import segment_starts

    instance = _pct_halved(seed)
    latency = get_objective("latency")
    optimum = Exhaustive().solve(instance, latency).objective
    groups = [(origins(instance), latency.terms(instance, None))]
    search = Lagrangian(
        instance, groups, coupling_resources(instance, origins(instance)), segment_starts(instance), instance
    )
    dual = lagrangian(search, Budget(None))
    seen = dual.best_feasible()
    assert seen is not None and seen.a > optimum * (1 + 1e-6)
    gap = (optimum - dual.bound) / abs(dual.bound)
    assert gap > 1e-6
    with mock.patch.object(dp, "DEEPENING", (gap / 2, gap * 1.01)):
        result = SegmentDP().solve(instance, latency)
    assert result.status is Status.OPTIMAL and "trial limit" in result.method
    assert result.objective == pytest.approx(optimum, rel=1e-9)
    with mock.patch.object(dp, "DEEPENING", (gap / 4, gap / 2)):  # both under the optimum: the pass below the
        result = SegmentDP().solve(instance, latency)  # best known plan closes the gap
    assert result.status is Status.OPTIMAL and "below the best known plan" in result.method
    assert result.objective == pytest.approx(optimum, rel=1e-9)


def test_a_cancelled_budget_proves_nothing() -> None:
    """A DP stopped by its budget before any plan says time limit, never infeasible."""
    from scission_opt.budget import Budget
    from scission_opt.generate import generate

    budget = Budget(None)
    budget.cancel()
    result = SegmentDP().solve(generate(30, 3, 2, seed=1), get_objective("latency"), budget=budget)
    assert result.status is Status.TIME_LIMIT and not result.plans
    assert SegmentDP().solve(generate(30, 3, 2, seed=1), get_objective("latency")).status is Status.OPTIMAL
