"""Exact Pareto fronts by label setting against every plan scored by the evaluator."""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scission_opt.evaluate import evaluate
from scission_opt.instance import Instance
from scission_opt.objectives import get_objective
from scission_opt.solvers.pareto import pareto_labels

from ..brute import all_plans
from .test_dp import binding_coupled, with_overheads

EXAMPLES = int(os.environ.get("SCISSION_FUZZ_EXAMPLES", "30"))
PAIRS = [
    ("latency", "energy"),
    ("latency", "price"),
    ("energy", "bytes"),
    ("latency", "throughput"),
    ("throughput", "price"),
]


def _front(instance: Instance, names: tuple[str, str]) -> list[tuple[float, float]]:
    objectives = [get_objective(n) for n in names]
    points = set()
    for plan in all_plans(instance):
        m = evaluate(instance, plan)
        if m.feasible:
            points.add(tuple(float(o.value(instance, plan, m)) for o in objectives))
    out, best = [], float("inf")
    for a, b in sorted(points):
        if b < best - 1e-12 * max(1.0, abs(b)):
            out.append((a, b))
            best = b
    return out


def _check(instance: Instance, names: tuple[str, str]) -> None:
    expected = _front(instance, names)
    got = pareto_labels(instance, (get_objective(names[0]), get_objective(names[1])))
    values = [v for v, _ in got]
    assert len(values) == len(expected), (values, expected)
    for (a, b), (x, y) in zip(values, expected):
        assert a == pytest.approx(x, rel=1e-9, abs=1e-12) and b == pytest.approx(y, rel=1e-9, abs=1e-12)
    for _, plan in got:
        assert evaluate(instance, plan).feasible


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instance=with_overheads(max_nodes=7, max_tiers=3, max_systems=2), names=st.sampled_from(PAIRS))
def test_front_matches_enumeration(instance: Instance, names: tuple[str, str]) -> None:
    _check(instance, names)


@settings(max_examples=EXAMPLES // 2, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instance=binding_coupled(max_nodes=6, max_tiers=3, max_systems=2), names=st.sampled_from(PAIRS))
def test_front_under_coupling_constraints(instance: Instance, names: tuple[str, str]) -> None:
    _check(instance, names)
