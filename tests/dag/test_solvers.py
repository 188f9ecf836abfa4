"""Every DAG solver against the DAG exhaustive enumeration (optimum, infeasibility, top-k), and
the DAG solvers against the chain solvers on chains."""

from __future__ import annotations

import dataclasses
import math
import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scission_opt import solve
from scission_opt.dag.cpsat import DagCPSAT
from scission_opt.dag.exhaustive import DagExhaustive, assignments
from scission_opt.dag.mincut import DagMinCut
from scission_opt.evaluate import evaluate
from scission_opt.instance import Instance
from scission_opt.objectives import get_objective
from scission_opt.result import Status
from tests.dag.strategies import dags
from tests.strategies import instances

EXAMPLES = int(os.environ.get("SCISSION_FUZZ_EXAMPLES", "25"))
SETTINGS = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
ADDITIVE = ["latency", "energy", "bytes", "price"]


def _values(result):  # type: ignore[no-untyped-def]
    return [p.objective for p in result.plans]


def _agree(reference, other, instance: Instance | None = None) -> None:  # type: ignore[no-untyped-def]
    assert other.status is reference.status, (reference.status, other.status, other.message)
    ref, got = _values(reference), _values(other)
    assert len(ref) == len(got)
    for a, b in zip(ref, got):
        assert math.isclose(a, b, rel_tol=1e-7, abs_tol=1e-9), (ref, got)
    if reference.plans:
        assert other.bound <= other.objective + 1e-12
        # the bound is lowered by the integer rounding: about 2^-40 of the sum of all costs per term
        scale = 1.0 if instance is None else instance.input_bytes + sum(n.output_bytes for n in instance.nodes)
        assert other.bound >= reference.objective - 1e-6 * max(1.0, abs(reference.objective), scale)


def _without_coupling(instance: Instance) -> Instance:
    c = instance.constraints
    for group in ("energy_budget", "upload_limits", "compute_time_limits", "compute_time_pct_limits", "deadline"):
        c = c.without(group, instance.n_tiers)
    return instance.replace(constraints=c, systems=tuple(dataclasses.replace(s, memory_bytes=None) for s in instance.systems))


@SETTINGS
@given(dags(max_nodes=7, max_tiers=3, coupled=False), st.sampled_from(ADDITIVE))
def test_mincut_matches_exhaustive_without_coupling(instance: Instance, name: str) -> None:
    instance = _without_coupling(instance)
    objective = get_objective(name)
    _agree(DagExhaustive().solve(instance, objective), DagMinCut().solve(instance, objective), instance)


@SETTINGS
@given(dags(max_nodes=6, max_tiers=3), st.sampled_from(ADDITIVE))
def test_mincut_with_coupling_constraints_matches_exhaustive(instance: Instance, name: str) -> None:
    objective = get_objective(name)
    _agree(DagExhaustive().solve(instance, objective), DagMinCut().solve(instance, objective), instance)


@SETTINGS
@given(dags(max_nodes=6, max_tiers=3), st.sampled_from([*ADDITIVE, "throughput"]), st.integers(1, 3))
def test_cpsat_matches_exhaustive_with_every_constraint(instance: Instance, name: str, k: int) -> None:
    objective = get_objective(name)
    _agree(DagExhaustive().solve(instance, objective, top_k=k), DagCPSAT().solve(instance, objective, top_k=k), instance)


@SETTINGS
@given(instances(max_nodes=6, max_tiers=3, max_systems=2), st.sampled_from([*ADDITIVE, "throughput"]))
def test_dag_solvers_agree_with_chain_solvers_on_chains(instance: Instance, name: str) -> None:
    objective = get_objective(name)
    chain = solve(instance, "exhaustive", objective, explain=False)
    _agree(chain, DagCPSAT().solve(instance, objective), instance)
    _agree(chain, DagExhaustive().solve(instance, objective), instance)
    if name != "throughput":
        _agree(chain, DagMinCut().solve(instance, objective), instance)


@SETTINGS
@given(dags(max_nodes=7, max_tiers=3))
def test_every_exhaustive_assignment_is_monotone_and_distinct(instance: Instance) -> None:
    seen = set()
    for a in assignments(instance):
        assert all(a[u] <= a[v] for v, node in enumerate(instance.nodes) for u in node.inputs)
        seen.add(a)
    # every monotone assignment is there: compare with a brute filter of all T^n
    import itertools

    if instance.n_tiers ** instance.n_nodes <= 3000:
        every = {
            a
            for a in itertools.product(range(instance.n_tiers), repeat=instance.n_nodes)
            if all(a[u] <= a[v] for v, node in enumerate(instance.nodes) for u in node.inputs)
        }
        assert seen == every


def test_auto_solves_a_dag_and_the_plan_is_scored_by_the_evaluator() -> None:
    from tests.dag.test_evaluate import _diamond

    instance = _diamond(return_output=True)
    result = solve(instance)
    assert result.status is Status.OPTIMAL and result.solver == "dag-mincut"
    best = result.plans[0]
    assert best.plan.assignment is not None
    assert evaluate(instance, best.plan).latency_s == best.objective
    reference = DagExhaustive().solve(instance, get_objective("latency"))
    assert best.objective == pytest.approx(reference.objective, rel=1e-12)


def test_chain_solvers_still_refuse_dags() -> None:
    from tests.dag.test_evaluate import _diamond

    instance = _diamond()
    for name in ("dp", "exhaustive"):
        from scission_opt.solvers import get_solver

        assert "chain" in (get_solver(name).unsupported(instance, get_objective("latency")) or "")
