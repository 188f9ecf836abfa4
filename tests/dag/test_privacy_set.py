"""A named privacy set (``constraints.privacy_set``): read, written, checked by the evaluator, and
honoured by every solver exactly as the exhaustive enumerators find it (DAG and chain)."""

from __future__ import annotations

import dataclasses
import json
import math
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scission_opt import solve
from scission_opt._writer import instance_to_dict
from scission_opt.cli import main
from scission_opt.dag.cpsat import DagCPSAT
from scission_opt.dag.exhaustive import DagExhaustive
from scission_opt.dag.mincut import DagMinCut
from scission_opt.errors import InvalidInstanceError
from scission_opt.evaluate import evaluate
from scission_opt.instance import Instance, parse_instance
from scission_opt.objectives import get_objective
from scission_opt.plan import Plan
from scission_opt.problem import Constraints
from tests.dag.strategies import dag_dicts, dags
from tests.dag.test_solvers import ADDITIVE, EXAMPLES, SETTINGS, _agree, _without_coupling
from tests.strategies import instances

FEW = settings(SETTINGS, max_examples=min(EXAMPLES, 12))


def _with_set(instance: Instance, private: frozenset[int]) -> Instance:
    return instance.replace(constraints=dataclasses.replace(instance.constraints, privacy_set=private))


@st.composite
def _private(draw, base):  # type: ignore[no-untyped-def]
    """An instance from ``base`` with a non-empty drawn set of private nodes (and no prefix privacy)."""
    instance = draw(base)
    nodes = draw(st.sets(st.integers(0, instance.n_nodes - 1), min_size=1))
    c = dataclasses.replace(instance.constraints, privacy_nodes=0, privacy_set=frozenset(nodes))
    return instance.replace(constraints=c)


def _breaches(instance: Instance, plan: Plan) -> list[str]:
    return [v for v in evaluate(instance, plan).violations if v.startswith("privacy")]


@FEW
@given(_private(dags(max_nodes=6, max_tiers=3)), st.sampled_from(ADDITIVE), st.integers(1, 2))
def test_dag_solvers_match_exhaustive_with_a_privacy_set(instance: Instance, name: str, k: int) -> None:
    objective = get_objective(name)
    reference = DagExhaustive().solve(instance, objective, top_k=k)
    _agree(reference, DagCPSAT().solve(instance, objective, top_k=k), instance)
    plain = _without_coupling(instance)
    _agree(DagExhaustive().solve(plain, objective), DagMinCut().solve(plain, objective), plain)
    for ranked in reference.plans:  # the set is really enforced: every private node on a trusted system
        for node in instance.constraints.privacy_set:
            name_ = ranked.plan.systems[ranked.plan.tier_of_node(node)]
            assert instance.systems[instance.system_index[name_]].trusted


@FEW
@given(_private(instances(max_nodes=6, max_tiers=3, max_systems=2)), st.sampled_from([*ADDITIVE, "throughput"]))
def test_chain_solvers_match_exhaustive_with_a_privacy_set(instance: Instance, name: str) -> None:
    objective = get_objective(name)
    reference = solve(instance, "exhaustive", objective, explain=False)
    for solver in ("dp", "cbc", "cpsat", "dag-cpsat"):
        _agree(reference, solve(instance, solver, objective, explain=False), instance)


@SETTINGS
@given(dags(max_nodes=6, max_tiers=3, coupled=False), st.data())
def test_the_evaluator_rejects_a_private_node_on_an_untrusted_system(instance: Instance, data: st.DataObject) -> None:
    systems = tuple(dataclasses.replace(s, trusted=(s.tier == instance.tiers[0])) for s in instance.systems)
    instance = instance.replace(systems=systems, constraints=Constraints())
    node = data.draw(st.integers(0, instance.n_nodes - 1))
    last = instance.n_tiers - 1
    names = [next(s.name for s in systems if s.tier == t) for t in instance.tiers]
    last_only = tuple(name if t in (0, last) else None for t, name in enumerate(names))
    everything_last = Plan.from_assignment((last,) * instance.n_nodes, last_only)
    on_device = Plan.from_assignment((0,) * instance.n_nodes, (names[0],) + (None,) * last)
    private = _with_set(instance, frozenset({node}))
    expected = 1 if last > 0 else 0
    assert len(_breaches(private, everything_last)) == expected
    assert not _breaches(private, on_device)
    assert not _breaches(instance, everything_last)


