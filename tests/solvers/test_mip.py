"""The MIP solvers (cbc, cpsat) against the exhaustive reference on seeded random instances."""

from __future__ import annotations

import dataclasses
import functools
import math
import os

import numpy as np
import pytest

from scission_opt.evaluate import evaluate
from scission_opt.generate import generate, with_binding_constraints
from scission_opt.objectives import BUILTIN, Weighted, get_objective
from scission_opt.plan import Plan
from scission_opt.result import Status
from scission_opt.solvers import get_solver
from scission_opt.solvers.cbc import CBC
from scission_opt.solvers.cpsat import CPSAT
from scission_opt.solvers.exhaustive import Exhaustive
from tests.brute import brute_force

MIP_SOLVERS = [name for name in ("cbc", "cpsat") if get_solver(name).is_available()]
#: Random instances with segment overheads per solver and pruning mode (``SCISSION_FUZZ=1``: more).
OVERHEAD_CASES = 400 if os.environ.get("SCISSION_FUZZ") else 40

#: Relative tolerance on objectives: cbc's gap is 1e-9; cpsat's integer scaling is documented in cpsat.py.
RTOL = {"cbc": 1e-7, "cpsat": 1e-6}


def make_solver(name: str, pruning: bool = True):  # type: ignore[no-untyped-def]
    """``pruning=False``: no heuristic plans and no resource pruning, so the backends meet every row."""
    cls = {"cbc": CBC, "cpsat": CPSAT}[name]
    return cls(heuristics=pruning, resource_pruning=pruning)


def _random_plan(inst, rng) -> Plan:
    """Any plan (feasible or not) for reading off realistic limits."""
    n, T = inst.n_nodes, inst.n_tiers
    cuts = np.sort(rng.integers(0, n + 1, T - 1))
    bounds = (0, *map(int, cuts), n)
    names = []
    for t in range(T):
        pool = [s for s in inst.systems if s.tier == inst.tiers[t]]
        pick = pool[rng.integers(len(pool))].name
        names.append(pick if t == 0 or bounds[t + 1] > bounds[t] else None)
    return Plan(bounds, tuple(names))


