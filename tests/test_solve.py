"""solve(): auto choice, infeasibility explanations, time limits, result invariants."""

from __future__ import annotations

import dataclasses

import pytest

from scission_opt import Status, load_instance, solve
from scission_opt.generate import generate, with_binding_constraints
from scission_opt.instance import Constraints
from scission_opt.objectives import get_objective, objective_needs
from scission_opt.result import RankedPlan, SolveResult
from scission_opt.solvers.base import unsupported_by
from scission_opt.solvers.dp import SegmentDP

from .conftest import DATA


def test_auto_takes_dp_when_it_applies() -> None:
    assert solve(load_instance(DATA / "tiny.json")).solver == "dp"


def test_auto_takes_dp_for_coupling_constraints_and_says_how() -> None:
    tiny = load_instance(DATA / "tiny.json").replace(constraints=Constraints(deadline_s=5.0))
    result = solve(tiny)
    assert result.solver == "dp" and result.status is Status.OPTIMAL
    assert "Lagrangian" in result.method
    assert result.objective == pytest.approx(solve(tiny, "exhaustive").objective)


@dataclasses.dataclass(frozen=True)
class SlowestStage:
    """A plug-in with a bottleneck term that declares nothing: its terms say so."""

    name: str = "slowest"

    def value(self, instance, plan, metrics):  # type: ignore[no-untyped-def]
        return metrics.bottleneck_s

    def depends_on_origin(self, instance):  # type: ignore[no-untyped-def]
        return False

    def terms(self, instance, origin):  # type: ignore[no-untyped-def]
        return get_objective("throughput").terms(instance, origin)


def test_plugin_bottleneck_objective_is_recognised_from_its_terms() -> None:
    tiny = load_instance(DATA / "tiny.json")
    assert objective_needs(SlowestStage(), tiny).bottleneck
    result = solve(tiny, "auto", SlowestStage())
    assert result.solver == "dp" and "period" in result.method
    assert result.objective == pytest.approx(solve(tiny, "exhaustive", SlowestStage()).objective)


def test_auto_falls_through_where_dp_declares_no_support() -> None:
    """Top-k with a bottleneck term and a coupling constraint: dp says so by its features, auto moves on."""
    tiny = load_instance(DATA / "tiny.json").replace(constraints=Constraints(deadline_s=50.0))
    why = unsupported_by(SegmentDP(), tiny, SlowestStage(), top_k=2)
    assert why is not None and "top-k with a bottleneck" in why
    result = solve(tiny, "auto", SlowestStage(), top_k=2)
    assert result.solver != "dp" and result.status is Status.OPTIMAL
    reference = solve(tiny, "exhaustive", SlowestStage(), top_k=2)
    assert [p.objective for p in result.plans] == pytest.approx([p.objective for p in reference.plans])


def test_wall_time_covers_the_whole_call() -> None:
    import time

    big = generate(60, 5, 3, seed=1).replace(constraints=Constraints(deadline_s=0.001))
    started = time.perf_counter()
    result = solve(big, "exhaustive", time_limit=0.2)
    elapsed = time.perf_counter() - started
    assert result.wall_time_s >= 0.9 * elapsed  # explanation included, not only the solver's own time


def test_explains_which_groups_conflict() -> None:
    tiny = load_instance(DATA / "tiny.json")
    # privacy keeps node 0 on the device (>= 1.8 s): the 1.5 s deadline conflicts with it
    result = solve(tiny.replace(constraints=Constraints(privacy_nodes=1, deadline_s=1.5)), "exhaustive")
    assert result.status is Status.INFEASIBLE
    assert set(result.conflicts) == {"privacy", "deadline"}
    assert "privacy" in result.message


def test_exhaustive_time_limit_is_honest() -> None:
    big = generate(60, 5, 3, seed=1)
    result = solve(big, "exhaustive", time_limit=0.05)
    assert result.status in (Status.FEASIBLE, Status.TIME_LIMIT)
    assert "time limit" in result.message


def test_top_k_plans_are_distinct_and_sorted() -> None:
    instance = generate(10, 3, 2, seed=5)
    result = solve(instance, "dp", top_k=6)
    plans = [p.plan for p in result.plans]
    assert len(set(plans)) == 6
    values = [p.objective for p in result.plans]
    assert values == sorted(values)


def test_binding_constraints_bind() -> None:
    instance = generate(40, 3, 2, seed=2)
    free = solve(instance)
    constrained = with_binding_constraints(instance)
    bound = solve(constrained)
    assert bound.status is Status.OPTIMAL
    assert bound.objective > free.objective
    for group in ("privacy", "upload_limits", "energy_budget"):
        assert group in constrained.constraints.groups(3)


def test_result_refuses_an_infeasible_plan() -> None:
    tiny = load_instance(DATA / "tiny.json")
    good = solve(tiny)
    bad_metrics = dataclasses.replace(good.metrics, violations=("deadline: too slow",))
    with pytest.raises(ValueError, match="infeasible plan"):
        SolveResult(Status.OPTIMAL, "x", "latency", (RankedPlan(good.plan, bad_metrics, 1.0),))


def test_status_wording_proven_or_gap_with_digits() -> None:
    tiny = load_instance(DATA / "tiny.json")
    good = solve(tiny)
    ranked = good.plans
    equal = SolveResult(Status.FEASIBLE, "x", "latency", ranked, bound=good.objective * (1 - 1e-12))
    assert equal.proven and "proven optimal" in equal.status_text()
    close = SolveResult(Status.FEASIBLE, "x", "latency", ranked, bound=good.objective * (1 - 3e-7))
    assert not close.proven
    assert "gap 0.0000300%" in close.status_text()


def test_auto_hands_an_unproven_dp_answer_to_the_next_solver(monkeypatch: pytest.MonkeyPatch) -> None:
    """dp's k-best enumeration stopped early (a tiny cap): auto continues with a MIP, starting from dp's plans."""
    from scission_opt.solvers import dp

    from .solvers.test_dp import _deadline_between_optima

    monkeypatch.setattr(dp, "MAX_ENUMERATED", 1)
    instance = _deadline_between_optima(4)
    alone = solve(instance, "dp", "energy", top_k=3)
    assert alone.status is Status.FEASIBLE and "without proving" in alone.message
    result = solve(instance, "auto", "energy", top_k=3)
    assert result.status is Status.OPTIMAL and result.solver != "dp"
    assert "dp stopped unproven" in result.message
    reference = solve(instance, "exhaustive", "energy", top_k=3)
    assert [p.objective for p in result.plans] == pytest.approx([p.objective for p in reference.plans])
