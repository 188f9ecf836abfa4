"""Every solver against the exhaustive reference on random instances (hypothesis)."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from scission_opt.compare import objectives_agree
from scission_opt.objectives import get_objective
from scission_opt.solvers import get_solver
from scission_opt.solvers.base import unsupported_by
from scission_opt.solvers.exhaustive import Exhaustive

from .conftest import OTHER_SOLVERS
from .strategies import instances

OBJECTIVES = ["latency", "energy", "bytes", "price", "throughput", "weighted"]
WEIGHTS = {"latency": 1.0, "energy": 0.1, "bytes": 1e-7, "throughput": 0.5}


def _objective(name: str):  # type: ignore[no-untyped-def]
    return get_objective(name, WEIGHTS if name == "weighted" else None)


@pytest.mark.parametrize("solver_name", OTHER_SOLVERS)
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), objective_name=st.sampled_from(OBJECTIVES), top_k=st.sampled_from([1, 3]))
def test_solver_matches_exhaustive(solver_name: str, data, objective_name: str, top_k: int) -> None:  # type: ignore[no-untyped-def]
    instance = data.draw(instances(coupled=data.draw(st.booleans())))
    solver = get_solver(solver_name)
    objective = _objective(objective_name)
    why = unsupported_by(solver, instance, objective, top_k)
    if why is not None:
        assert isinstance(why, str) and why  # refused by name, never silently wrong
        event("refused")
        return
    reference = Exhaustive().solve(instance, objective, top_k=top_k)
    result = solver.solve(instance, objective, top_k=top_k)
    event(f"compared: {reference.status.value}")
    assert result.status == reference.status, (result.message, reference.message)
    ours = tuple(p.objective for p in result.plans)
    theirs = tuple(p.objective for p in reference.plans)
    assert objectives_agree(ours, theirs), (ours, theirs)
    for ranked in result.plans:
        assert ranked.metrics.feasible


@settings(max_examples=60, deadline=None)
@given(instance=instances(max_nodes=6, max_tiers=3, max_systems=2), objective_name=st.sampled_from(OBJECTIVES))
def test_exhaustive_matches_brute_force_over_evaluator(instance, objective_name: str) -> None:  # type: ignore[no-untyped-def]
    """The reference itself against the simplest possible enumerator: every plan through evaluate()."""
    from .brute import brute_force

    objective = _objective(objective_name)
    expected = brute_force(instance, objective, 3)
    result = Exhaustive().solve(instance, objective, top_k=3)
    assert objectives_agree(tuple(p.objective for p in result.plans), tuple(v for v, _ in expected), rtol=1e-9)