def random_case(seed: int, overhead: bool = False, max_nodes: int = 10):
    """A small instance with random constraints of every kind, and an objective.

    ``overhead``: systems carry random ``segment_overhead_s`` (some zero, some
    larger than a whole node's latency), drawn before the limits are read off.
    """
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, max_nodes + 1))
    T = int(rng.integers(2, 5))
    k = int(rng.integers(1, 4))
    inst = generate(
        n,
        T,
        k,
        seed=seed,
        return_output=bool(rng.random() < 0.3),
        idle=bool(rng.random() < 0.5),
        memory=bool(rng.random() < 0.5),
    )
    systems = list(inst.systems)
    for i, s in enumerate(systems):
        changes = {}
        if inst.system_tier[i] > 0 and rng.random() < 0.3:
            changes["trusted"] = True
        if inst.system_tier[i] == 0 and rng.random() < 0.2:
            changes["trusted"] = False
        if rng.random() < 0.3:
            changes["idle_w"] = float(rng.uniform(0, 3))
        if overhead and rng.random() < 0.7:
            changes["segment_overhead_s"] = float(rng.uniform(0, 1.5) * inst.latency[i].sum())
        if changes:
            systems[i] = dataclasses.replace(s, **changes)
    inst = inst.replace(systems=tuple(systems))
    ref = evaluate(inst, _random_plan(inst, rng))
    ref2 = evaluate(inst, _random_plan(inst, rng))

    def frac() -> float:
        return float(rng.uniform(0.5, 1.5))

    c: dict = {}
    timed = 0.6 if overhead else 0.3  # time rows carry the overhead: test them more often
    if rng.random() < 0.3:
        c["privacy_nodes"] = int(rng.integers(0, min(n, 3) + 1))
    if rng.random() < 0.2:
        c["pins"] = ((int(rng.integers(n)), int(rng.integers(T))),)
    if rng.random() < 0.2:
        c["bans"] = tuple((int(rng.integers(n)), int(rng.integers(T))) for _ in range(2))
    if rng.random() < 0.2:
        t = int(rng.integers(T))
        names = [s.name for s in inst.systems if s.tier == inst.tiers[t]]
        allowed = [None] * T
        allowed[t] = tuple(names[: max(1, len(names) - 1)])
        c["allowed_systems"] = tuple(allowed)
    if rng.random() < 0.2:
        t = int(rng.integers(1, T))
        excluded = [()] * T
        excluded[t] = (next(s.name for s in inst.systems if s.tier == inst.tiers[t]),)
        c["excluded_systems"] = tuple(excluded)
    if rng.random() < 0.2:
        c["tiers_required"] = frozenset({int(rng.integers(T))})
    elif rng.random() < 0.2:
        c["tiers_forbidden"] = frozenset({int(rng.integers(1, T))})
    if rng.random() < timed:
        c["energy_budget_j"] = frac() * ref.energy_j
    if rng.random() < 0.3:
        c["upload_limit_bytes"] = tuple(
            frac() * max(ref.upload_bytes[t], ref2.upload_bytes[t], 1.0) if rng.random() < 0.5 else None
            for t in range(T)
        )
    if rng.random() < timed:
        c["compute_time_limit_s"] = tuple(
            frac() * max(ref.compute_s[t], ref2.compute_s[t]) if rng.random() < 0.5 else None for t in range(T)
        )
    if rng.random() < timed - 0.1:
        c["compute_time_limit_pct"] = tuple(
            float(rng.uniform(20, 90)) if rng.random() < 0.5 else None for t in range(T)
        )
    if rng.random() < timed:
        c["deadline_s"] = frac() * min(ref.latency_s, ref2.latency_s)
    if rng.random() < 0.4:
        systems = list(inst.systems)
        for t in range(T):
            if ref.memory_bytes[t] > 0 and rng.random() < 0.6:
                i = (
                    inst.system_index[_random_plan(inst, rng).systems[0]]
                    if t == 0
                    else int(rng.choice([j for j, s in enumerate(inst.systems) if s.tier == inst.tiers[t]]))
                )
                systems[i] = dataclasses.replace(systems[i], memory_bytes=frac() * ref.memory_bytes[t])
        inst = inst.replace(systems=tuple(systems))
    inst = inst.replace(constraints=dataclasses.replace(inst.constraints, **c))

    names = [*BUILTIN, "weighted", "weighted"]
    name = names[int(rng.integers(len(names)))]
    if name == "weighted":
        keys = list(BUILTIN)
        picked = rng.choice(keys, size=int(rng.integers(1, 4)), replace=False)
        scale = {"latency": 1.0, "energy": 0.1, "bytes": 1e-7, "throughput": 1.0, "price": 1e3}
        objective = Weighted(tuple((str(key), float(rng.uniform(0.1, 2.0)) * scale[str(key)]) for key in picked))
    else:
        objective = get_objective(name)
    return inst, objective


def _agree(ref, got, rtol: float) -> None:
    assert got.status is ref.status, (ref.status, got.status, got.message)
    a = [p.objective for p in ref.plans]
    b = [p.objective for p in got.plans]
    assert len(a) == len(b), (a, b)
    np.testing.assert_allclose(b, a, rtol=rtol, atol=1e-12)


