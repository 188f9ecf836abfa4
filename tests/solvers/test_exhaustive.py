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


def test_refuses_an_endless_enumeration_without_a_time_limit() -> None:
    from scission_opt.errors import UnsupportedError
    from scission_opt.limits import MAX_EXHAUSTIVE_SCENARIOS

    big = generate(400, 6, 4, seed=0)
    assert count_scenarios(big) > MAX_EXHAUSTIVE_SCENARIOS
    with pytest.raises(UnsupportedError, match="give a time limit"):
        Exhaustive().solve(big, get_objective("latency"))
    limited = Exhaustive().solve(big, get_objective("latency"), time_limit=0.05)  # a limit: it enumerates
    assert "time limit" in limited.message


def test_cli_refusal_is_one_line_and_exit_2(tmp_path) -> None:
    import subprocess
    import sys

    path = tmp_path / "big.json"
    generate(400, 6, 4, seed=0).save(path)
    run = subprocess.run(
        [sys.executable, "-m", "scission_opt", "solve", str(path), "--solver", "exhaustive"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 2
    assert run.stderr.count("\n") == 1 and "give a time limit" in run.stderr
