"""Result text: units, the bottleneck period, energy without power data, method and proof in the status line."""

from __future__ import annotations

import dataclasses

from scission_opt import load_instance, solve
from scission_opt.report import format_result

from .conftest import DATA


def test_objective_has_its_unit_and_throughput_says_period() -> None:
    tiny = load_instance(DATA / "tiny.json")
    text = format_result(tiny, solve(tiny))
    assert "objective latency = " in text and " s, " in text.splitlines()[1]
    text = format_result(tiny, solve(tiny, objective="throughput"))
    assert "throughput (bottleneck period) = " in text
    assert any(line.strip().startswith("latency") and "bottleneck period" in line for line in text.splitlines())
    assert "(min-max DP" in text.splitlines()[1]  # the method that proved it


def test_energy_without_power_data_is_not_zero_joules() -> None:
    tiny = load_instance(DATA / "tiny.json")
    no_power = tiny.replace(systems=tuple(dataclasses.replace(s, compute_w=None) for s in tiny.systems))
    text = format_result(no_power, solve(no_power))
    assert "first-tier energy n/a" in text
    assert "0 J" not in text
