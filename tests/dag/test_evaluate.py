"""The DAG cost model: equal to the chain model on chains, additive terms equal the objectives,
and hand-checked multi-tensor hops."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scission_opt.dag.exhaustive import assignments, plans
from scission_opt.errors import InvalidInstanceError
from scission_opt.evaluate import evaluate
from scission_opt.instance import FORMAT, Instance, parse_instance
from scission_opt.objectives import additive_value, get_objective
from scission_opt.plan import Plan
from tests.brute import all_plans
from tests.dag.strategies import dags
from tests.strategies import instances

SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
OBJECTIVES = ["latency", "energy", "bytes", "price", "throughput"]


def _strip(metrics: Any) -> str:
    """The metrics without the DAG-only tensor lists, as a repr: exact float equality, NaN equal to NaN."""
    return repr(dataclasses.replace(metrics, hops=tuple(dataclasses.replace(h, tensors=()) for h in metrics.hops)))


@SETTINGS
@given(instances(max_nodes=6, max_tiers=3, max_systems=2), st.data())
def test_chain_plans_score_exactly_as_the_chain_model(instance: Instance, data: st.DataObject) -> None:
    plan = data.draw(st.sampled_from(all_plans(instance)))
    chain = _strip(evaluate(instance, plan))
    as_dag = Plan.from_assignment(plan.node_tiers(), plan.systems)
    assert _strip(evaluate(instance, plan)) == chain
    assert _strip(evaluate(instance, as_dag)) == chain  # exact equality, not approximate
    assert _strip(evaluate(instance, as_dag)) == chain


@SETTINGS
@given(dags(max_nodes=6, max_tiers=3, max_systems=2), st.data())
def test_additive_terms_sum_to_the_objective(instance: Instance, data: st.DataObject) -> None:
    assignment = data.draw(st.sampled_from(list(assignments(instance))))
    plan = data.draw(st.sampled_from(list(plans(instance, assignment))))
    metrics = evaluate(instance, plan)
    if any(h.time_s == float("inf") for h in metrics.hops):
        return  # a missing link: no finite value to compare
    for name in OBJECTIVES:
        objective = get_objective(name)
        if name == "energy" and any(s.compute_w is None for s in instance.systems):
            continue
        origin = instance.system_index[plan.origin]
        terms = objective.terms(instance, origin)  # type: ignore[attr-defined]
        assert additive_value(instance, plan, terms, metrics) == pytest.approx(
            objective.value(instance, plan, metrics), rel=1e-9, abs=1e-12
        )


def _diamond(return_output: bool = False) -> Instance:
    """0 -> {1, 2} -> 3; one device, one edge, one cloud; 1 MB/s links with 10 ms latency."""
    lat = [0.1, 0.2, 0.3, 0.4]
    systems = [
        {"name": "dev", "tier": "device", "latency_s": lat, "compute_w": 2.0, "idle_w": 0.5},
        {"name": "edge", "tier": "edge", "latency_s": [x / 2 for x in lat]},
        {"name": "cloud", "tier": "cloud", "latency_s": [x / 4 for x in lat]},
    ]
    links = [
        {"source": a, "destination": b, "latency_ms": 10.0, "bandwidth_mbps": 8.0, "tx_power_w": 1.0}
        for a, b in (("dev", "edge"), ("edge", "cloud"), ("dev", "cloud"), ("cloud", "dev"), ("edge", "dev"))
    ]
    nodes = [
        {"name": "a", "layers": [0, 0], "inputs": [], "output_bytes": 1000},
        {"name": "b", "layers": [1, 1], "inputs": [0], "output_bytes": 2000},
        {"name": "c", "layers": [2, 2], "inputs": [0], "output_bytes": 3000},
        {"name": "d", "layers": [3, 3], "inputs": [1, 2], "output_bytes": 4000},
    ]
    return parse_instance(
        {
            "format": FORMAT,
            "name": "diamond",
            "model": {"name": "diamond", "input_bytes": 500, "nodes": nodes},
            "tiers": ["device", "edge", "cloud"],
            "systems": systems,
            "links": links,
            "options": {"return_output": return_output},
        }
    )


def test_a_tensor_crosses_every_hop_to_its_last_reader_once() -> None:
    inst = _diamond()
    # a on device, b on edge, c and d on cloud: a's tensor crosses device->edge and edge->cloud
    # once each (read by b on edge and by c on cloud); b's crosses edge->cloud with it.
    plan = Plan.from_assignment((0, 1, 2, 2), ("dev", "edge", "cloud"))
    m = evaluate(inst, plan)
    assert [h.tensors for h in m.hops] == [(1,), (1, 2)]
    assert [h.bytes for h in m.hops] == [1000.0, 3000.0]
    assert m.hops[1].time_s == pytest.approx(0.01 + 3000 / 1e6)
    compute = 0.1 + 0.2 / 2 + (0.3 + 0.4) / 4
    assert m.latency_s == pytest.approx(compute + 0.01 + 1000 / 1e6 + 0.01 + 3000 / 1e6)
    assert m.energy_j == pytest.approx(2.0 * 0.1 + 1.0 * 1000 / 1e6 + 0.5 * (m.latency_s - 0.1 - 1000 / 1e6))
    assert m.memory_bytes == (1000.0, 2000.0, 3000.0 + 4000.0 - 3000.0)  # params 0, peak activation 4000


def test_raw_input_crosses_to_its_readers_and_outputs_return() -> None:
    inst = _diamond(return_output=True)
    plan = Plan.from_assignment((1, 1, 1, 2), ("dev", "edge", "cloud"))
    m = evaluate(inst, plan)
    assert [h.tensors for h in m.hops] == [(0,), (2, 3), (4,)]
    assert m.hops[-1].returning and m.hops[-1].destination == "dev"
    assert m.upload_bytes == (500.0, 5000.0, 4000.0)


def test_an_output_made_early_travels_to_the_last_stop_before_returning() -> None:
    inst = _diamond(return_output=True)
    # every node on the device but d on the cloud; a second output (b's branch) is made on the device
    data = inst.to_dict()
    data["model"]["nodes"].append({"name": "e", "layers": [4, 4], "inputs": [1], "output_bytes": 700})
    for s in data["systems"]:
        s["latency_s"].append(0.01)
    two_outputs = parse_instance(data)
    m = evaluate(two_outputs, Plan.from_assignment((0, 0, 0, 2, 0), ("dev", None, "cloud")))
    # hop 1 carries b and c (read by d) and e (an output, read by the virtual sink on the cloud)
    assert [h.tensors for h in m.hops] == [(2, 3, 5), (4, 5)]
    assert m.hops[-1].returning and m.hops[-1].bytes == 4000 + 700


def test_a_plan_reading_back_from_a_later_tier_is_rejected() -> None:
    inst = _diamond()
    with pytest.raises(InvalidInstanceError, match="reads node 0 from a later tier"):
        evaluate(inst, Plan.from_assignment((1, 0, 1, 1), ("dev", "edge", None)))
    with pytest.raises(InvalidInstanceError, match="count the nodes"):
        evaluate(inst, Plan((0, 4, 4, 4), ("dev", None, None), (0, 0, 0, 1)))
