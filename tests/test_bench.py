"""Smoke test of the benchmark harness: the quick subset runs and every solver agrees (times are not checked)."""

from __future__ import annotations

import pytest

from scission_opt.bench import find_harness, load_harness
from scission_opt.cli import main
from scission_opt.compare import objectives_agree
from scission_opt.evaluate import evaluate
from scission_opt.generate import generate, with_binding_constraints
from scission_opt.objectives import get_objective
from scission_opt.solvers import get_solver

pytestmark = pytest.mark.skipif(find_harness() is None, reason="benchmarks/ of a repository clone not found")


@pytest.fixture(scope="module")
def quick_rows(tmp_path_factory):  # type: ignore[no-untyped-def]
    """Run ``python -m scission_opt bench --quick`` once for the module; its rows."""
    out = tmp_path_factory.mktemp("bench")
    code = main(["bench", "--quick", "--no-plot", "-q", "--out", str(out)])
    run = load_harness()
    return code, run.read_rows(out / "runs.csv"), out


def test_quick_subset_agrees(quick_rows) -> None:  # type: ignore[no-untyped-def]
    code, rows, out = quick_rows
    assert code == 0
    assert (out / "results.md").is_file()
    assert not [r for r in rows if r["agrees"] is False]
    assert not [r for r in rows if r["status"] in ("error", "killed")]
    compared = [r for r in rows if r["agrees"] is True]
    assert any(r["solver"] == "dp" and r["reference"] == "exhaustive" for r in compared)
    assert any(r["solver"] == "scission_baseline" for r in compared)


def test_quick_subset_covers_both_constraint_sets(quick_rows) -> None:  # type: ignore[no-untyped-def]
    _, rows, _ = quick_rows
    synthetic = [r for r in rows if r["family"] == "synthetic"]
    assert {r["constraints"] for r in synthetic} == {"none", "binding"}
    binding = [r for r in synthetic if r["constraints"] == "binding" and r["solver"] == "exhaustive"]
    assert all("privacy" in r["constraint_groups"] and "energy_budget" in r["constraint_groups"] for r in binding)


@pytest.mark.parametrize(("n", "tiers", "spt"), [(12, 3, 2), (8, 4, 2), (20, 3, 1)])
@pytest.mark.parametrize("constrained", [False, True])
def test_scission_baseline_top5_matches_exhaustive(n: int, tiers: int, spt: int, constrained: bool) -> None:
    from benchmarks.scission_baseline import ScissionBaseline, count_scission_scenarios

    instance = generate(n, tiers, spt, seed=3)
    if constrained:
        instance = with_binding_constraints(instance, seed=3)
    latency = get_objective("latency")
    baseline = ScissionBaseline()
    ours = baseline.solve(instance, latency, top_k=5)
    reference = get_solver("exhaustive").solve(instance, latency, top_k=5)
    assert objectives_agree(
        tuple(p.objective for p in ours.plans),
        tuple(p.objective for p in reference.plans),
    )
    # its own cost model (block sums, a hop per used tier) matches the evaluator
    for scenario in baseline.top(instance, 5) or []:
        assert scenario.latency_s == pytest.approx(evaluate(instance, scenario.plan(instance)).latency_s, rel=1e-12)
    assert len(baseline.scenarios(instance) or []) == count_scission_scenarios(instance)


def test_baseline_counts_a_tier_used_only_when_it_holds_blocks() -> None:
    """Blocks measured at 0 s must not hide a transfer (Scission's bug)."""
    import dataclasses

    from benchmarks.scission_baseline import ScissionBaseline

    instance = generate(6, 3, 1, seed=0)
    zeroed = tuple(
        dataclasses.replace(s, latency_s=(0.0,) * instance.n_nodes) if s.tier == instance.tiers[2] else s
        for s in instance.systems
    )
    instance = instance.replace(systems=zeroed)
    for scenario in ScissionBaseline().scenarios(instance) or []:
        plan = scenario.plan(instance)
        assert scenario.latency_s == pytest.approx(evaluate(instance, plan).latency_s, rel=1e-12)