@pytest.mark.parametrize("solver_name", MIP_SOLVERS)
@pytest.mark.parametrize("block", range(6))
@pytest.mark.parametrize("pruning", [True, False], ids=["pruned", "rows"])
def test_agrees_with_exhaustive(solver_name: str, block: int, pruning: bool) -> None:
    """``rows``: no heuristic plans and no resource pruning, so the backends meet every row."""
    solver = make_solver(solver_name, pruning)
    exhaustive = Exhaustive()
    statuses = set()
    for seed in range(block * 30, block * 30 + 30):
        inst, objective = random_case(seed)
        top_k = 3 if seed % 2 else 1
        ref = exhaustive.solve(inst, objective, top_k=top_k)
        got = solver.solve(inst, objective, top_k=top_k)
        statuses.add(ref.status)
        try:
            _agree(ref, got, RTOL[solver_name])
        except AssertionError as exc:
            raise AssertionError(f"seed {seed}, objective {objective.name}: {exc}") from None
        if got.status is Status.OPTIMAL:
            assert got.bound <= got.objective * (1 + RTOL[solver_name]) + 1e-12
    assert Status.OPTIMAL in statuses


@pytest.mark.parametrize("solver_name", MIP_SOLVERS)
@pytest.mark.parametrize("pruning", [True, False], ids=["pruned", "rows"])
def test_segment_overhead_agrees_with_brute_force(solver_name: str, pruning: bool) -> None:
    """Random per-segment fixed costs on random constrained instances, against every plan scored by evaluate()."""
    solver = make_solver(solver_name, pruning)
    statuses = set()
    for seed in range(1000, 1000 + OVERHEAD_CASES):
        inst, objective = random_case(seed, overhead=True, max_nodes=6)
        top_k = 3 if seed % 2 else 1
        ref = brute_force(inst, objective, top_k)
        got = solver.solve(inst, objective, top_k=top_k)
        statuses.add(got.status)
        want = Status.OPTIMAL if ref else Status.INFEASIBLE
        context = f"seed {seed}, objective {objective.name}"
        assert got.status is want, (context, got.status, got.message)
        np.testing.assert_allclose(
            [p.objective for p in got.plans], [v for v, _ in ref], rtol=RTOL[solver_name], atol=1e-12, err_msg=context
        )
    assert Status.OPTIMAL in statuses


@pytest.mark.parametrize("solver_name", MIP_SOLVERS)
@pytest.mark.parametrize("objective_name", ["throughput", "latency", "energy"])
def test_overhead_decides_the_split(solver_name: str, objective_name: str) -> None:
    """Overheads larger than a whole model on one system: the optimum (and its top 3)
    change with them, and every time row (bottleneck, deadline, compute limits) carries them.
    Without heuristics, so that the rows alone must get it right."""
    inst = generate(12, 3, 2, seed=24, idle=True)
    systems = tuple(
        dataclasses.replace(s, segment_overhead_s=float(3 * (0.2 + 0.3 * i) * inst.latency[i].sum()))
        for i, s in enumerate(inst.systems)
    )
    inst = inst.replace(systems=systems)
    objective = get_objective(objective_name)
    free = brute_force(inst, objective, 3)
    plain = inst.replace(systems=tuple(dataclasses.replace(s, segment_overhead_s=0.0) for s in systems))
    if objective_name == "throughput":  # the overheads move its optimum on this instance
        assert Exhaustive().solve(plain, objective).plan != free[0][1]
    m = evaluate(inst, free[0][1])
    limited = inst.replace(
        constraints=dataclasses.replace(
            inst.constraints,
            deadline_s=m.latency_s * 1.02,
            compute_time_limit_s=tuple(x * 1.02 if x > 0 else None for x in m.compute_s),
        )
    )
    for case in (inst, limited):
        ref = brute_force(case, objective, 3)
        got = make_solver(solver_name, pruning=False).solve(case, objective, top_k=3)
        assert got.status is Status.OPTIMAL
        np.testing.assert_allclose([p.objective for p in got.plans], [v for v, _ in ref], rtol=RTOL[solver_name])


@pytest.mark.parametrize("solver_name", MIP_SOLVERS)
def test_binding_constraints_hold(solver_name: str) -> None:
    inst = generate(40, 3, 2, seed=3, idle=True)
    objective = get_objective("latency")
    bound = with_binding_constraints(inst)
    free = Exhaustive().solve(inst, objective)
    assert free.plan is not None and not evaluate(bound, free.plan).feasible
    got = get_solver(solver_name).solve(bound, objective)
    ref = Exhaustive().solve(bound, objective)
    _agree(ref, got, RTOL[solver_name])


