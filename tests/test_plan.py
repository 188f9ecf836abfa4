"""Plan: ranges, stops, descriptions."""

from __future__ import annotations

from scission_opt import Plan, load_instance

from .conftest import DATA


def test_ranges_and_stops() -> None:
    plan = Plan((0, 0, 2, 3), ("pi", "nuc", "gpu"))
    assert not plan.used(0) and plan.used(1) and plan.used(2)
    assert list(plan.node_range(1)) == [0, 1]
    assert plan.stops() == [(0, "pi"), (1, "nuc"), (2, "gpu")]
    assert plan.tier_of_node(2) == 2


def test_describe_uses_model_layers() -> None:
    tiny = load_instance(DATA / "tiny.json")
    plan = Plan((0, 1, 1, 3), ("pi", None, "gpu"))
    assert plan.describe(tiny) == "device(pi) = layers 0-1, edge(-) = unused, cloud(gpu) = layers 2-5"
    assert plan.to_dict(tiny)["tiers"][1] == {"tier": "edge", "system": None, "used": False}
