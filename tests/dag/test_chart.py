"""The DAG plan chart of benchmarks/dag_chart.py: layers per tier and every tensor of every hop."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given, settings

from benchmarks.dag_chart import dag_plan_figure, hop_lines, plot_dag_plan, tier_line
from scission_opt.dag.cpsat import DagCPSAT
from scission_opt.evaluate import evaluate
from scission_opt.instance import Instance
from scission_opt.objectives import get_objective
from tests.dag.strategies import dags
from tests.dag.test_solvers import SETTINGS


@settings(SETTINGS, max_examples=10)
@given(dags(max_nodes=6, max_tiers=3))
def test_every_hop_and_every_tensor_it_carries_is_named(instance: Instance) -> None:
    result = DagCPSAT().solve(instance, get_objective("latency"))
    if not result.plans:
        return
    plan = result.plan
    hops = evaluate(instance, plan).hops
    lines = hop_lines(instance, plan)
    assert len(lines) == len(hops)
    for line, hop in zip(lines, hops):
        count = len(hop.tensors or (hop.boundary,))
        assert f": {count} tensor" in line
        for b in (hop.tensors or (hop.boundary,))[:8]:
            assert ("raw input" if b == 0 else instance.nodes[b - 1].name) in line
    counts = [len(plan.nodes_on(t)) for t in range(instance.n_tiers)]
    assert sum(int(part.rsplit(": ", 1)[1].split()[0]) for part in tier_line(instance, plan).split("; ")) == sum(counts)
    fig = dag_plan_figure(instance, plan, "t")
    assert sum(1 for text in fig.texts if text.get_gid() == "hop-tensors") == 1 + len(hops)


def test_the_chart_is_written(tmp_path: Path) -> None:
    from scission_opt import load_instance, solve

    instance = load_instance("instances/private/vgg16.json")
    result = solve(instance, "dag-mincut", "latency", explain=False)
    path = tmp_path / "plan.png"
    plot_dag_plan(instance, result.plan, path, "vgg16")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