@pytest.mark.parametrize("solver_name", MIP_SOLVERS)
def test_tiny_time_limit_is_honest(solver_name: str) -> None:
    inst = with_binding_constraints(generate(300, 5, 6, seed=7, idle=True))
    got = get_solver(solver_name).solve(inst, get_objective("latency"), time_limit=1e-3)
    assert got.status in (Status.FEASIBLE, Status.TIME_LIMIT), got.status
    if got.status is Status.FEASIBLE:
        assert got.bound <= got.objective + 1e-12 or math.isnan(got.bound)


@pytest.mark.parametrize("solver_name", MIP_SOLVERS)
def test_refuses_non_additive_objective(solver_name: str) -> None:
    class Peak:
        name = "peak-memory"

        def value(self, instance, plan, metrics):  # type: ignore[no-untyped-def]
            return max(metrics.memory_bytes)

    solver = get_solver(solver_name)
    why = solver.unsupported(generate(5, 2, 1), Peak())
    assert why and "peak-memory" in why
    with pytest.raises(NotImplementedError):
        solver.solve(generate(5, 2, 1), Peak())


@pytest.mark.parametrize("solver_name", MIP_SOLVERS)
@pytest.mark.parametrize("objective_name", ["latency", "energy", "throughput", "weighted"])
def test_medium_binding_top3(solver_name: str, objective_name: str) -> None:
    """A chain too long for the random loop: pruning and the top-k heuristics at work."""
    inst = with_binding_constraints(generate(60, 3, 3, seed=11, idle=True, memory=True))
    weights = {"latency": 1.0, "throughput": 2.0, "energy": 0.1} if objective_name == "weighted" else None
    objective = get_objective(objective_name, weights)
    ref = Exhaustive().solve(inst, objective, top_k=3)
    got = get_solver(solver_name).solve(inst, objective, top_k=3)
    _agree(ref, got, RTOL[solver_name])


def test_mip_solvers_agree_on_a_large_chain() -> None:
    if len(MIP_SOLVERS) < 2:
        pytest.skip("needs both MIP solvers")
    inst = with_binding_constraints(generate(400, 4, 4, seed=5, idle=True))
    objective = get_objective("latency")
    results = [get_solver(name).solve(inst, objective, top_k=3, time_limit=60) for name in MIP_SOLVERS]
    assert all(r.status is Status.OPTIMAL for r in results)
    np.testing.assert_allclose(
        [p.objective for p in results[1].plans], [p.objective for p in results[0].plans], rtol=1e-6
    )


@pytest.mark.parametrize("solver_name", MIP_SOLVERS)
@pytest.mark.parametrize("pruning", [True, False], ids=["pruned", "rows"])
def test_plan_exactly_at_every_limit_stays_optimal(solver_name: str, pruning: bool) -> None:
    """Limits equal to the optimum's own figures: rounding (CP-SAT's integers, CBC's
    tolerances) must neither reject it nor let anything better through."""
    objective = get_objective("latency")
    for seed in range(4):
        inst = generate(60, 3, 2, seed=seed, idle=True, memory=True)
        best = Exhaustive().solve(inst, objective)
        m = best.metrics
        assert m is not None and best.plan is not None
        systems = list(inst.systems)
        for t in range(inst.n_tiers):
            if best.plan.used(t):
                i = inst.system_index[best.plan.systems[t]]  # type: ignore[index]
                systems[i] = dataclasses.replace(systems[i], memory_bytes=m.memory_bytes[t])
        constraints = dataclasses.replace(
            inst.constraints,
            energy_budget_j=m.energy_j,
            deadline_s=m.latency_s,
            upload_limit_bytes=tuple(u if u > 0 else None for u in m.upload_bytes),
            compute_time_limit_s=tuple(x if x > 0 else None for x in m.compute_s),
        )
        bound = inst.replace(systems=tuple(systems), constraints=constraints)
        got = make_solver(solver_name, pruning).solve(bound, objective)
        assert got.status is Status.OPTIMAL
        assert got.objective == pytest.approx(best.objective, rel=RTOL[solver_name])


