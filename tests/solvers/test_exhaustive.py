"""The exhaustive reference: chunked enumeration gives the same answers as one pass."""

from __future__ import annotations

import pytest

from scission_opt.generate import generate, with_binding_constraints
from scission_opt.objectives import get_objective
from scission_opt.solvers import exhaustive
from scission_opt.solvers.exhaustive import Exhaustive, count_scenarios


@pytest.mark.parametrize("seed", range(4))
def test_small_chunks_change_nothing(seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    instance = with_binding_constraints(generate(14, 4, 2, seed=seed))
    objective = get_objective("latency")
    whole = Exhaustive().solve(instance, objective, top_k=4)
    monkeypatch.setattr(exhaustive, "CHUNK_ROWS", 7)
    chunked = Exhaustive().solve(instance, objective, top_k=4)
    assert [p.plan for p in chunked.plans] == [p.plan for p in whole.plans]


def test_scenario_count() -> None:
    # 3 tiers, 1 system each: tier 0 alone (1) + one later tier (2 x 10 splits) + both (C(10, 2) = 45)
    assert count_scenarios(generate(10, 3, 1)) == 1 + 20 + 45