def _dict_with_set(data: dict, private: list) -> dict:  # type: ignore[type-arg]
    data = json.loads(json.dumps(data))
    data.setdefault("constraints", {})["privacy_set"] = private
    data["constraints"].pop("privacy_nodes", None)
    return data


@SETTINGS
@given(dag_dicts(max_nodes=5), st.data())
def test_privacy_set_is_read_by_name_or_index_and_written_back_by_name(data: dict, draw: st.DataObject) -> None:  # type: ignore[type-arg]
    nodes = data["model"]["nodes"]
    chosen = draw.draw(st.sets(st.integers(0, len(nodes) - 1), min_size=1))
    refs = [nodes[i]["name"] if i % 2 else i for i in sorted(chosen)]
    instance = parse_instance(_dict_with_set(data, refs))
    assert instance.constraints.privacy_set == frozenset(chosen)
    written = instance_to_dict(instance)["constraints"]["privacy_set"]
    assert written == [nodes[i]["name"] for i in sorted(chosen)]
    assert parse_instance(instance_to_dict(instance)).constraints.privacy_set == frozenset(chosen)
    assert "privacy" in instance.constraints.groups(instance.n_tiers)
    assert not instance.constraints.without("privacy", instance.n_tiers).privacy_set


@pytest.mark.parametrize(
    ("private", "message"),
    [(["no-such-node"], "unknown node 'no-such-node'"), ([99], "node index must be < "), ([-1], ">= 0")],
)
def test_a_bad_privacy_set_entry_is_one_line_and_exit_2(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    private: list,  # type: ignore[type-arg]
    message: str,
) -> None:
    data = json.loads(Path("instances/vgg16.json").read_text())
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(_dict_with_set(data, private)))
    with pytest.raises(InvalidInstanceError):
        parse_instance(_dict_with_set(data, private))
    assert main(["validate", str(path)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"error: {path}: constraints.privacy_set[0]: "), err
    assert message in err and "\n" not in err


def test_a_privacy_set_changes_the_shipped_optimum_only_when_it_binds() -> None:
    from scission_opt import load_instance

    instance = load_instance("instances/vgg16.json")
    free = solve(instance, "auto", "latency", explain=False)
    used_untrusted = [
        v
        for v in range(instance.n_nodes)
        if not instance.systems[instance.system_index[free.plan.systems[free.plan.tier_of_node(v)]]].trusted
    ]
    assert used_untrusted, "the shipped optimum runs something on an untrusted system"
    bound = _with_set(instance, frozenset({used_untrusted[-1]}))
    for solver in ("auto", "dag-cpsat", "dag-mincut"):
        result = solve(bound, solver, "latency", explain=False)
        assert not _breaches(bound, result.plan)
        assert result.objective >= free.objective - 1e-12
        assert math.isclose(result.objective, solve(bound, "dp", "latency", explain=False).objective, rel_tol=1e-9)


def test_graph_instance_maps_a_private_block_to_every_layer_of_it() -> None:
    from scission_opt.profiler.graph import _layer_constraints

    blocks = [(0, 2), (3, 3), (4, 7)]
    c = _layer_constraints(Constraints(privacy_set=frozenset({0, 2})), blocks)
    assert c.privacy_set == frozenset({0, 1, 2, 4, 5, 6, 7})
    assert _layer_constraints(Constraints(), blocks).privacy_set == frozenset()