@functools.cache
def _large_binding():  # type: ignore[no-untyped-def]
    return with_binding_constraints(generate(400, 6, 8, seed=3, idle=True))


@pytest.mark.parametrize("solver_name", MIP_SOLVERS)
@pytest.mark.parametrize("objective_name", ["latency", "throughput"])
def test_model_too_big_for_the_time_limit_still_returns_a_plan(solver_name: str, objective_name: str) -> None:
    """A model that cannot be built in the time given: the solver says so and hands back
    the best plan its heuristics found (status feasible, never a plan it cannot vouch for)."""
    from scission_opt.budget import Budget

    inst = _large_binding()
    objective = get_objective(objective_name)
    got = get_solver(solver_name).solve(inst, objective, budget=Budget(0.02))
    assert got.status in (Status.FEASIBLE, Status.TIME_LIMIT), got.status
    assert "cannot be built" in got.message or got.status is Status.TIME_LIMIT, got.message
    assert got.wall_time_s < 10  # the limit is 0.02 s; only a gross overrun (building the model) fails this
    if got.status is Status.FEASIBLE:
        assert got.metrics is not None and got.metrics.feasible
    # with a little more time the quick heuristics find a plan (a fast machine may even prove it)
    got = get_solver(solver_name).solve(inst, objective, time_limit=0.5)
    assert got.status in (Status.FEASIBLE, Status.OPTIMAL) and got.plan is not None, got.message


def _tiny_weighted(weights: dict[str, float]):  # type: ignore[no-untyped-def]
    """tiny.json and a weighted objective built past Weighted's own check (it refuses weights over 1e15),
    as a plug-in with huge terms would be: the solvers' own overflow guard must still hold."""
    from scission_opt import load_instance

    objective = object.__new__(Weighted)
    object.__setattr__(objective, "weights", tuple(weights.items()))
    object.__setattr__(objective, "name", "weighted")
    return load_instance("tests/data/tiny.json"), objective


@pytest.mark.parametrize("solver_name", MIP_SOLVERS)
@pytest.mark.parametrize("other", ["energy", "throughput"])
def test_overflowing_weights_are_refused_by_name(solver_name: str, other: str) -> None:
    """Weights whose products overflow: refused naming the field, never "infeasible" nor a crash."""
    from scission_opt.errors import UnsupportedError

    inst, objective = _tiny_weighted({"latency": 1e308, other: 1e308})
    solver = get_solver(solver_name)
    why = solver.unsupported(inst, objective)
    assert why is not None and "objective.weights" in why
    with pytest.raises(UnsupportedError, match="objective.weights"):
        solver.solve(inst, objective)


@pytest.mark.parametrize("solver_name", MIP_SOLVERS)
def test_huge_finite_weights_agree_with_exhaustive(solver_name: str) -> None:
    inst, objective = _tiny_weighted({"latency": 1e300, "throughput": 1e300})
    ref = Exhaustive().solve(inst, objective, top_k=2)
    got = get_solver(solver_name).solve(inst, objective, top_k=2)
    _agree(ref, got, RTOL[solver_name])


