"""The min cut's branching: the re-used network and the forcing bound, against brute force.

Every labelling of a small DAG onto a choice's stops is enumerated and costed directly (node
costs plus, per tensor, the per-byte cost of every hop from its producer's stop to its last
reader's stop); the incremental network must give each branch's optimum, and the forcing bound
must never exceed it.
"""

from __future__ import annotations

import itertools
import math
import os

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings

from scission_opt.dag import mincut
from scission_opt.dag.cutgraph import Cut, cut_graph, forcing_bounds
from scission_opt.dag.exhaustive import DagExhaustive
from scission_opt.dag.mincut import DagMinCut, _branch, _candidates, _Choice, _choices
from scission_opt.dag.model import structure
from scission_opt.instance import FORMAT, Instance, parse_instance
from scission_opt.objectives import get_objective
from scission_opt.solvers.base import allowed_nodes, terms_by_origin
from tests.dag.strategies import dags

EXAMPLES = int(os.environ.get("SCISSION_FUZZ_EXAMPLES", "50"))
SETTINGS = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _all_labellings(instance: Instance, m: int) -> np.ndarray:
    """Every labelling onto ``m + 1`` stops that never decreases along an edge, ``(N, n)``."""
    n = instance.n_nodes
    labels = np.array(list(itertools.product(range(m + 1), repeat=n)), dtype=np.int64).reshape(-1, n)
    ok = np.ones(len(labels), dtype=bool)
    for u, v in structure(instance).edges:
        ok &= labels[:, u] <= labels[:, v]
    return labels[ok]


def _costs(instance: Instance, choice: _Choice, labels: np.ndarray) -> np.ndarray:
    """Each labelling's cost, the choice's constant included, computed term by term."""
    m = len(choice.stops) - 1
    rows = np.arange(instance.n_nodes)
    cost = choice.constant + choice.unary[rows, labels].sum(axis=1)
    cumw = np.concatenate([[0.0], np.cumsum(choice.per_byte)])
    beta = np.asarray(instance.boundary_bytes, dtype=float)
    for b, readers in enumerate(structure(instance).consumers):
        producer = np.zeros(len(labels), dtype=np.int64) if b == 0 else labels[:, b - 1]
        if readers:
            last = labels[:, list(readers)].max(axis=1)
        elif instance.return_output and b > 0:
            last = np.full(len(labels), m)
        else:
            continue
        cost = cost + np.where(last > producer, cumw[last] - cumw[producer], 0.0) * beta[b]
    return cost


def _branch_choices(instance: Instance) -> list[_Choice]:
    groups = terms_by_origin(instance, get_objective("latency"))
    if not groups or not groups[0][0]:
        return []
    origins, terms = groups[0]
    return [c for c in _choices(instance, origins[0], terms) if len(c.stops) > 1]  # type: ignore[arg-type]


@SETTINGS
@given(dags(max_nodes=5, max_tiers=3, coupled=False))
def test_reused_network_and_forcing_bound_against_brute_force(instance: Instance) -> None:
    for choice in _branch_choices(instance)[:8]:
        _check_choice(instance, choice)


def _check_choice(instance: Instance, choice: _Choice) -> None:
    m = len(choice.stops) - 1
    mask = allowed_nodes(instance)[:, list(choice.systems)]
    labels = _all_labellings(instance, m)
    costs = _costs(instance, choice, labels)
    rows = np.arange(instance.n_nodes)
    cut = Cut(cut_graph(instance, m), choice.unary, choice.per_byte, instance.boundary_bytes, choice.scale)
    tolerance = 4 * choice.error + 1e-9 * max(1.0, float(np.abs(costs[np.isfinite(costs)]).max(initial=0.0)))
    for stop in range(m + 1):
        candidates = _candidates(instance, mask, stop, m)
        bounds = forcing_bounds(instance, choice.unary, choice.per_byte, mask, stop, candidates) + choice.constant
        for k in range(candidates.size):
            child = _branch(mask, candidates, k, stop)
            inside = child[rows, labels].all(axis=1)
            best = float(costs[inside].min()) if inside.any() else math.inf
            assert bounds[k] <= best + tolerance, (stop, k, bounds[k], best)
            result = cut.solve(child)  # the same network, re-used branch after branch
            if math.isinf(best):
                assert not result.feasible
                continue
            assert result.feasible
            assert choice.constant + result.cost_units / choice.scale == pytest.approx(best, abs=tolerance)
            assert child[rows, result.labels].all()


