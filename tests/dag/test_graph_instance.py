"""Layer-level DAG instances of shipped models: the DAG optimum is never worse than the block
(single-tensor cut) optimum, and a block plan costs the same on the layer instance."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("keras")

from scission_opt import load_instance, solve
from scission_opt.evaluate import evaluate
from scission_opt.plan import Plan
from scission_opt.profiler.graph import graph_instance
from scission_opt.profiler.models import build_model

INSTANCES = Path(__file__).resolve().parents[2] / "instances"


@pytest.fixture(scope="module")
def mobilenet_v2():  # type: ignore[no-untyped-def]
    blocks = load_instance(INSTANCES / "mobilenet_v2.json")
    layers = graph_instance(blocks, build_model(blocks.model))
    return blocks, layers


def test_block_latencies_are_shared_exactly_among_their_layers(mobilenet_v2) -> None:  # type: ignore[no-untyped-def]
    blocks, layers = mobilenet_v2
    assert not layers.is_chain and layers.n_nodes > blocks.n_nodes
    for s, (sb, sl) in enumerate(zip(blocks.systems, layers.systems)):
        for node, lat in zip(blocks.nodes, sb.latency_s):
            a, b = node.layers
            assert sum(sl.latency_s[a : b + 1]) == pytest.approx(lat, rel=1e-9, abs=1e-15)


@pytest.mark.parametrize("objective", ["latency", "energy", "bytes"])
def test_dag_optimum_is_never_worse_than_the_block_optimum(mobilenet_v2, objective: str) -> None:  # type: ignore[no-untyped-def]
    blocks, layers = mobilenet_v2
    chain = solve(blocks, "auto", objective)
    dag = solve(layers, "auto", objective)
    assert dag.solver.startswith("dag-") and dag.status.value == "optimal"
    assert dag.objective <= chain.objective * (1 + 1e-9) + 1e-12
    # the block optimum as a layer plan: same cost (one tensor crosses a block boundary)
    plan = chain.plan
    tiers = [plan.tier_of_node(i) for i, node in enumerate(blocks.nodes) for _ in range(node.layers[0], node.layers[1] + 1)]
    as_layers = Plan.from_assignment(tiers, plan.systems)
    chain_m, layer_m = evaluate(blocks, plan), evaluate(layers, as_layers)
    assert layer_m.latency_s == pytest.approx(chain_m.latency_s, rel=1e-9)
    assert layer_m.bytes_total == chain_m.bytes_total