@pytest.mark.parametrize("solver_name", MIP_SOLVERS)
def test_incumbent_and_bound(solver_name: str) -> None:
    """A plan handed in is never lost, a bound it reaches proves it, and a true bound as a cut changes nothing."""
    from scission_opt.budget import Budget

    free = generate(40, 3, 2, seed=3, idle=True)
    objective = get_objective("energy")
    many = Exhaustive().solve(free, objective, top_k=20).plans
    deadline = sorted(p.metrics.latency_s for p in many)[10]
    inst = free.replace(constraints=dataclasses.replace(free.constraints, deadline_s=deadline))
    infeasible = next(p.plan for p in many if p.metrics.latency_s > deadline)
    ref = Exhaustive().solve(inst, objective, top_k=2)
    assert ref.plan is not None and len(ref.plans) == 2
    solver = make_solver(solver_name, pruning=False)
    # no time to build anything: the incumbent comes back, feasible and unproven
    got = solver.solve(inst, objective, budget=Budget(1e-6), incumbent=ref.plan)
    assert got.status is Status.FEASIBLE and got.plan == ref.plan
    # a bound the incumbent reaches proves it at once
    got = solver.solve(inst, objective, incumbent=ref.plan, bound=ref.objective)
    assert got.status is Status.OPTIMAL and got.plan == ref.plan
    # a true lower bound as a cut, with and without a (worse) incumbent
    worse = ref.plans[1].plan
    for incumbent in (None, worse):
        got = solver.solve(inst, objective, top_k=2, incumbent=incumbent, bound=0.999 * ref.objective)
        _agree(ref, got, RTOL[solver_name])
    # an infeasible plan handed in is ignored
    assert not evaluate(inst, infeasible).feasible
    _agree(ref, solver.solve(inst, objective, top_k=2, incumbent=infeasible), RTOL[solver_name])


@pytest.mark.parametrize("solver_name", MIP_SOLVERS)
@pytest.mark.parametrize("shortfall", [0.0, 0.01])
def test_status_follows_the_bound(solver_name: str, shortfall: float) -> None:
    """A backend that stops unproven but whose bound meets the plan's value has proven it;
    with a bound 1% short the answer is feasible with a gap of about 1%."""
    from scission_opt.solvers.arcflow.driver import BackendAnswer

    base = make_solver(solver_name)
    real = type(base).backend

    def unproven(model, seconds, state):  # type: ignore[no-untyped-def]
        ans = real(model, seconds, state)
        if ans.status != "optimal" or ans.arcs is None:
            return ans
        value = float(model.cost[ans.arcs].sum())
        return BackendAnswer("feasible", ans.arcs, bound=value * (1 - shortfall))

    solver = make_solver(solver_name, pruning=False)
    solver.backend = unproven  # type: ignore[method-assign]
    inst = with_binding_constraints(generate(40, 3, 2, seed=3, idle=True))
    objective = get_objective("latency")
    ref = Exhaustive().solve(inst, objective)
    got = solver.solve(inst, objective)
    assert got.objective == pytest.approx(ref.objective, rel=RTOL[solver_name])
    if shortfall:
        assert got.status is Status.FEASIBLE
        assert got.gap == pytest.approx(shortfall, rel=0.05)
    else:
        assert got.status is Status.OPTIMAL


def test_within_cancels_the_work_it_gives_up_on() -> None:
    """Work past the limit is cancelled through its budget and joined: no thread of it outlives the call."""
    import threading
    import time

    from scission_opt.budget import Budget
    from scission_opt.solvers.arcflow.heuristics import within

    seen: list[Budget] = []

    def slow(inner: Budget) -> str:
        seen.append(inner)
        while not inner.stop.is_set():  # only the cancel ends it: finishing by itself would race the join
            time.sleep(0.005)
        return "late"

    outer = Budget(0.1)
    assert within(outer, slow) is None
    assert seen[0].expired() and not any(t.name == "scission-heuristic" for t in threading.enumerate())
    assert within(Budget(5.0), lambda inner: "in time") == "in time"
    assert within(None, lambda inner: inner.limited) is False


