"""solve(): auto choice, infeasibility explanations, time limits, result invariants."""

from __future__ import annotations

import dataclasses

import pytest

from scission_opt import Status, load_instance, solve
from scission_opt.generate import generate, with_binding_constraints
from scission_opt.instance import Constraints
from scission_opt.result import RankedPlan, SolveResult

from .conftest import DATA


def test_auto_takes_dp_when_it_applies() -> None:
    assert solve(load_instance(DATA / "tiny.json")).solver == "dp"


def test_auto_falls_back_for_coupling_constraints() -> None:
    tiny = load_instance(DATA / "tiny.json").replace(constraints=Constraints(deadline_s=5.0))
    result = solve(tiny)
    assert result.solver != "dp" and result.status is Status.OPTIMAL


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