def _relay_instance() -> Instance:
    """A chain whose best plan uses the edge, but whose relaxed cut leaves the edge empty.

    Device -> edge -> cloud is far cheaper per byte than device -> cloud (the links break the
    triangle inequality), so the cut relays the raw input (1 ms a hop) through an empty edge
    (8 ms in all); the best real plan runs the first layer on the edge (2.5 ms there, its
    output is tiny: 8.5 ms), far better than the direct hop to the cloud (0.8 s for the
    input). The deeper layers take 1 s on the edge, so their branches are dropped by the
    forcing bound once the incumbent is the direct plan.
    """
    n = 6
    nodes = [
        {"name": f"l{v}", "layers": [v, v], "output_bytes": 1000.0 if v else 10.0, "param_bytes": 0.0} for v in range(n)
    ]
    device = [1.0] * n
    edge = [0.0025] + [1.0] * (n - 1)
    cloud = [0.001] * n
    data = {
        "format": FORMAT,
        "name": "relay",
        "provenance": "hand-made (tests/dag/test_mincut_branching.py)",
        "model": {"name": "relay", "input_bytes": 100000.0, "nodes": nodes},
        "tiers": ["device", "edge", "cloud"],
        "systems": [
            {"name": t, "tier": t, "latency_s": lat}
            for t, lat in (("device", device), ("edge", edge), ("cloud", cloud))
        ],
        "links": [
            {"source": "device", "destination": "edge", "latency_ms": 0.0, "bandwidth_mbps": 800.0},
            {"source": "edge", "destination": "cloud", "latency_ms": 0.0, "bandwidth_mbps": 800.0},
            {"source": "device", "destination": "cloud", "latency_ms": 0.0, "bandwidth_mbps": 1.0},
        ],
    }
    return parse_instance(data, "<relay>")


def test_forcing_bound_fires_and_a_wrong_one_would_lose_the_optimum(monkeypatch: pytest.MonkeyPatch) -> None:
    instance = _relay_instance()
    objective = get_objective("latency")
    reference = DagExhaustive().solve(instance, objective)
    assert 1 in reference.plans[0].plan.node_tiers()  # the optimum uses the edge

    built: list[int] = []
    offered: list[int] = []
    real_branch, real_bounds = mincut._branch, mincut.forcing_bounds

    def counting_branch(mask, candidates, k, stop):  # type: ignore[no-untyped-def]
        built.append(k)
        return real_branch(mask, candidates, k, stop)

    def counting_bounds(instance, unary, per_byte, mask, stop, candidates):  # type: ignore[no-untyped-def]
        offered.append(len(candidates))
        return real_bounds(instance, unary, per_byte, mask, stop, candidates)

    monkeypatch.setattr(mincut, "_branch", counting_branch)
    monkeypatch.setattr(mincut, "forcing_bounds", counting_bounds)
    result = DagMinCut().solve(instance, objective)
    assert result.status.value == "optimal"
    assert result.objective == pytest.approx(reference.objective, rel=1e-9)
    assert offered and len(built) < sum(offered), "the bound dropped no branch"

    # a bound that overstates (by 1 s: above the direct plan, 0.806 s) drops the branch of the optimum
    monkeypatch.setattr(mincut, "forcing_bounds", lambda *a: real_bounds(*a) + 1.0)
    wrong = DagMinCut().solve(instance, objective)
    assert wrong.objective > reference.objective + 1e-6