def test_no_heuristic_thread_outlives_its_budget() -> None:
    """The heuristic segment DP, started under a limit it cannot keep (its time estimate patched
    to 0), is stopped before the call returns: the thread count is back where it started."""
    import threading
    from unittest import mock

    from scission_opt.budget import Budget
    from scission_opt.solvers.arcflow import heuristics

    inst = generate(10_000, 6, 8, seed=1)  # its segment DP takes 0.4 s here (an idle 2-core VM)
    scorer = heuristics.Scorer(inst, get_objective("latency"))
    before = threading.active_count()
    with mock.patch.object(heuristics, "DP_S_PER_CELL", 0.0):
        heuristics.segment_dp_plans(scorer, Budget(0.01), bottleneck=False)
    assert threading.active_count() == before, [t.name for t in threading.enumerate()]


@pytest.mark.parametrize("solver_name", MIP_SOLVERS)
def test_a_model_over_the_memory_bound_is_not_built(solver_name: str) -> None:
    """Past the memory bound (patched down to this small model's estimates) nothing is built: the
    heuristics' plan comes back, feasible and unproven, and the message says why; just above it the
    model is solved. Two estimates: the dense arrays (cells), then the backend's model (arcs left)."""
    from unittest import mock

    from scission_opt.solvers.arcflow import driver

    inst = generate(60, 4, 3, seed=2)
    solver = get_solver(solver_name)
    assert isinstance(solver, driver.ArcSolver)
    dense = inst.n_nodes * inst.n_systems**2 * driver.DENSE_BYTES_PER_CELL
    with mock.patch.object(driver, "MODEL_MEMORY_BYTES", dense * 0.99):
        got = solver.solve(inst, get_objective("latency"))
    assert got.status is Status.FEASIBLE and "cells would need" in got.message, (got.status, got.message)
    assert got.metrics is not None and got.metrics.feasible
    bare = type(solver)(heuristics=False)  # no heuristic bound: many arcs are left after pruning
    with (
        mock.patch.object(driver, "MODEL_MEMORY_BYTES", dense * 1.01),
        mock.patch.object(type(solver), "bytes_per_arc", dense),  # any model of 2 arcs or more is too big
    ):
        got = bare.solve(inst, get_objective("latency"))
    assert got.status is not Status.OPTIMAL and "arcs would need" in got.message, (got.status, got.message)
    with mock.patch.object(driver, "MODEL_MEMORY_BYTES", dense * 1.01):
        assert solver.solve(inst, get_objective("latency")).status is Status.OPTIMAL


@pytest.mark.parametrize("solver_name", MIP_SOLVERS)
@pytest.mark.parametrize("seed", [0, 4])
def test_the_coupled_dp_starts_the_mip(solver_name: str, seed: int) -> None:
    """Under a percentage limit the DP's exact coupled methods supply the starting plan and their
    proven bound as a cut: the plan meets it, so it is proven without the model (here one that could
    not be built: memory bound patched to 0). Without that bound the same plan stays unproven."""
    from unittest import mock

    from scission_opt.solvers.arcflow import driver, heuristics

    free = generate(12, 3, 2, seed=seed)
    metrics = Exhaustive().solve(free, get_objective("latency")).metrics
    assert metrics is not None and metrics.compute_s[2] > 0
    pct = (None, None, 50.0 * metrics.compute_s[2] / metrics.compute_total_s)
    inst = free.replace(constraints=dataclasses.replace(free.constraints, compute_time_limit_pct=pct))
    ref = Exhaustive().solve(inst, get_objective("latency"))
    with mock.patch.object(driver, "MODEL_MEMORY_BYTES", 0.0):
        got = get_solver(solver_name).solve(inst, get_objective("latency"))
        assert got.status is Status.OPTIMAL and "from the segment DP" in got.message
        assert "proven without solving" in got.message
        assert got.objective == pytest.approx(ref.objective, rel=1e-9)
        plans_only = heuristics.coupled_dp_plans

        def no_bound(*args: object) -> None:
            plans_only(*args)  # type: ignore[arg-type]

        with mock.patch.object(heuristics, "coupled_dp_plans", no_bound):
            got = get_solver(solver_name).solve(inst, get_objective("latency"))
    assert got.status is Status.FEASIBLE and "not built" in got.message
    assert got.objective == pytest.approx(ref.objective, rel=1e-9)
