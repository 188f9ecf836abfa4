"""Hand-solved cases every solver must reproduce (tests/data/tiny.json; see test_evaluate.py).

Each case: constraints or changes, objective, the optimum worked out by hand.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import pytest

from scission_opt import Instance, Status, load_instance, solve
from scission_opt.instance import Constraints

from .conftest import DATA, OTHER_SOLVERS

SOLVERS = ["exhaustive", *OTHER_SOLVERS]


def _trusted_edge(i: Instance) -> Instance:
    systems = list(i.systems)
    systems[1] = dataclasses.replace(systems[1], trusted=True)
    return i.replace(systems=tuple(systems), constraints=Constraints(privacy_nodes=1))


CASES: dict[str, tuple[Callable[[Instance], Instance], str, float | None]] = {
    # everything to the cloud: 1000 B at 1000 B/s + 100 ms, then 0.3 s compute
    "unconstrained": (lambda i: i, "latency", 1.4),
    # node 0 must stay on the trusted device: device[0] + cloud[1,2] = 1 + 0.6 + 0.2
    "privacy": (lambda i: i.replace(constraints=Constraints(privacy_nodes=1)), "latency", 1.8),
    # a trusted edge may take node 0: edge[0] + cloud[1,2] = 1.01 + 0.5 + 0.0005 + 0.2
    "privacy_trusted_edge": (_trusted_edge, "latency", 1.7105),
    # no cloud: all edge 1.01 + 1.5, or device[0] + edge[1,2] 1 + 0.51 + 1 (a tie)
    "no_cloud": (lambda i: i.replace(constraints=Constraints(tiers_forbidden=frozenset({2}))), "latency", 2.51),
    # the raw input (1000 B) may not leave the device: device[0] + cloud = 1.8
    "upload_limit": (
        lambda i: i.replace(constraints=Constraints(upload_limit_bytes=(600, None, None))),
        "latency",
        1.8,
    ),
    # nothing finishes in 1.3 s
    "deadline": (lambda i: i.replace(constraints=Constraints(deadline_s=1.3)), "latency", None),
    # all cloud: 1 W x 1 s sending + 0.5 W idle x 0.4 s
    "energy": (lambda i: i, "energy", 1.2),
    # every plan with the device computing node 0 has a 1 s stage; without it the first hop is >= 1.01 s
    "throughput": (lambda i: i, "throughput", 1.0),
    # bytes: the raw input (1000 B) is the least any plan that leaves the device sends; all-device sends 0
    "bytes": (lambda i: i, "bytes", 0.0),
    # pin node 2 (layers 3-5) to the edge: all edge 2.51 beats device[0]+edge = 2.51 (tie) and edge[0..]
    "pin_layer": (lambda i: i.replace(constraints=Constraints(pins=((2, 1),))), "latency", 2.51),
}


@pytest.mark.parametrize("solver", SOLVERS)
@pytest.mark.parametrize("case", sorted(CASES))
def test_hand_solved(case: str, solver: str) -> None:
    change, objective, expected = CASES[case]
    instance = change(load_instance(DATA / "tiny.json"))
    from scission_opt.objectives import get_objective
    from scission_opt.solvers import get_solver

    chosen = get_solver(solver)
    why = chosen.unsupported(instance, get_objective(objective))
    if why:
        pytest.skip(f"{solver} refuses: {why}")
    result = solve(instance, solver, objective)
    if expected is None:
        assert result.status is Status.INFEASIBLE
        assert "deadline" in result.conflicts
    else:
        assert result.status is Status.OPTIMAL
        assert result.objective == pytest.approx(expected, rel=1e-6, abs=1e-9)
