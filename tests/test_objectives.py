"""Objectives: terms agree with values, weighted sums, plug-ins by module path and entry point."""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scission_opt import UnknownNameError, evaluate, load_instance, solve
from scission_opt.objectives import BUILTIN, Weighted, additive_value, get_objective

from .brute import all_plans
from .conftest import DATA
from .strategies import instances


@settings(max_examples=40, deadline=None)
@given(
    instance=instances(max_nodes=5, max_tiers=3, max_systems=2, constraints=False),
    name=st.sampled_from(sorted(BUILTIN)),
)
def test_terms_sum_to_value_on_every_plan(instance, name: str) -> None:  # type: ignore[no-untyped-def]
    """An additive objective's terms, summed along any plan, equal its value from the evaluator."""
    objective = get_objective(name)
    for plan in all_plans(instance):
        metrics = evaluate(instance, plan)
        if any(v.startswith("links") for v in metrics.violations):
            continue
        origin = instance.system_index[plan.origin]
        terms = objective.terms(instance, origin if objective.depends_on_origin(instance) else None)
        expected = objective.value(instance, plan, metrics)
        assert additive_value(instance, plan, terms, metrics) == pytest.approx(expected, rel=1e-9, abs=1e-12)


def test_weighted_is_the_weighted_sum() -> None:
    tiny = load_instance(DATA / "tiny.json")
    result = solve(tiny, "exhaustive", "weighted", weights={"latency": 1.0, "energy": 2.0})
    m = result.metrics
    assert result.objective == pytest.approx(m.latency_s + 2.0 * m.energy_j)


def test_weighted_rejects_unknown_and_negative_weights() -> None:
    with pytest.raises(ValueError, match="happiness"):
        Weighted((("happiness", 1.0),))
    with pytest.raises(ValueError, match=">= 0"):
        Weighted((("latency", -1.0),))


def test_unknown_objective_lists_the_names() -> None:
    with pytest.raises(UnknownNameError, match="latency, energy, bytes"):
        get_objective("speed")


PLUGIN = textwrap.dedent(
    '''
    from dataclasses import dataclass
    import numpy as np
    from scission_opt.objectives import Terms, get_objective

    GRAMS_PER_J = 0.2  # a carbon cost per joule of device energy

    @dataclass(frozen=True)
    class PricePlusCarbon:
        name: str = "price_carbon"

        def value(self, instance, plan, metrics):
            return metrics.price + GRAMS_PER_J * metrics.energy_j

        def depends_on_origin(self, instance):
            return get_objective("energy").depends_on_origin(instance)

        def terms(self, instance, origin):
            price = get_objective("price").terms(instance, origin)
            energy = get_objective("energy").terms(instance, origin)
            return Terms(
                price.node + GRAMS_PER_J * energy.node,
                energy.hop_fixed * GRAMS_PER_J,
                price.hop_per_byte + GRAMS_PER_J * energy.hop_per_byte,
                instance.boundary_bytes,
            )

    @dataclass(frozen=True)
    class Squared:
        """Not additive: only the exhaustive solver may take it."""
        name: str = "squared"

        def value(self, instance, plan, metrics):
            return metrics.latency_s ** 2 + metrics.bytes_total * 1e-9
    '''
)


@pytest.fixture
def plugin_module(tmp_path: Path):  # type: ignore[no-untyped-def]
    (tmp_path / "carbon_plugin.py").write_text(PLUGIN)
    dist = tmp_path / "carbon_plugin-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: carbon-plugin\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text("[scission_opt.objectives]\ncarbon = carbon_plugin:PricePlusCarbon\n")
    sys.path.insert(0, str(tmp_path))
    yield "carbon_plugin"
    sys.path.remove(str(tmp_path))
    sys.modules.pop("carbon_plugin", None)


def test_custom_additive_objective_by_path_and_entry_point(plugin_module: str) -> None:
    tiny = load_instance(DATA / "tiny.json")
    by_path = solve(tiny, "exhaustive", f"{plugin_module}:PricePlusCarbon")
    by_entry_point = solve(tiny, "dp", "carbon")
    assert by_path.objective_name == "price_carbon"
    assert by_entry_point.objective_name == "carbon"  # the name it is registered under
    assert by_entry_point.objective == pytest.approx(by_path.objective)
    m = by_path.metrics
    assert by_path.objective == pytest.approx(m.price + 0.2 * m.energy_j)


def test_non_additive_objective_only_exhaustive(plugin_module: str) -> None:
    from scission_opt import UnsupportedError

    tiny = load_instance(DATA / "tiny.json")
    result = solve(tiny, "auto", f"{plugin_module}:Squared")
    assert result.solver == "exhaustive"
    assert result.objective == pytest.approx(result.metrics.latency_s**2 + result.metrics.bytes_total * 1e-9)
    with pytest.raises(UnsupportedError, match="not additive"):
        solve(tiny, "dp", f"{plugin_module}:Squared")


def test_not_an_objective_is_refused(plugin_module: str) -> None:
    with pytest.raises(UnknownNameError, match="not an objective"):
        get_objective(f"{plugin_module}:GRAMS_PER_J")


@pytest.mark.parametrize("solver", ["dp", "exhaustive", "cbc", "cpsat", "auto"])
def test_overflowing_weights_are_refused_by_name_through_the_api(solver: str) -> None:
    """Issue 13 item 3: dp said 'infeasible' and exhaustive 'optimal inf' for weights of 1e308."""
    from scission_opt import InvalidInstanceError

    tiny = load_instance(DATA / "tiny.json")
    with pytest.raises(InvalidInstanceError, match="objective.weights.latency"):
        solve(tiny, solver, "weighted", weights={"latency": 1e308, "energy": 1e308})


def test_energy_terms_use_the_given_origin_even_where_filters_exclude_it() -> None:
    """Found by hypothesis: with the only first-tier system excluded, the terms charged no idle power,
    while the evaluator (which still scores such a plan, listing the breach) did."""
    from scission_opt.instance import Constraints
    from scission_opt.plan import Plan

    tiny = load_instance(DATA / "tiny.json")
    excluded = tiny.replace(constraints=Constraints(excluded_systems=(("pi",), (), ())))
    plan = Plan((0, 0, 0, 3), ("pi", None, "gpu"))
    metrics = evaluate(excluded, plan)
    assert not metrics.feasible and metrics.energy_j > 0
    energy = get_objective("energy")
    terms = energy.terms(excluded, excluded.system_index["pi"])  # type: ignore[attr-defined]
    assert additive_value(excluded, plan, terms, metrics) == pytest.approx(metrics.energy_j, rel=1e-12)
